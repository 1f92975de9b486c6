"""How Amazon Rekognition moderation thresholds decide: one pure function, shared.

The moderation simulator (``presets moderation simulate``) and the local emulator's
upload decisions both call :func:`decide`, so what a reviewer sees in a plan is what
the emulator does. This module uses only the standard library: the emulator may import
it without importing the client or the codec.

The rule (documented in docs/uploads-and-moderation.md, "The decision rule"):

* a label is looked up by its own snake_case name first, then by each of its ancestors,
  nearest first: its parent, then its grandparent (Rekognition's model 7 has three
  levels). The first entry found decides; the ancestry comes from the label (its
  ``parent_name``) and, above that or when it gives none, from the taxonomy;
* an entry of ``ignore`` (``None`` here) means the label is never moderated: on an
  ancestor it covers every descendant that has no nearer entry of its own;
* with no entry at all, the threshold is the default, 0.5;
* a label rejects the asset when its confidence (0..1) is **at or above** the threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from cloudinary_presets.model.taxonomy import (
    ancestry,
    canonical_category,
    category_name,
    taxonomy_of_model,
)

DEFAULT_THRESHOLD = 0.5

_EPSILON = 1e-9


@dataclass(frozen=True)
class Label:
    """One moderation label: snake_case name, snake_case parent ("" for top level or
    unknown), confidence 0..1, and what it says about its taxonomy (level 1-3, ``v6``/``v7``)."""

    name: str
    parent: str
    confidence: float
    level: int | None = None
    version: str | None = None

    @cached_property
    def lineage(self) -> tuple[str, ...]:
        """The label's name, then its ancestors, nearest first."""
        return (
            canonical_category(self.name),
            *ancestry(self.name, self.parent, level=self.level, version=self.version),
        )


def _lowered(obj: Mapping[str, object]) -> dict[str, object]:
    return {str(k).lower().replace("_", ""): v for k, v in obj.items()}


def parse_label(obj: Mapping[str, object], *, model_version: object = None) -> Label:
    """Read one label in Cloudinary's or Rekognition's shape (keys in any case).

    Cloudinary: ``{"name": "Suggestive", "parent_name": "", "confidence": 94.9}``;
    Rekognition: ``{"Name": ..., "ParentName": ..., "Confidence": ...,
    "TaxonomyLevel": 2}``. Both report confidence on a 0-100 scale, which is converted to
    0..1. ``model_version`` is the response's ``moderation_model_version`` /
    ``ModerationModelVersion`` (a label may carry its own). Raises ``ValueError`` with a
    readable message for anything else.
    """
    lowered = _lowered(obj)
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
    level = lowered.get("taxonomylevel")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int)):
        raise ValueError(f"label {name!r}: 'taxonomy_level' must be 1, 2 or 3")
    version = taxonomy_of_model(lowered.get("moderationmodelversion") or model_version)
    child = category_name(name)
    parent_name = category_name(parent)
    if not parent_name:  # none given: the taxonomy supplies it (top level keeps "")
        parent_name = next(iter(ancestry(child, level=level, version=version)), "")
    return Label(child, parent_name, float(confidence) / 100.0, level or None, version)


@dataclass(frozen=True)
class Trigger:
    """A label that caused a rejection, with the threshold that it met."""

    label: str
    confidence: float
    threshold: float
    rule: str  # the entry that supplied the threshold: the label, an ancestor, or "default"


@dataclass(frozen=True)
class Decision:
    rejected: bool
    triggers: tuple[Trigger, ...] = field(default=())

    @property
    def status(self) -> str:
        return "rejected" if self.rejected else "approved"


def _entries(thresholds: Mapping[str, float | None]) -> dict[str, tuple[str, float | None]]:
    """Entries by canonical name -> (the name as written, its threshold)."""
    return {canonical_category(key): (key, value) for key, value in thresholds.items()}


def _lookup(
    label: Label, entries: Mapping[str, tuple[str, float | None]], default: float
) -> tuple[float | None, str]:
    for key in label.lineage:
        found = entries.get(key)
        if found is not None:
            return found[1], found[0]
    return default, "default"


def threshold_for(
    label: Label, thresholds: Mapping[str, float | None], default: float = DEFAULT_THRESHOLD
) -> tuple[float | None, str]:
    """The threshold that applies to ``label`` and the entry it came from (None = ignored)."""
    return _lookup(label, _entries(thresholds), default)


def decide(
    thresholds: Mapping[str, float | None],
    labels: Iterable[Label],
    default: float = DEFAULT_THRESHOLD,
) -> Decision:
    """Approve or reject one asset's labels under per-category thresholds."""
    entries = _entries(thresholds)
    triggers = []
    for label in labels:
        threshold, rule = _lookup(label, entries, default)
        # compare with a tolerance: 57/100 is not exactly 0.57 in binary floating point
        if threshold is not None and label.confidence >= threshold - _EPSILON:
            triggers.append(Trigger(label.name, label.confidence, threshold, rule))
    return Decision(bool(triggers), tuple(triggers))
