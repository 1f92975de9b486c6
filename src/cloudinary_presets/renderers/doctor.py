"""``presets doctor``'s report for people: aligned lines on a terminal, a table in Markdown.

Both read the plain data of ``Diagnosis.to_dict()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cloudinary_presets.renderers.markdown import escape

Style = Callable[..., str]

STATUS_COLORS = {"ok": "green", "info": "cyan", "warning": "yellow", "failed": "red"}


def _plain(text: str, **_: Any) -> str:
    return text


def render_doctor_text(data: Mapping[str, Any], *, style: Style = _plain) -> str:
    lines = [style(f"Project at {data['root']}", bold=True)]
    width = max((len(c["check"]) for c in data["checks"]), default=0)
    for check in data["checks"]:
        status = style(f"{check['status']:<7}", fg=STATUS_COLORS[check["status"]], bold=True)
        lines.append(f"  {status}  {check['check']:<{width}}  {check['message']}")
        if check["hint"]:
            lines.append(f"  {'':<7}  {'':<{width}}  hint: {check['hint']}")
    lines.append(style(data["summary"], bold=True))
    return "\n".join(lines)


def render_doctor_markdown(data: Mapping[str, Any]) -> str:
    lines = [
        f"### presets doctor: {escape(data['summary'])}",
        "",
        "| Check | Status | Found | Hint |",
        "|---|---|---|---|",
    ]
    for check in data["checks"]:
        lines.append(
            f"| {check['check']} | {check['status']} | {escape(check['message'])} | "
            f"{escape(check['hint'] or '')} |"
        )
    return "\n".join(lines) + "\n"
