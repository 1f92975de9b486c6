"""The terminal form of a plan: Terraform-like ``+ ~ -`` markers, one line per field."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cloudinary_presets.model.changes import FieldChange, Kind
from cloudinary_presets.model.characters import escape_invisible
from cloudinary_presets.model.sensitive import mask
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


def _plain(text: str, **_: Any) -> str:
    return text


def show(value: Any) -> str:
    """A value as it reads in YAML-ish JSON: strings quoted, lists and maps compact;
    invisible characters escaped."""
    if value is None:
        return "(unset)"
    return escape_invisible(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))


def field_line(change: FieldChange) -> str:
    marker = FIELD_MARKERS[change.kind]
    if change.kind is Kind.ADD:
        text = f"{marker} {change.path}: {show(change.after)}"
    elif change.kind is Kind.REMOVE:
        text = f"{marker} {change.path}: {show(change.before)}"
    else:
        text = f"{marker} {change.path}: {show(change.before)} -> {show(change.after)}"
    return escape_invisible(f"{text} ({change.note})" if change.note else text)


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

    for change in plan.changes:
        if change.action is Action.UNCHANGED and not verbose:
            continue
        marker = MARKERS[change.action]
        color = COLORS[change.action]
        head = f"{marker} {change.action.value} {change.remote_name}"
        if change.remote_name != change.name:
            head += f" (defined as {change.name})"
        loc = where(change)
        lines.append(
            paint(head, fg=color, bold=True) + (f"    {escape_invisible(loc)}" if loc else "")
        )
        for flag in change.flags:
            lines.append(paint(f"    ! security: {flag}", fg="red", bold=True))
        if change.action is Action.UNMANAGED:
            lines.append(
                "    not defined by any file: left alone (use --prune to delete, or list it in "
                "`ignore`)"
            )
        for field in change.fields:
            lines.append("    " + paint(field_line(field), fg=FIELD_COLORS[field.kind]))
        if change.remote_name in plan.impact:
            for line in plan.impact[change.remote_name]["summary"].splitlines():
                lines.append(f"    {escape_invisible(line)}")
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
