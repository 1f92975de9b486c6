"""Moderation: read the ``moderation`` wire string, and the labels registered for content.

Why here and not in the codec: the emulator must decide uploads from the *wire string*
the client actually sent, so a codec that writes thresholds wrongly is caught. The chain
itself runs in :mod:`moderation_flow` (the state machine) and :mod:`moderation_runner`
(timing, persistence, notifications); Amazon Rekognition decisions go through
:func:`cloudinary_presets.model.moderation_rule.decide`, the one rule the project shares,
so what ``presets moderation simulate`` predicts is what the emulator does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cloudinary_presets.model.moderation_rule import parse_label

#: moderation kinds that need an add-on; ``manual`` is always available.
ADDON_KINDS: tuple[str, ...] = (
    "aws_rek",
    "aws_rek_video",
    "webpurify",
    "perception_point",
    "google_video_moderation",
    "duplicate",
    # legacy (MetaDefender): in the enum of Cloudinary's API schema and the PHP SDK's
    # ModerationType, so presets made long ago may still carry it
    "metascan",
)
ALL_KINDS: frozenset[str] = frozenset((*ADDON_KINDS, "manual"))
#: kinds the Admin API's moderation queues know
QUEUE_KINDS: frozenset[str] = ALL_KINDS

REKOGNITION_KINDS = ("aws_rek", "aws_rek_video")
_NO_ARGUMENTS = ("manual", "webpurify", "perception_point", "metascan")


@dataclass(frozen=True)
class Moderator:
    """One link of the chain: its kind, and thresholds for the Rekognition kinds."""

    kind: str
    thresholds: Mapping[str, float | None] = field(default_factory=dict)
    argument: str = ""


def parse_moderation(value: str) -> list[Moderator]:
    """``aws_rek:explicit_nudity:0.7:suggestive:ignore|manual`` -> the chain.

    Raises ValueError with a readable message for an unknown kind or bad thresholds.
    """
    chain: list[Moderator] = []
    for item in value.split("|"):
        kind, *args = item.strip().split(":")
        if kind in REKOGNITION_KINDS:
            chain.append(Moderator(kind, _thresholds(kind, args)))
        elif kind == "duplicate":
            if len(args) > 1:
                raise ValueError(f"'{item}': duplicate takes one threshold, duplicate:<0..1>")
            if args:
                _unit_interval(item, args[0])
            chain.append(Moderator(kind, argument=args[0] if args else ""))
        elif kind == "google_video_moderation":
            if len(args) > 1 or (args and not args[0]):
                raise ValueError(f"'{item}': use google_video_moderation[:<likelihood>]")
            chain.append(Moderator(kind, argument=args[0] if args else ""))
        elif kind in _NO_ARGUMENTS:
            if args:
                raise ValueError(f"'{item}': {kind} takes no arguments")
            chain.append(Moderator(kind))
        else:
            known = ", ".join(sorted(ALL_KINDS))
            raise ValueError(f"Invalid moderation kind '{kind}' (known kinds: {known})")
    return chain


def _unit_interval(item: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"'{item}': threshold '{text}' must be a number from 0 to 1")
    return number


def _thresholds(kind: str, args: Sequence[str]) -> dict[str, float | None]:
    if len(args) % 2:
        raise ValueError(f"'{kind}:{':'.join(args)}': expected category:threshold pairs")
    thresholds: dict[str, float | None] = {}
    for category, level in zip(args[::2], args[1::2], strict=True):
        if not category:
            raise ValueError(f"'{kind}:{':'.join(args)}': empty category name")
        item = f"{kind}:{category}:{level}"
        thresholds[category] = None if level == "ignore" else _unit_interval(item, level)
    return thresholds


def required_addons(chain: Sequence[Moderator]) -> list[str]:
    """The add-ons a chain needs, in chain order (``manual`` needs none)."""
    return [m.kind for m in chain if m.kind in ADDON_KINDS]


def normalize_labels(raw: object) -> list[dict[str, object]]:
    """Validate registered labels and store them in Cloudinary's shape.

    Accepts Cloudinary's ``name/parent_name/confidence`` or Rekognition's
    ``Name/ParentName/Confidence`` (0-100); raises ValueError otherwise.
    """
    if not isinstance(raw, list):
        raise ValueError("'labels' must be a list of {name, parent_name, confidence} objects")
    labels: list[dict[str, object]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"label {index}: expected an object")
        parse_label(item)  # validates; raises ValueError with a readable message
        lowered = {str(k).lower().replace("_", ""): v for k, v in item.items()}
        labels.append(
            {
                "name": lowered["name"],
                "parent_name": lowered.get("parentname") or "",
                "confidence": lowered["confidence"],
            }
        )
    return labels
