"""Markdown for the runtime commands (``upload``, ``moderation simulate``): what a CI job
summary or a pull-request comment shows. Both read the commands' plain JSON data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudinary_presets.model.wording import name_list


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_uploads_markdown(results: Sequence[Mapping[str, Any]], summary: str) -> str:
    """One table row per file: where it went, or why it failed."""
    lines = [
        f"### Uploads: {_cell(summary)}",
        "",
        "| File | Public ID | URL | Moderation |",
        "|---|---|---|---|",
    ]
    for item in results:
        if not item["ok"]:
            lines.append(f"| {_cell(item['file'])} | failed | {_cell(item['error'])} | |")
            continue
        moderation = ", ".join(
            f"{m.get('kind')} {m.get('status')}" for m in item.get("moderation") or []
        )
        lines.append(
            f"| {_cell(item['file'])} | `{_cell(item['public_id'])}` | {_cell(item['secure_url'])} "
            f"| {_cell(moderation)} |"
        )
    return "\n".join(lines) + "\n"


def render_simulation_markdown(
    data: Mapping[str, Any],
    *,
    newly_rejected: Sequence[str] = (),
    newly_approved: Sequence[str] = (),
) -> str:
    """The definition against the remote on labelled samples, and the samples that flip."""
    remote = "remote" if data["remote_exists"] else "remote (preset not created yet)"
    lines = [
        f"### Moderation simulation: `{_cell(data['preset'])}`, definition vs {remote}",
        "",
        "```text",
        data["summary"],
        "```",
    ]
    if newly_rejected:
        lines += ["", f"Newly rejected: {name_list([f'`{n}`' for n in newly_rejected])}"]
    if newly_approved:
        lines += ["", f"Newly approved: {name_list([f'`{n}`' for n in newly_approved])}"]
    return "\n".join(lines) + "\n"


def render_queue_markdown(items: Sequence[Mapping[str, Any]], queue: str) -> str:
    """A moderation queue as a table, oldest first."""
    lines = [
        f"### Moderation queue {_cell(queue)}: {len(items)} asset(s)",
        "",
        "| Public ID | Uploaded | Preset | URL |",
        "|---|---|---|---|",
    ]
    for item in items:
        lines.append(
            f"| `{_cell(item['public_id'])}` | {_cell(item['uploaded_at'] or '-')} | "
            f"{_cell(item['preset'] or '-')} | {_cell(item['url'])} |"
        )
    return "\n".join(lines) + "\n"
