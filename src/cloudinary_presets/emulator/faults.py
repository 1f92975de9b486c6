"""Seeded, reproducible HTTP fault injection.

Why: the client's retry and reconciliation logic (a create whose response is lost, a
rate limit mid-apply, a connection reset while reading the body) can only be tested
against a server that fails on purpose, at exactly the request a test names, the same
way on every run. Selection is per rule: each rule counts the requests that match its
method and path, and picks among them by ``nth``, ``count`` or a seeded ``rate``; every
rule has its own random stream, derived from the seed and its position, so adding a
rule never changes which requests another rule hits.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields

KINDS = ("latency", "status", "reset", "truncate")
METHODS = ("*", "GET", "POST", "PUT", "DELETE")


@dataclass(frozen=True)
class FaultRule:
    """One fault: what (``kind``), when, on which requests, and how.

    ``when="before"``: the request is not processed; ``"after"``: it is processed (and
    committed), then the fault hits the response. Selection: ``rate`` (0..1, seeded),
    ``nth`` (1-based indexes among matching requests) or ``count`` (the first n); none
    of them selects every matching request.
    """

    kind: str
    when: str = "before"
    method: str = "*"
    path: str = "*"
    rate: float | None = None
    nth: Sequence[int] | None = None
    count: int | None = None
    status: int | None = None
    message: str | None = None
    retry_after: float | None = None
    reset_seconds: float | None = None
    latency_ms: float = 0
    jitter_ms: float = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.when not in ("before", "after"):
            raise ValueError(f"fault 'when' must be 'before' or 'after', not {self.when!r}")
        if not isinstance(self.method, str) or not isinstance(self.path, str):
            raise ValueError("fault 'method' and 'path' must be strings")
        method = self.method.upper()
        if method not in METHODS:
            raise ValueError(f"fault method {self.method!r} is not one of {', '.join(METHODS)}")
        object.__setattr__(self, "method", method)
        chosen = [n for n in ("rate", "nth", "count") if getattr(self, n) is not None]
        if len(chosen) > 1:
            raise ValueError(f"a fault rule selects by one of rate, nth, count; got {chosen}")
        if self.rate is not None and not 0 <= self.rate <= 1:
            raise ValueError(f"fault rate {self.rate} must be between 0 and 1")
        if self.nth is not None:
            nth = tuple(self.nth)
            if not nth or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in nth):
                raise ValueError("fault 'nth' must be a non-empty list of 1-based indexes")
            object.__setattr__(self, "nth", nth)
        if self.count is not None and self.count < 0:
            raise ValueError("fault 'count' must be 0 or more")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"fault status {self.status} is not an HTTP status")
        if self.kind == "latency" and self.latency_ms <= 0 and self.jitter_ms <= 0:
            raise ValueError("a latency fault needs latency_ms (and optionally jitter_ms) > 0")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must not be negative")

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FaultRule:
        """Build a rule from a dict with the same keys; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault rule key(s): {', '.join(unknown)}")
        if "kind" not in data:
            raise ValueError("a fault rule needs a 'kind'")
        try:
            return cls(**data)  # type: ignore[arg-type]
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"bad fault rule: {exc}") from None

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        if self.nth is not None:
            data["nth"] = list(self.nth)
        return data

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and fnmatch.fnmatchcase(path, self.path)


def coerce_rules(rules: Iterable[FaultRule | Mapping[str, object]]) -> list[FaultRule]:
    """Accept rules as FaultRule objects or plain dicts."""
    return [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]


@dataclass(frozen=True)
class Selection:
    """The faults that hit one request: latency to add, and at most one terminal rule."""

    latency_before: float = 0.0
    latency_after: float = 0.0
    terminal: FaultRule | None = None
    injected: int = 0  # how many rules fired and are applied (for the stats)


class FaultInjector:
    """The active rule set; thread-safe, replaced as a whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._seen: list[int] = []
        self._streams: list[random.Random] = []
        self._seed: int | None = None

    def set(
        self, rules: Iterable[FaultRule | Mapping[str, object]], seed: int | None = None
    ) -> None:
        """Replace the rule set; counters start again from zero."""
        parsed = coerce_rules(rules)
        base = seed if seed is not None else random.SystemRandom().randrange(2**63)
        with self._lock:
            self._rules = parsed
            self._seed = seed
            self._seen = [0] * len(parsed)
            self._streams = [random.Random(f"{base}/{i}") for i in range(len(parsed))]

    def clear(self) -> None:
        self.set([])

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {"rules": [r.to_dict() for r in self._rules], "seed": self._seed}

    def select(self, method: str, path: str) -> Selection:
        """Decide (and consume) the faults for one request."""
        before = after = 0.0
        terminal: FaultRule | None = None
        injected = 0
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(method, path):
                    continue
                self._seen[index] += 1
                stream = self._streams[index]
                if not self._picked(rule, self._seen[index], stream):
                    continue
                if rule.kind == "latency":
                    delay = (rule.latency_ms + stream.uniform(0, rule.jitter_ms)) / 1000.0
                    if rule.when == "before":
                        before += delay
                    else:
                        after += delay
                    injected += 1
                elif terminal is None:
                    terminal = rule
                    injected += 1
        return Selection(before, after, terminal, injected)

    @staticmethod
    def _picked(rule: FaultRule, seen: int, stream: random.Random) -> bool:
        if rule.nth is not None:
            return seen in rule.nth
        if rule.count is not None:
            return seen <= rule.count
        if rule.rate is not None:
            return stream.random() < rule.rate
        return True
