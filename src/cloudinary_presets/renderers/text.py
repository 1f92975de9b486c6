"""The terminal form of a plan: Terraform-like ``+ ~ -`` markers, one line per field.

What a reviewer needs first, and the rest on request (``verbose``): a create lists what
its file sets, not the defaults; the thresholds of a moderation change sit under
``settings.moderation``; long lists of unchanged or unmanaged presets are a count and a
few names. The JSON form always has everything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudinary_presets.model.changes import FieldChange, Kind
from cloudinary_presets.model.characters import escape_invisible
from cloudinary_presets.model.preset import is_default_value
from cloudinary_presets.model.sensitive import mask
from cloudinary_presets.model.wording import name_list
from cloudinary_presets.planning.plan import Action, Change, Plan, SafetyReason

Style = Callable[..., str]

MARKERS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.DELETE: "-",
    Action.UNCHANGED: "=",
    Action.UNMANAGED: "?",
}
COLORS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.DELETE: "red",
    Action.UNCHANGED: "white",
    Action.UNMANAGED: "cyan",
}
FIELD_MARKERS = {Kind.ADD: "+", Kind.REMOVE: "-", Kind.CHANGE: "~"}
FIELD_COLORS = {Kind.ADD: "green", Kind.REMOVE: "red", Kind.CHANGE: "yellow"}
#: more unchanged or unmanaged presets than this are a count and the first few names
LONG_LIST = 20
FIRST_FEW = 5


def _plain(text: str, **_: Any) -> str:
    return text


def show(value: Any) -> str:
    """A value as it reads in YAML-ish JSON: strings quoted, lists and maps compact;
    invisible characters escaped."""
    if value is None:
        return "(unset)"
    return escape_invisible(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))


def field_line(change: FieldChange, path: str | None = None) -> str:
    """``+ path: value``, ``- path: value`` or ``~ path: before -> after``, with its note."""
    marker = FIELD_MARKERS[change.kind]
    shown = change.path if path is None else path
    if change.kind is Kind.ADD:
        text = f"{marker} {shown}: {show(change.after)}"
    elif change.kind is Kind.REMOVE:
        text = f"{marker} {shown}: {show(change.before)}"
    else:
        text = f"{marker} {shown}: {show(change.before)} -> {show(change.after)}"
    return escape_invisible(f"{text} ({change.note})" if change.note else text)


@dataclass(frozen=True)
class FieldRow:
    """One line of a change: a field (``field``), or the heading of nested fields (None)."""

    field: FieldChange | None
    depth: int
    path: str


def shown_fields(change: Change, *, verbose: bool = False) -> list[FieldChange]:
    """The fields worth a line: a create's defaults (``unsigned: false``) only when verbose."""
    if verbose or change.action is not Action.CREATE:
        return list(change.fields)
    return [f for f in change.fields if not is_default_value(f.path, f.after)]


def field_rows(fields: Sequence[FieldChange]) -> list[FieldRow]:
    """Fields in order, deeper paths under their setting with the rest of their path
    (``settings.moderation`` then ``aws_rek.violence``), a heading added where the setting
    itself did not change."""
    rows: list[FieldRow] = []
    parent = ""
    for field in fields:
        setting = field.setting
        if field.path == setting or not field.path.startswith(setting + "."):
            rows.append(FieldRow(field, 0, field.path))
            parent = field.path
            continue
        if parent != setting:
            rows.append(FieldRow(None, 0, setting))
            parent = setting
        rows.append(FieldRow(field, 1, field.path[len(setting) + 1 :]))
    return rows


def row_text(row: FieldRow) -> str:
    return f"{row.path}:" if row.field is None else field_line(row.field, row.path)


def listed(plan: Plan, action: Action, *, verbose: bool) -> tuple[list[Change], list[str]]:
    """The changes of ``action`` shown one by one, and the names only counted: unchanged
    presets are names without -v, and more than :data:`LONG_LIST` unmanaged too."""
    changes = plan.of(action)
    if verbose or (action is Action.UNMANAGED and len(changes) <= LONG_LIST):
        return changes, []
    return [], [c.remote_name for c in changes]


def names_line(action: Action, names: Sequence[str], *, verbose_hint: bool = True) -> str:
    """``= 3 unchanged: a, b, c`` or ``? 57 unmanaged: a, b, ... and 52 more (-v lists them)``."""
    limit = FIRST_FEW if len(names) > LONG_LIST else LONG_LIST
    text = f"{MARKERS[action]} {len(names)} {action.value}: {name_list(names, limit)}"
    if len(names) > limit and verbose_hint:
        text += " (-v lists them all)"
    return text


def where(change: Change) -> str:
    if not change.file:
        return ""
    return f"{change.file}:{change.line}" if change.line else change.file


