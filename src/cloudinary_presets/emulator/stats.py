"""Request counters, so tests and benchmarks can assert how many calls a client made.

Why counters and not a request log: benchmarks make thousands of calls; what they
assert is "listing 3,000 presets took 6 GETs" or "apply made exactly n writes".
Every request that reached routing is counted (including failed and faulted ones);
control endpoints and asset delivery are not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

REQUEST_KEYS = (
    "GET /upload_presets",
    "GET /upload_presets/{name}",
    "POST /upload_presets",
    "PUT /upload_presets/{name}",
    "DELETE /upload_presets/{name}",
    "GET /ping",
    "POST /{resource_type}/upload",
    "GET /resources/{resource_type}/{type}/{public_id}",
    "POST /resources/{resource_type}/{type}/{public_id}",
    "GET /resources/{resource_type}/moderations/{kind}/{status}",
    "GET /resources/{asset_id}",
    "other",
)


@dataclass
class Counters:
    requests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REQUEST_KEYS, 0))
    admin_calls: int = 0
    writes: int = 0  # successful preset mutations
    uploads: int = 0  # successful uploads
    faults_injected: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "requests": dict(self.requests),
            "admin_calls": self.admin_calls,
            "writes": self.writes,
            "uploads": self.uploads,
            "faults_injected": self.faults_injected,
        }


class Stats:
    """Totals plus the same counters per known cloud; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = Counters()
        self._by_cloud: dict[str, Counters] = {}

    def reset(self) -> None:
        with self._lock:
            self._total = Counters()
            self._by_cloud = {}

    def _targets(self, cloud: str | None) -> list[Counters]:
        if cloud is None:
            return [self._total]
        return [self._total, self._by_cloud.setdefault(cloud, Counters())]

    def request(self, cloud: str | None, key: str, admin: bool) -> None:
        key = key if key in REQUEST_KEYS else "other"
        with self._lock:
            for counters in self._targets(cloud):
                counters.requests[key] += 1
                counters.admin_calls += int(admin)

    def write(self, cloud: str) -> None:
        with self._lock:
            for counters in self._targets(cloud):
                counters.writes += 1

    def upload(self, cloud: str) -> None:
        with self._lock:
            for counters in self._targets(cloud):
                counters.uploads += 1

    def faults(self, cloud: str | None, n: int) -> None:
        with self._lock:
            for counters in self._targets(cloud):
                counters.faults_injected += n

    def snapshot(self) -> dict[str, object]:
        """Totals at the top level, plus ``by_cloud``."""
        with self._lock:
            data = self._total.to_dict()
            data["by_cloud"] = {name: c.to_dict() for name, c in sorted(self._by_cloud.items())}
        return data
