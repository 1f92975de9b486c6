"""Markdown for the runtime commands (``upload``, ``moderation simulate``): what a CI job
summary or a pull-request comment shows. Both read the commands' plain JSON data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudinary_presets.model.wording import name_list
from cloudinary_presets.renderers.markdown import escape


def render_uploads_markdown(results: Sequence[Mapping[str, Any]], summary: str) -> str:
    """One table row per file: where it went, or why it failed."""
    lines = [
        f"### Uploads: {escape(summary)}",
        "",
        "| File | Public ID | URL | Moderation |",
        "|---|---|---|---|",
    ]
    for item in results:
        if not item["ok"]:
            lines.append(f"| {escape(item['file'])} | failed | {escape(item['error'])} | |")
            continue
        moderation = ", ".join(
            f"{m.get('kind')} {m.get('status')}" for m in item.get("moderation") or []
        )
        cells = [escape(item["file"]), f"`{escape(item['public_id'])}`"]
        cells += [escape(item["secure_url"]), escape(moderation)]
        lines.append("| " + " | ".join(cells) + " |")
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
        f"### Moderation simulation: `{escape(data['preset'])}`, definition vs {remote}",
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
        f"### Moderation queue {escape(queue)}: {len(items)} asset(s)",
        "",
        "| Public ID | Uploaded | Preset | URL |",
        "|---|---|---|---|",
    ]
    for item in items:
        lines.append(
            f"| `{escape(item['public_id'])}` | {escape(item['uploaded_at'] or '-')} | "
            f"{escape(item['preset'] or '-')} | {escape(item['url'])} |"
        )
    return "\n".join(lines) + "\n"
