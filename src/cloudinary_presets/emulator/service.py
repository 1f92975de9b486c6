"""What every request handler shares: the store, the counters, the clock, the quota.

Why a small object instead of module globals: each ``Emulator`` is independent (tests
run many in one process), so the handlers receive their emulator's state explicitly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cloudinary_presets.emulator.moderation_runner import ModerationRunner
from cloudinary_presets.emulator.notifications import Notifier
from cloudinary_presets.emulator.quota import hour_of, next_reset, rate_limit_headers
from cloudinary_presets.emulator.settings import Settings
from cloudinary_presets.emulator.stats import Stats
from cloudinary_presets.emulator.store import CloudRecord, Store


@dataclass
class Service:
    """Shared state. ``settings`` is swapped as a whole (readers see one consistent set);
    ``signature_algorithms`` maps a cloud to the hash its notifications are signed with."""

    store: Store
    stats: Stats
    default_quota: int
    base_url: Callable[[], str]
    clock: Callable[[], float] = field(default=time.time)
    settings: Settings = field(default_factory=Settings)
    signature_algorithms: dict[str, str] = field(default_factory=dict)
    notifier: Notifier = field(init=False)
    moderation: ModerationRunner = field(init=False)

    def __post_init__(self) -> None:
        self.notifier = Notifier()
        self.moderation = ModerationRunner(
            self.store,
            lambda: self.clock(),
            lambda: self.settings,
            self.notifier,
            lambda cloud: self.signature_algorithms.get(cloud, "sha1"),
        )

    def quota_limit(self, record: CloudRecord | None) -> int:
        if record is None or record.quota_limit is None:
            return self.default_quota
        return record.quota_limit

    def quota_state(self, record: CloudRecord | None, now: float) -> tuple[int, int, float]:
        """(limit, remaining, reset time) without spending anything."""
        limit = self.quota_limit(record)
        used = self.store.quota_used(record.account.name, hour_of(now)) if record else 0
        return limit, max(0, limit - used), next_reset(now)

    def quota_headers(self, record: CloudRecord | None, now: float) -> dict[str, str]:
        return rate_limit_headers(*self.quota_state(record, now))

    @staticmethod
    def enabled_addons(record: CloudRecord) -> frozenset[str] | None:
        """The moderation add-ons enabled for a cloud; None means all of them."""
        return frozenset(record.addons) if record.addons is not None else None
