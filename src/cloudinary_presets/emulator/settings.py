"""The emulator's switches for Cloudinary behaviours that cannot be verified from here.

Why switches instead of one guess: where the sources disagree (does ``PUT`` replace or
merge a preset's settings? does the upload response already carry the automatic
moderation decisions, as older docs show, or do they land later, as current docs say?),
a client must be right under every reading. The emulator can be switched to each
reading, so a test can run the same scenario under all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal, cast

PutSemantics = Literal["replace", "merge"]
ModerationTiming = Literal["async", "sync"]

PUT_SEMANTICS: tuple[str, ...] = ("replace", "merge")
MODERATION_TIMINGS: tuple[str, ...] = ("async", "sync")
SIGNATURE_ALGORITHMS: tuple[str, ...] = ("sha1", "sha256")
DEFAULT_MODERATION_DELAY = 0.05
MAX_MODERATION_DELAY = 3600.0


@dataclass(frozen=True)
class Settings:
    """The readings the emulator currently follows (immutable: swapped as a whole).

    * ``put_semantics``: ``replace`` (an update stores exactly the sent settings; empty
      values mean "not set") or ``merge`` (sent settings are merged into the stored ones;
      an empty value clears a setting).
    * ``moderation_timing``: ``async`` (the upload answers ``pending``/``queued``; automatic
      decisions land ``moderation_delay`` seconds later) or ``sync`` (the upload response
      already carries them).
    """

    put_semantics: PutSemantics = "replace"
    moderation_timing: ModerationTiming = "async"
    moderation_delay: float = DEFAULT_MODERATION_DELAY

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def updated(self, changes: dict[str, object]) -> Settings:
        """A copy with ``changes`` applied and validated; ValueError names a bad one."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(
                f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values: dict[str, object] = {}
        for key, value in changes.items():
            if value is None:
                continue
            if key == "put_semantics":
                values[key] = choice(key, value, PUT_SEMANTICS)
            elif key == "moderation_timing":
                values[key] = choice(key, value, MODERATION_TIMINGS)
            else:
                values[key] = delay(value)
        return replace(self, **values)  # type: ignore[arg-type]  # validated above


def choice(key: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def delay(value: object) -> float:
    """Seconds from 0 to an hour (0: decided right after the response)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"moderation_delay must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= MAX_MODERATION_DELAY:
        raise ValueError(f"moderation_delay must be from 0 to {MAX_MODERATION_DELAY:g} seconds")
    return number


def build(
    put_semantics: str = "replace",
    moderation_timing: str = "async",
    moderation_delay: float = DEFAULT_MODERATION_DELAY,
) -> Settings:
    """Validated settings from constructor arguments (ValueError on a bad one)."""
    return Settings(
        put_semantics=cast(PutSemantics, choice("put_semantics", put_semantics, PUT_SEMANTICS)),
        moderation_timing=cast(
            ModerationTiming, choice("moderation_timing", moderation_timing, MODERATION_TIMINGS)
        ),
        moderation_delay=delay(moderation_delay),
    )