def quota_line(plan: Plan) -> str:
    if plan.target.git_revision is not None:
        return (
            f"Compared with the definitions at {plan.target.git_revision}; no API calls were made."
        )
    parts = [f"this plan read {plan.list_calls} list page(s)"]
    if plan.has_changes:
        parts.append(f"apply will make {plan.apply_calls} call(s)")
    if plan.quota_remaining is not None and plan.quota_limit is not None:
        quota = f"quota {plan.quota_remaining}/{plan.quota_limit} remaining"
        if isinstance(plan.quota_reset, datetime):
            quota += f", resets {plan.quota_reset:%Y-%m-%d %H:%M} UTC"
        parts.append(quota)
    return "Admin API: " + "; ".join(parts) + "."


def summary_line(plan: Plan) -> str:
    c = plan.counts
    if not plan.has_changes:
        head = "No changes. The remote matches the definitions."
    else:
        head = (
            f"Plan: {c[Action.CREATE]} to create, {c[Action.UPDATE]} to update, "
            f"{c[Action.DELETE]} to delete."
        )
    tail = f" {c[Action.UNCHANGED]} unchanged"
    if c[Action.UNMANAGED]:
        tail += (
            f", {c[Action.UNMANAGED]} unmanaged (not in any file; listed, never touched "
            "without --prune)"
        )
    if plan.out_of_scope:
        tail += (
            f", {plan.out_of_scope} out of scope (other environments' presets, by name "
            "prefix; never touched)"
        )
    return head + tail + "."


def safety_heading(plan: Plan) -> str:
    """What the safety reasons mean for this plan ("" when there are none)."""
    if not plan.safety:
        return ""
    if plan.refusals(at_plan=True):
        return "Safety: `presets apply` would refuse this plan:"
    return "Safety: `presets apply` would refuse this plan if this is still so when applying:"


def safety_reason_lines(reason: SafetyReason) -> list[str]:
    """One reason: the message, what overrides it, and the hint."""
    if not reason.overridable:
        note = "--force does not override it"
    elif not reason.refuses_plan:
        note = "checked again when applying; --force overrides it"
    else:
        note = "--force overrides it"
    lines = [f"{reason.message} ({note})"]
    if reason.hint:
        lines.append(f"hint: {reason.hint}")
    return lines


def render_text(plan: Plan, *, style: Style = _plain, verbose: bool = False) -> str:
    """The whole plan as text. ``style`` is click.style on a colour terminal.

    Every piece is escaped before it is styled (:func:`escape_invisible`): a remote
    preset's name or value may hold control or bidi characters, which must show, not act.
    """
    lines: list[str] = []

    def paint(text: str, **kw: Any) -> str:
        return style(escape_invisible(text), **kw)

    counted: list[tuple[Action, list[str]]] = []
    for action in Action:
        shown, names = (
            listed(plan, action, verbose=verbose)
            if action in (Action.UNCHANGED, Action.UNMANAGED)
            else (plan.of(action), [])
        )
        if names:
            counted.append((action, names))
        for change in shown:
            lines.extend(_change_lines(plan, change, paint, verbose=verbose))
    for action, names in counted:
        lines.append(paint(names_line(action, names), fg=COLORS[action]))
        if action is Action.UNMANAGED:
            lines.append(
                "    not defined by any file: left alone (use --prune to delete, or list them "
                "in `ignore`)"
            )
    if counted:
        lines.append("")
    for warning in plan.warnings:
        lines.append(paint(f"warning: {warning}", fg="yellow"))
    if plan.warnings:
        lines.append("")
    if plan.safety:
        lines.append(paint(safety_heading(plan), fg="red", bold=True))
        for reason in plan.safety:
            first, *rest = safety_reason_lines(reason)
            lines.append(paint(f"  ! {first}", fg="red"))
            lines.extend(f"    {escape_invisible(line)}" for line in rest)
        lines.append("")
    lines.append(style(summary_line(plan), bold=True))
    lines.append(quota_line(plan))
    return mask("\n".join(lines))  # a remote value may carry a secret the process knows


def _change_lines(plan: Plan, change: Change, paint: Style, *, verbose: bool) -> list[str]:
    """One change: its heading, security flags, fields (nested under their setting) and
    moderation impact; ``paint`` escapes invisible characters, then styles."""
    marker = MARKERS[change.action]
    head = f"{marker} {change.action.value} {change.remote_name}"
    if change.remote_name != change.name:
        head += f" (defined as {change.name})"
    loc = where(change)
    lines = [
        paint(head, fg=COLORS[change.action], bold=True)
        + (f"    {escape_invisible(loc)}" if loc else "")
    ]
    for flag in change.flags:
        lines.append(paint(f"    ! security: {flag}", fg="red", bold=True))
    if change.action is Action.UNMANAGED:
        lines.append(
            "    not defined by any file: left alone (use --prune to delete, or list it in "
            "`ignore`)"
        )
    for row in field_rows(shown_fields(change, verbose=verbose)):
        indent = "    " * (row.depth + 1)
        color = FIELD_COLORS[row.field.kind] if row.field is not None else None
        text = row_text(row)
        lines.append(indent + (paint(text, fg=color) if color else escape_invisible(text)))
    if change.remote_name in plan.impact:
        for line in plan.impact[change.remote_name]["summary"].splitlines():
            lines.append(f"    {escape_invisible(line)}")
    lines.append("")
    return lines
