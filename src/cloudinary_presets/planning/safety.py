"""Safety checks on a plan: octoDNS-style thresholds and the Admin API quota.

They judge a plan, not an apply: the same function runs at plan time (so a pull
request shows that ``apply`` would refuse) and at apply time (which refuses).
"""

from __future__ import annotations

from cloudinary_presets.definitions.config import Safety
from cloudinary_presets.errors import RefusedError
from cloudinary_presets.planning.plan import Action, Plan


def check_safety(plan: Plan, safety: Safety, *, empty_definitions: bool = False) -> None:
    """octoDNS-style thresholds and the quota check; raises RefusedError with the numbers."""
    existing = plan.managed_existing
    counts = plan.counts
    if empty_definitions and counts[Action.DELETE]:
        raise RefusedError(
            f"no definitions were found, and the plan would delete all {counts[Action.DELETE]} "
            "remote preset(s)",
            hint="check the presets folder; pass --force if deleting everything is intended",
        )
    if existing >= safety.min_existing and existing:
        for action, limit in (
            (Action.UPDATE, safety.max_update_percent),
            (Action.DELETE, safety.max_delete_percent),
        ):
            share = 100.0 * counts[action] / existing
            if share > limit:
                raise RefusedError(
                    f"too many {action.value}s: {share:.2f}% is over {limit:.2f}% "
                    f"({counts[action]}/{existing} managed presets)",
                    hint="review the plan; pass --force to apply it anyway, or raise "
                    f"safety.max_{action.value}_percent in cloudinary-presets.yaml",
                )
    remaining = plan.quota_remaining
    if remaining is not None and plan.apply_calls > remaining:
        when = f" (resets {plan.quota_reset:%Y-%m-%d %H:%M} UTC)" if plan.quota_reset else ""
        raise RefusedError(
            f"not enough Admin API quota: this apply needs {plan.apply_calls} call(s), "
            f"{remaining} remain{when}",
            hint="wait for the reset, apply a part with --only, or pass --force",
        )
