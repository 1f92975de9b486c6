"""Moderation: read the ``moderation`` wire string and run the chain on an upload.

Why here and not in the codec: the emulator must decide uploads the way Cloudinary
documents it (chain order; the first rejection aborts the rest; ``manual`` leaves the
asset pending and queues what follows) from the *wire string* the client actually sent,
so a codec that writes thresholds wrongly is caught. Amazon Rekognition decisions go
through :func:`cloudinary_presets.model.moderation_rule.decide`, the one rule the project
shares, so what ``presets moderation simulate`` predicts is what the emulator does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cloudinary_presets.model.moderation_rule import decide, parse_label

#: moderation kinds that need an add-on; ``manual`` is always available.
ADDON_KINDS: tuple[str, ...] = (
    "aws_rek",
    "aws_rek_video",
    "webpurify",
    "perception_point",
    "google_video_moderation",
    "duplicate",
)
ALL_KINDS: frozenset[str] = frozenset((*ADDON_KINDS, "manual"))

_REKOGNITION = ("aws_rek", "aws_rek_video")
_NO_ARGUMENTS = ("manual", "webpurify", "perception_point")


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
        if kind in _REKOGNITION:
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


@dataclass(frozen=True)
class Outcome:
    """The ``moderation`` array of an upload response and the asset's overall status."""

    entries: list[dict[str, object]]
    status: str


def run_chain(
    chain: Sequence[Moderator], labels: Sequence[Mapping[str, object]], updated_at: str
) -> Outcome:
    """Run the chain in order on an asset whose Rekognition labels are ``labels``.

    An asset with no registered labels is approved by Rekognition. After a rejection the
    rest are ``aborted``; after a ``pending`` (manual) one the rest are ``queued``.
    """
    entries: list[dict[str, object]] = []
    state = "running"  # running -> rejected | pending
    for moderator in chain:
        entry: dict[str, object] = {"kind": moderator.kind}
        if state == "rejected":
            entry["status"] = "aborted"
        elif state == "pending":
            entry["status"] = "queued"
        elif moderator.kind == "manual":
            entry["status"] = "pending"
            state = "pending"
        elif moderator.kind in _REKOGNITION:
            decision = decide(moderator.thresholds, [parse_label(label) for label in labels])
            entry["status"] = decision.status
            entry["response"] = {"moderation_labels": [dict(label) for label in labels]}
            if decision.rejected:
                state = "rejected"
        else:
            entry["status"] = "approved"
        entry["updated_at"] = updated_at
        entries.append(entry)
    statuses = {str(e["status"]) for e in entries}
    if "rejected" in statuses:
        overall = "rejected"
    elif statuses & {"pending", "queued"}:
        overall = "pending"
    else:
        overall = "approved"
    return Outcome(entries, overall)


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
