"""Safety checks on a plan: octoDNS-style thresholds, protected presets, the Admin API quota.

This is the one place they live. :func:`judge` returns the reasons as data; it never
raises, so the same judgement is shown by ``plan`` (a pull request sees that ``apply``
would refuse, and why) and enforced by ``apply`` (:func:`refusal` turns the reasons that
still stand into the error). The quota is only a warning at plan time: the quota left
when applying is what counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudinary_presets.definitions.config import Safety
from cloudinary_presets.errors import RefusedError
from cloudinary_presets.model.names import matches
from cloudinary_presets.planning.plan import Action, Check, Plan, SafetyReason


def judge(
    plan: Plan,
    safety: Safety,
    *,
    protect: Sequence[str] = (),
    empty_definitions: bool = False,
) -> tuple[SafetyReason, ...]:
    """Every reason ``apply`` would refuse ``plan``, in a stable order (empty: none)."""
    reasons: list[SafetyReason] = []
    counts = plan.counts
    protected = [c.remote_name for c in plan.of(Action.DELETE) if matches(c.remote_name, protect)]
    if protected:
        reasons.append(
            SafetyReason(
                check=Check.PROTECTED,
                message=f"the plan would delete protected preset(s): {', '.join(protected)}",
                hint="restore their definitions, or remove them from `protect` in "
                "cloudinary-presets.yaml first (--force does not override protection)",
                overridable=False,
            )
        )
    if empty_definitions and counts[Action.DELETE]:
        reasons.append(
            SafetyReason(
                check=Check.EMPTY_DEFINITIONS,
                message=f"no definitions were found, and the plan would delete all "
                f"{counts[Action.DELETE]} remote preset(s)",
                hint="check the presets folder; pass --force if deleting everything is intended",
            )
        )
    existing = plan.managed_existing
    if existing >= safety.min_existing and existing:
        for action, check, limit in (
            (Action.UPDATE, Check.MAX_UPDATE_PERCENT, safety.max_update_percent),
            (Action.DELETE, Check.MAX_DELETE_PERCENT, safety.max_delete_percent),
        ):
            share = 100.0 * counts[action] / existing
            if share > limit:
                reasons.append(
                    SafetyReason(
                        check=check,
                        message=f"too many {action.value}s: {share:.2f}% is over {limit:.2f}% "
                        f"({counts[action]}/{existing} managed presets)",
                        hint="review the plan; pass --force to apply it anyway, or raise "
                        f"safety.{check.value} in cloudinary-presets.yaml",
                    )
                )
    remaining = plan.quota_remaining
    if remaining is not None and plan.apply_calls > remaining:
        when = f" (resets {plan.quota_reset:%Y-%m-%d %H:%M} UTC)" if plan.quota_reset else ""
        reasons.append(
            SafetyReason(
                check=Check.QUOTA,
                message=f"not enough Admin API quota: this apply needs {plan.apply_calls} "
                f"call(s), {remaining} remain{when}",
                hint="wait for the reset, apply a part with --only, or pass --force",
                refuses_plan=False,
            )
        )
    return tuple(reasons)


def refusal(reasons: Sequence[SafetyReason]) -> RefusedError | None:
    """The error for the reasons that stand (``None`` when there are none)."""
    if not reasons:
        return None
    message = "\n  ".join(r.message for r in reasons)
    hints = "\n  hint: ".join(dict.fromkeys(r.hint for r in reasons if r.hint))
    return RefusedError(message, hint=hints)
