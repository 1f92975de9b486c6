"""The pull-request form of a plan: a summary table and a collapsible section per preset.

Meant for sticky PR comments and ``$GITHUB_STEP_SUMMARY``. Everything comes from the
plan data, whose values are already redacted.
"""

from __future__ import annotations

from cloudinary_presets.model.characters import escape_invisible
from cloudinary_presets.model.sensitive import mask
from cloudinary_presets.model.wording import name_list
from cloudinary_presets.planning.plan import Action, Plan
from cloudinary_presets.renderers.text import (
    FIRST_FEW,
    LONG_LIST,
    MARKERS,
    field_rows,
    quota_line,
    row_text,
    safety_heading,
    safety_reason_lines,
    shown_fields,
    summary_line,
)


def _escape(text: str) -> str:
    """Plain text for Markdown: no table breaks, no HTML, no invisible characters."""
    text = escape_invisible(text)
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: object) -> str:
    """Text safe in a Markdown heading or table cell (the other renderers' tables too)."""
    return _escape(str(text))


def _names(names: list[str], *, verbose: bool) -> str:
    """Code-formatted names, the first few and a count past :data:`LONG_LIST` (not verbose)."""
    limit = len(names) if verbose or len(names) <= LONG_LIST else FIRST_FEW
    return name_list([f"`{_escape(name)}`" for name in names], limit)


def render_markdown(plan: Plan, *, title: str = "", verbose: bool = False) -> str:
    """The plan as GitHub-flavoured Markdown."""
    c = plan.counts
    heading = title or f"Preset plan for {plan.target.description}"
    lines = [
        f"### {_escape(heading)}",
        "",
        "| Create | Update | Delete | Unchanged | Unmanaged |",
        "|---:|---:|---:|---:|---:|",
        "| " + " | ".join(str(c[action]) for action in Action) + " |",
        "",
    ]
    flagged = [ch for ch in plan.changes if ch.flags]
    if flagged:
        lines.append("> [!WARNING]")
        lines.append("> Security-relevant changes:")
        for ch in flagged:
            for flag in ch.flags:
                lines.append(f"> - `{_escape(ch.remote_name)}`: {_escape(flag)}")
        lines.append("")
    for change in plan.changes:
        if change.action in (Action.UNCHANGED, Action.UNMANAGED):
            continue
        marker = MARKERS[change.action]
        count = f"{len(change.fields)} field(s)"
        badge = " ⚠️ security" if change.flags else ""
        where = f" — `{change.file}`" if change.file else ""
        lines.append("<details>")
        lines.append(
            f"<summary><code>{marker} {_escape(change.remote_name)}</code> {change.action.value}, "
            f"{count}{badge}{_escape(where)}</summary>"
        )
        lines.append("")
        lines.append("```diff")
        for row in field_rows(shown_fields(change, verbose=verbose)):
            text = row_text(row)
            if row.field is None:
                lines.append(f"  {text}")  # a heading: a context line of the diff
                continue
            marker, body = text[0], text[2:]
            # diff syntax colours lines by their first character: map ~ to !
            lines.append(f"{'!' if marker == '~' else marker} {'  ' * row.depth}{body}")
        lines.append("```")
        if change.remote_name in plan.impact:
            lines.append("")
            lines.append("**Moderation impact** (on the sample labels):")
            lines.append("")
            lines.extend(
                f"    {escape_invisible(line)}"
                for line in plan.impact[change.remote_name]["summary"].splitlines()
            )
        lines.append("")
        lines.append("</details>")
        lines.append("")
    unmanaged = [ch.remote_name for ch in plan.of(Action.UNMANAGED)]
    if unmanaged:
        lines.append(
            f"Unmanaged (not in any file, left alone): {_names(unmanaged, verbose=verbose)}"
        )
        lines.append("")
    unchanged = [ch.remote_name for ch in plan.of(Action.UNCHANGED)]
    if unchanged:
        lines.append(f"Unchanged: {_names(unchanged, verbose=verbose)}")
        lines.append("")
    for warning in plan.warnings:
        lines.append(f"- ⚠️ {_escape(warning)}")
    if plan.warnings:
        lines.append("")
    if plan.safety:
        lines.append("> [!CAUTION]" if plan.refusals(at_plan=True) else "> [!WARNING]")
        lines.append(f"> {_escape(safety_heading(plan))}")
        for reason in plan.safety:
            first, *rest = safety_reason_lines(reason)
            lines.append(f"> - **{_escape(first)}**")
            lines.extend(f">   {_escape(line)}" for line in rest)
        lines.append("")
    lines.append(f"**{_escape(summary_line(plan))}**")
    lines.append("")
    lines.append(f"<sub>{_escape(quota_line(plan))} Plan checksum `{plan.checksum()}`.</sub>")
    return mask("\n".join(lines)) + "\n"  # a remote value may carry a known secret
