"""Moderation as a model, not a string.

Cloudinary takes moderation as a packed string, ``aws_rek:explicit_nudity:0.7|manual``.
Reordered categories or ``0.70`` versus ``0.7`` make that string a perpetual-diff trap,
and a misspelt category silently disables moderation for it. Here a moderation setting
is a chain of :class:`Moderator` values, parsed from YAML (structured or the raw wire
string) or from Cloudinary's echo, validated, and written back in one canonical form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudinary_presets.errors import ModerationError
from cloudinary_presets.model.changes import FieldChange, Meaning
from cloudinary_presets.model.moderation_rule import DEFAULT_THRESHOLD, Label, threshold_for
from cloudinary_presets.model.taxonomy import CATEGORIES, PARENT
from cloudinary_presets.model.wording import describe_value, shorten, suggest

#: moderators that take no argument
SIMPLE_KINDS = ("manual", "webpurify", "perception_point")
#: moderators with per-category Rekognition thresholds
REKOGNITION_KINDS = ("aws_rek", "aws_rek_video")
#: every moderator kind this tool models, in documentation order
KINDS = (
    "manual",
    "webpurify",
    "aws_rek",
    "aws_rek_video",
    "perception_point",
    "google_video_moderation",
    "duplicate",
)
#: likelihood levels for Google video moderation (unverified against Cloudinary's docs)
GOOGLE_LEVELS = ("very_unlikely", "unlikely", "possible", "likely", "very_likely")
IGNORE = "ignore"
_WIRE_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


def _wire_number(text: str, known: frozenset[str] | None) -> float | None:
    """A number written in a wire string, or None.

    In definitions (``known`` set) only plain decimals, as the JSON Schema says: float()
    would also take "1e-1", "0_5", " .5" and "infinity". What Cloudinary stores
    (``known`` None) is read with float(), because :func:`format_threshold` writes
    ``repr`` (``1e-05``) and must read back.
    """
    if known is not None and not _WIRE_NUMBER.match(text):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def format_threshold(value: float | None) -> str:
    """``None`` -> ``ignore``; numbers in their shortest exact form (``0.7``, ``1.0``)."""
    return IGNORE if value is None else repr(float(value))


@dataclass(frozen=True)
class Moderator:
    """One moderator of a chain.

    ``thresholds`` (Rekognition kinds): category -> threshold, ``None`` for ``ignore``,
    kept sorted by category. ``argument``: the duplicate threshold or the Google level.
    """

    kind: str
    thresholds: tuple[tuple[str, float | None], ...] = ()
    argument: float | str | None = None

    def wire(self) -> str:
        parts = [self.kind]
        for category, threshold in self.thresholds:
            parts += [category, format_threshold(threshold)]
        if self.argument is not None:
            arg = self.argument
            parts.append(repr(float(arg)) if isinstance(arg, float) else str(arg))
        return ":".join(parts)

    def to_yaml(self) -> object:
        """The structured YAML form (what ``presets import`` writes)."""
        if self.kind in REKOGNITION_KINDS and self.thresholds:
            return {self.kind: {c: (IGNORE if t is None else t) for c, t in self.thresholds}}
        if self.argument is not None:
            return {self.kind: self.argument}
        return self.kind

    @property
    def threshold_map(self) -> dict[str, float | None]:
        return dict(self.thresholds)


@dataclass(frozen=True)
class Moderation:
    """A chain of moderators, run in order by Cloudinary; ``manual`` can only be last."""

    chain: tuple[Moderator, ...]

    def __str__(self) -> str:
        return "|".join(m.wire() for m in self.chain)

    def __repr__(self) -> str:
        return f"Moderation({str(self)!r})"

    def to_yaml(self) -> object:
        items = [m.to_yaml() for m in self.chain]
        return items[0] if len(items) == 1 else items

    def get(self, kind: str) -> Moderator | None:
        return next((m for m in self.chain if m.kind == kind), None)

    @staticmethod
    def changes_between(
        before: Moderation | None, after: Moderation | None, *, path: str = "settings.moderation"
    ) -> list[FieldChange]:
        """Per-moderator and per-category changes, with what each means for uploads."""
        return _chain_changes(before, after, path)


# --------------------------------------------------------------------------- parsing


def _threshold(
    value: object,
    where: str,
    subpath: tuple[int | str, ...],
    *,
    text: bool,
    known: frozenset[str] | None = None,
) -> float | None:
    if value == IGNORE:
        return None
    number: float | None = None
    if text and isinstance(value, str):
        number = _wire_number(value, known)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    if number is None or not math.isfinite(number):
        raise ModerationError(
            f"{where}: threshold must be a number with 0 < t <= 1, or `ignore`, "
            f"got {shorten(value)}",
            subpath,
        )
    if not 0 < number <= 1:
        raise ModerationError(
            f"{where}: threshold must be > 0 and <= 1, got {_show(value)}", subpath
        )
    return number


def _show(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


def _check_category(
    category: str,
    kind: str,
    known: frozenset[str] | None,
    subpath: tuple[int | str, ...],
    *,
    key: bool,
) -> None:
    if known is not None and category not in known:
        raise ModerationError(
            f"unknown {kind} category `{category}`{suggest(category, sorted(known))}; a "
            "misspelt category is silently not moderated (declare newer names in "
            "`moderation.extra_categories` of cloudinary-presets.yaml)",
            subpath,
            key=key,
        )


def _rekognition(
    kind: str,
    pairs: Iterable[tuple[str, object]],
    known: frozenset[str] | None,
    base: tuple[int | str, ...],
    *,
    text: bool,
) -> Moderator:
    thresholds: dict[str, float | None] = {}
    for category, value in pairs:
        sub = (*base, kind, category)
        if not isinstance(category, str) or not category:
            raise ModerationError(f"{kind}: category names must be strings", sub)
        _check_category(category, kind, known, sub, key=not text)
        if category in thresholds:
            raise ModerationError(f"{kind}: category `{category}` is given twice", sub)
        thresholds[category] = _threshold(value, f"{kind}.{category}", sub, text=text, known=known)
    return Moderator(kind, tuple(sorted(thresholds.items())))


def _duplicate(
    value: object,
    sub: tuple[int | str, ...],
    *,
    text: bool,
    known: frozenset[str] | None = None,
) -> Moderator:
    number: float | None = None
    if text and isinstance(value, str):
        number = _wire_number(value, known)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    if number is None or not math.isfinite(number) or not 0 <= number <= 1:
        raise ModerationError(
            f"duplicate: threshold must be a number from 0 to 1 (0 only indexes the image), "
            f"got {_show(value)}",
            sub,
        )
    return Moderator("duplicate", argument=number)


def _google(value: object, sub: tuple[int | str, ...]) -> Moderator:
    if value not in GOOGLE_LEVELS:
        raise ModerationError(
            f"google_video_moderation: likelihood must be one of {', '.join(GOOGLE_LEVELS)}, "
            f"got {_show(value)}",
            sub,
        )
    return Moderator("google_video_moderation", argument=str(value))


def _unknown_kind(
    kind: object, sub: tuple[int | str, ...], *, key: bool = False
) -> ModerationError:
    hint = suggest(kind, KINDS) if isinstance(kind, str) else ""
    return ModerationError(
        f"unknown moderator {_show(kind)}{hint}; expected one of {', '.join(KINDS)}",
        sub,
        key=key,
    )


def parse_wire_moderator(
    text: str, known: frozenset[str] | None, sub: tuple[int | str, ...]
) -> Moderator:
    """``aws_rek:explicit_nudity:0.7:suggestive:ignore``, ``duplicate:0.8``, ``manual``."""
    kind, *args = text.split(":")
    if kind in SIMPLE_KINDS and not args:
        return Moderator(kind)
    if kind in REKOGNITION_KINDS:
        if len(args) % 2:
            raise ModerationError(
                f"{kind}: expected category:threshold pairs in {shorten(text)}", sub
            )
        return _rekognition(kind, zip(args[::2], args[1::2], strict=True), known, sub, text=True)
    if kind == "duplicate" and len(args) == 1:
        return _duplicate(args[0], sub, text=True, known=known)
    if kind == "google_video_moderation":
        return Moderator(kind) if not args else _google(":".join(args), sub)
    if kind in KINDS:
        raise ModerationError(f"{kind}: unexpected arguments in {shorten(text)}", sub)
    raise _unknown_kind(kind, sub)


def _from_item(item: object, known: frozenset[str] | None, sub: tuple[int | str, ...]) -> Moderator:
    if isinstance(item, str):
        if item in KINDS and item not in ("duplicate",):
            return Moderator(item)
        if ":" in item:
            return parse_wire_moderator(item, known, sub)
        if item == "duplicate":
            raise ModerationError("duplicate needs a threshold: `duplicate: 0.8`", sub)
        raise _unknown_kind(item, sub)
    if isinstance(item, Mapping):
        if len(item) != 1:
            raise ModerationError(
                "each moderator is a name, or a map with exactly one name as its key", sub
            )
        ((kind, value),) = item.items()
        key_sub = (*sub, kind)
        if kind in REKOGNITION_KINDS:
            if value is None:
                return Moderator(kind)
            if not isinstance(value, Mapping):
                raise ModerationError(
                    f"{kind}: expected a map of category: threshold, got {describe_value(value)}",
                    key_sub,
                )
            return _rekognition(kind, value.items(), known, sub, text=False)
        if kind == "duplicate":
            return _duplicate(value, key_sub, text=False)
        if kind == "google_video_moderation":
            return _google(value, key_sub)
        if kind in SIMPLE_KINDS:
            raise ModerationError(f"{kind} takes no settings; write just `{kind}`", key_sub)
        raise _unknown_kind(kind, key_sub, key=True)
    raise ModerationError(
        f"expected a moderator name, a map or a list, got {describe_value(item)}", sub
    )


def parse_moderation(value: object, known: frozenset[str] | None = CATEGORIES) -> Moderation:
    """Any accepted YAML or wire shape -> a validated :class:`Moderation`.

    ``known`` is the set of accepted Rekognition categories; ``None`` accepts any name
    (used when decoding what Cloudinary already stores).
    """
    items: list[tuple[object, tuple[int | str, ...]]]
    if isinstance(value, str) and "|" in value:
        items = [(part, ()) for part in value.split("|")]
        wire = True
    elif isinstance(value, list):
        if not value:
            raise ModerationError("moderation chain is empty; remove the key instead")
        items = [(item, (i,)) for i, item in enumerate(value)]
        wire = False
    else:
        items = [(value, ())]
        wire = False
    chain = []
    for item, sub in items:
        if wire and isinstance(item, str) and not item.strip():
            raise ModerationError(f"empty moderator in {shorten(value)} (check the '|')")
        chain.append(_from_item(item, known, sub))
    kinds = [m.kind for m in chain]
    for index, moderator in enumerate(chain):
        sub = () if wire or (len(chain) == 1 and not isinstance(value, list)) else (index,)
        if moderator.kind == "manual" and index != len(chain) - 1:
            raise ModerationError("`manual` can only be the last moderator of a chain", sub)
        if moderator.kind in kinds[:index]:  # reported at the second one
            raise ModerationError(f"moderator `{moderator.kind}` appears twice in the chain", sub)
    return Moderation(tuple(chain))


# --------------------------------------------------------------------------- changes


def _chain_changes(
    before: Moderation | None, after: Moderation | None, path: str
) -> list[FieldChange]:
    b_chain = before.chain if before else ()
    a_chain = after.chain if after else ()
    changes: list[FieldChange] = []
    b_kinds = [m.kind for m in b_chain]
    a_kinds = [m.kind for m in a_chain]
    if b_kinds != a_kinds:
        meaning, note = None, ""
        if not a_kinds:
            meaning = Meaning.MODERATION_REMOVED
            note = "moderation removed: uploads are no longer moderated"
        elif not b_kinds:
            meaning, note = Meaning.MODERATION_ADDED, "moderation added"
        elif sorted(b_kinds) == sorted(a_kinds):
            meaning, note = Meaning.REORDERED, "same moderators, new order"
        changes.append(
            FieldChange(
                path=path,
                before=" | ".join(b_kinds) or None,
                after=" | ".join(a_kinds) or None,
                meaning=meaning,
                note=note,
            )
        )
    b_by_kind = {m.kind: m for m in b_chain}
    for moderator in a_chain:
        old = b_by_kind.get(moderator.kind)
        if moderator.kind in REKOGNITION_KINDS:
            changes.extend(_threshold_changes(path, moderator.kind, old, moderator))
        elif old is not None and old.argument != moderator.argument:
            changes.append(
                FieldChange(
                    path=f"{path}.{moderator.kind}", before=old.argument, after=moderator.argument
                )
            )
    for moderator in b_chain:
        if moderator.kind in REKOGNITION_KINDS and moderator.kind not in a_kinds:
            changes.extend(_threshold_changes(path, moderator.kind, moderator, None))
    return changes


def effective(category: str, thresholds: Mapping[str, float | None]) -> tuple[float | None, str]:
    """The threshold that applies to ``category`` under ``thresholds`` and where it comes from."""
    return threshold_for(Label(category, PARENT.get(category, ""), 0.0), thresholds)


def _strictness(before: float | None, after: float | None) -> Meaning | None:
    """What moving a threshold means: a higher threshold rejects less."""
    if before is None and after is None:
        return None
    if after is None:
        return Meaning.NO_LONGER_MODERATED
    if before is None:
        return Meaning.NOW_MODERATED
    if after > before:
        return Meaning.LESS_STRICT
    if after < before:
        return Meaning.STRICTER
    return None


def _shown(threshold: float | None) -> float | str:
    return IGNORE if threshold is None else threshold


def _threshold_changes(
    path: str, kind: str, before: Moderator | None, after: Moderator | None
) -> list[FieldChange]:
    """Per-category threshold changes; notes say what each means for uploads."""
    b = before.threshold_map if before is not None else {}
    a = after.threshold_map if after is not None else {}
    changes = []
    for category in sorted(set(b) | set(a)):
        has_b, has_a = category in b, category in a
        tb, ta = b.get(category), a.get(category)
        if has_b and has_a and tb == ta:
            continue
        meaning: Meaning | None = None
        if before is None or after is None:
            # a moderator added or removed as a whole: the chain line says so
            meaning = Meaning.NOT_MODERATED if has_a and ta is None else None
            note = meaning.value if meaning else ""
        else:
            # compare what actually applies: an absent category falls back to its parent's
            # entry, then to the default (the rule in moderation_rule)
            eff_b, _ = effective(category, b)
            eff_a, rule_a = effective(category, a)
            meaning = _strictness(eff_b, eff_a)
            note = meaning.value if meaning else ""
            if not has_a:
                fallback = (
                    f"the {rule_a} threshold"
                    if rule_a != "default"
                    else f"the default {DEFAULT_THRESHOLD}"
                )
                note = f"back to {fallback}" + (f", {note}" if note else "")
                meaning = meaning or Meaning.FALLBACK
        changes.append(
            FieldChange(
                path=f"{path}.{kind}.{category}",
                before=_shown(tb) if has_b else None,
                after=_shown(ta) if has_a else None,
                meaning=meaning,
                note=note,
            )
        )
    return changes


# --------------------------------------------------------------------------- schema


def moderation_schema() -> dict[str, Any]:
    """The JSON Schema of the moderation setting: every shape :func:`parse_moderation` takes."""
    categories = sorted(CATEGORIES)
    threshold = {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            {"const": "ignore"},
        ]
    }
    rekognition = {
        "type": ["object", "null"],
        "propertyNames": {"enum": categories},
        "additionalProperties": threshold,
    }
    cat = "(?:" + "|".join(categories) + ")"
    # plain decimals (what moderation.py accepts in wire strings): 0 < t <= 1, and 0 <= d <= 1
    thr = r"(?:ignore|0*\.[0-9]*[1-9][0-9]*|0*1(?:\.0*)?)"
    unit = r"(?:0+(?:\.[0-9]*)?|\.[0-9]+|0*1(?:\.0*)?)"
    automatic = (
        rf"(?:webpurify|perception_point|(?:aws_rek|aws_rek_video)(?::{cat}:{thr})*"
        rf"|google_video_moderation(?::(?:{'|'.join(GOOGLE_LEVELS)}))?"
        rf"|duplicate:{unit})"
    )
    # a category given twice inside one Rekognition moderator (aws_rek:a:0.5:a:0.7)
    repeated_category = {"pattern": r":(?!ignore:)([a-z_]+):[^|]*:\1:"}
    # a moderator kind given twice in a wire chain (webpurify|webpurify)
    repeated_kind = {"pattern": r"(?:^|\|)([a-z_]+)(?::[^|]*)?\|(?:[^|]*\|)*\1(?::|\||$)"}
    moderator: dict[str, Any] = {
        "anyOf": [
            {"enum": [k for k in KINDS if k != "duplicate"]},
            {"type": "string", "pattern": rf"^{automatic}$", "not": repeated_category},
            *(
                {
                    "type": "object",
                    "required": [k],
                    "additionalProperties": False,
                    "properties": {k: {"x-ref": "RekognitionThresholds"}},
                }
                for k in REKOGNITION_KINDS
            ),
            {
                "type": "object",
                "required": ["duplicate"],
                "additionalProperties": False,
                "properties": {"duplicate": {"type": "number", "minimum": 0, "maximum": 1}},
            },
            {
                "type": "object",
                "required": ["google_video_moderation"],
                "additionalProperties": False,
                "properties": {"google_video_moderation": {"enum": list(GOOGLE_LEVELS)}},
            },
        ]
    }
    wire_chain = {
        "type": "string",
        "pattern": rf"^(?:{automatic}\|)+(?:{automatic}|manual)$",
        "not": {"anyOf": [repeated_category, repeated_kind]},
    }
    not_manual = {"not": {"const": "manual"}}
    chain = {
        "type": "array",
        "minItems": 1,
        "maxItems": len(KINDS),
        "items": {"x-ref": "Moderator"},
        "anyOf": [
            {"maxItems": n, **({"prefixItems": [not_manual] * (n - 1)} if n > 1 else {})}
            for n in range(1, len(KINDS) + 1)
        ],
        # each kind at most once
        "allOf": [
            {
                "not": {
                    "minContains": 2,
                    "contains": {
                        "anyOf": [
                            {"const": k},
                            {"type": "string", "pattern": f"^{k}:"},
                            {"type": "object", "required": [k]},
                        ]
                    },
                }
            }
            for k in KINDS
        ],
    }
    return {
        "anyOf": [{"x-ref": "Moderator"}, wire_chain, chain],
        "description": "One moderator, or a chain run in order (manual last): manual, "
        "webpurify, perception_point, {aws_rek: {category: threshold|ignore}}, "
        "{aws_rek_video: ...}, {duplicate: 0..1}, google_video_moderation, or the raw "
        "wire string aws_rek:explicit_nudity:0.7|manual.",
        "x-defs": {"Moderator": moderator, "RekognitionThresholds": rekognition},
    }
