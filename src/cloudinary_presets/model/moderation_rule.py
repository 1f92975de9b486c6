"""How Amazon Rekognition moderation thresholds decide: one pure function, shared.

The moderation simulator (``presets moderation simulate``) and the local emulator's
upload decisions both call :func:`decide`, so what a reviewer sees in a plan is what
the emulator does. This module uses only the standard library: the emulator may import
it without importing the client or the codec.

The rule (documented in the README, "Tuning moderation thresholds"):

* every label is looked up by its own snake_case name first; a second-level label
  without its own entry falls back to its parent's entry;
* an entry of ``ignore`` (``None`` here) means the label is never moderated;
* with no entry at all, the threshold is the default, 0.5;
* a label rejects the asset when its confidence (0..1) is **at or above** the threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cloudinary_presets.model.taxonomy import PARENT, category_name

DEFAULT_THRESHOLD = 0.5

_EPSILON = 1e-9


@dataclass(frozen=True)
class Label:
    """One moderation label: snake_case name, snake_case parent ("" for top level), 0..1."""

    name: str
    parent: str
    confidence: float


def parse_label(obj: Mapping[str, object]) -> Label:
    """Read one label in Cloudinary's or Rekognition's shape (keys in any case).

    Cloudinary: ``{"name": "Suggestive", "parent_name": "", "confidence": 94.9}``;
    Rekognition: ``{"Name": ..., "ParentName": ..., "Confidence": ...}``. Both report
    confidence on a 0-100 scale, which is converted to 0..1. Raises ``ValueError`` with
    a readable message for anything else.
    """
    lowered = {str(k).lower().replace("_", ""): v for k, v in obj.items()}
    name = lowered.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("label has no 'name'")
    parent = lowered.get("parentname") or ""
    if not isinstance(parent, str):
        raise ValueError(f"label {name!r}: 'parent_name' must be a string")
    confidence = lowered.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise ValueError(f"label {name!r}: 'confidence' must be a number from 0 to 100")
    if not 0 <= confidence <= 100:
        raise ValueError(f"label {name!r}: confidence {confidence} is outside 0..100")
    child = category_name(name)
    parent_name = category_name(parent) if parent else PARENT.get(child, "")
    return Label(child, parent_name, float(confidence) / 100.0)


@dataclass(frozen=True)
class Trigger:
    """A label that caused a rejection, with the threshold that it met."""

    label: str
    confidence: float
    threshold: float
    rule: str  # the entry that supplied the threshold: the label, its parent, or "default"


@dataclass(frozen=True)
class Decision:
    rejected: bool
    triggers: tuple[Trigger, ...] = field(default=())

    @property
    def status(self) -> str:
        return "rejected" if self.rejected else "approved"


def threshold_for(
    label: Label, thresholds: Mapping[str, float | None], default: float = DEFAULT_THRESHOLD
) -> tuple[float | None, str]:
    """The threshold that applies to ``label`` and the entry it came from (None = ignored)."""
    for key in (label.name, label.parent):
        if key and key in thresholds:
            return thresholds[key], key
    return default, "default"


def decide(
    thresholds: Mapping[str, float | None],
    labels: Iterable[Label],
    default: float = DEFAULT_THRESHOLD,
) -> Decision:
    """Approve or reject one asset's labels under per-category thresholds."""
    triggers = []
    for label in labels:
        threshold, rule = threshold_for(label, thresholds, default)
        # compare with a tolerance: 57/100 is not exactly 0.57 in binary floating point
        if threshold is not None and label.confidence >= threshold - _EPSILON:
            triggers.append(Trigger(label.name, label.confidence, threshold, rule))
    return Decision(bool(triggers), tuple(triggers))
