"""Wait for an asset's automatic moderators to decide, spending as few Admin API calls
as possible.

Cloudinary decides asynchronously and every poll of the resource details costs one call
of the hourly Admin API quota, so polling backs off (0.5 s, then half as long again each
time, up to 8 s: the verdict is seen at most about half the waiting time late) and slows
to the longest interval when the quota the server reports runs low. Waiting
stops as soon as no automatic moderator is left to decide: a ``manual`` step pending is
a person's job, not something to poll for. Learning verdicts from notifications costs
nothing; polling is for scripts and command lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cloudinary_presets.errors import ModerationTimeout
from cloudinary_presets.model.moderation_state import ModerationState

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class PollSchedule:
    """Delays between polls: ``first``, times ``factor`` each time, at most ``cap``; at the
    cap whenever fewer than ``low_quota`` Admin API calls are left this hour."""

    first: float = 0.5
    factor: float = 1.5
    cap: float = 8.0
    low_quota: int = 25

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield min(delay, self.cap)
            delay *= self.factor


def wait_until_settled(
    read: Callable[[], ModerationState],
    *,
    public_id: str,
    timeout: float = DEFAULT_TIMEOUT,
    initial: ModerationState | None = None,
    schedule: PollSchedule | None = None,
    quota_remaining: Callable[[], int | None] = lambda: None,
    on_poll: Callable[[ModerationState], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ModerationState:
    """Call ``read`` (one Admin API call) until its state is settled; the last read is
    made at the deadline, then :class:`ModerationTimeout` says what was still deciding.

    ``initial`` is a state already known (the upload response): settled, it is the
    answer without a call; otherwise the first call waits one delay. ``on_poll`` sees each
    unsettled state (for progress lines).
    """
    schedule = schedule or PollSchedule()
    delays = schedule.delays()
    started = clock()
    calls = 0
    state = initial
    while True:
        if state is None:
            state = read()
            calls += 1
        if state.settled:
            return state
        if on_poll is not None:
            on_poll(state)
        elapsed = clock() - started
        left = timeout - elapsed
        if left <= 0:
            raise ModerationTimeout(public_id, state.waiting_for or "moderation", elapsed, calls)
        delay = next(delays)
        remaining = quota_remaining()
        if remaining is not None and remaining < schedule.low_quota:
            delay = max(delay, schedule.cap)
        sleep(min(delay, left))
        state = None
