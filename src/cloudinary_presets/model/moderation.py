"""Moderation as a model, not a string.

Cloudinary takes moderation as a packed string, ``aws_rek:explicit_nudity:0.7|manual``.
Reordered categories or ``0.70`` versus ``0.7`` make that string a perpetual-diff trap,
and a misspelt category silently disables moderation for it. Here a moderation setting
is a chain of :class:`Moderator` values, parsed from YAML (structured or the raw wire
string) or from Cloudinary's echo, validated, and written back in one canonical form.

Two rules keep it honest about what it does not know. A Rekognition category that is
not in either taxonomy is an error only when it is within two edits of a known name (a
typo, with the suggestion); farther from all it is accepted (the ``unknown-category``
lint warns), because Cloudinary may know categories this tool does not. And whatever
Cloudinary stores is read without judgement: a moderator this tool does not understand
(``metascan``, a malformed threshold, ``manual`` in the middle) is kept verbatim, and is
written to YAML as a raw entry, ``{raw: "metascan"}``, that is sent exactly as it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from cloudinary_presets.errors import ModerationError
from cloudinary_presets.model.taxonomy import (
    CATEGORIES,
    VERSIONS,
    canonical_category,
    categories_of,
    category_name,
)
from cloudinary_presets.model.wording import describe_value, nearest, shorten, suggest

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
#: kinds Cloudinary once had (its API spec and the PHP SDK still list them)
LEGACY_KINDS = {"metascan": "the legacy MetaDefender malware scan"}
#: likelihood levels for Google video moderation (unverified against Cloudinary's docs)
GOOGLE_LEVELS = ("very_unlikely", "unlikely", "possible", "likely", "very_likely")
IGNORE = "ignore"
#: the most moderators a chain may have (each kind once, plus raw entries)
MAX_CHAIN = 16
#: the key of a raw entry, ``{raw: "<wire text>"}``: kept and sent verbatim
RAW = "raw"
#: the key of a Rekognition moderator's taxonomy hint (local only, never sent)
TAXONOMY = "taxonomy"
_WIRE_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_]*\Z")


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
    ``taxonomy``: which Rekognition taxonomy the categories come from (``v6``/``v7``), a
    local validation hint that is never sent and never compared. ``text``: the wire text
    of a moderator this tool does not understand, kept verbatim. ``verbatim``: it came
    from a raw entry (or from Cloudinary) and is not held to the local rules.
    """

    kind: str
    thresholds: tuple[tuple[str, float | None], ...] = ()
    argument: float | str | None = None
    taxonomy: str | None = field(default=None, compare=False)
    text: str | None = None
    verbatim: bool = field(default=False, compare=False)

    def wire(self) -> str:
        if self.text is not None:
            return self.text
        parts = [self.kind]
        for category, threshold in self.thresholds:
            parts += [category, format_threshold(threshold)]
        if self.argument is not None:
            arg = self.argument
            parts.append(repr(float(arg)) if isinstance(arg, float) else str(arg))
        return ":".join(parts)

    def to_yaml(self) -> object:
        """The structured YAML form (what ``presets import`` writes)."""
        if self.verbatim or self.text is not None:
            return {RAW: self.wire()}
        if self.kind in REKOGNITION_KINDS and (self.thresholds or self.taxonomy):
            body: dict[str, object] = {TAXONOMY: self.taxonomy} if self.taxonomy else {}
            body.update({c: (IGNORE if t is None else t) for c, t in self.thresholds})
            return {self.kind: body}
        if self.argument is not None:
            return {self.kind: self.argument}
        return self.kind

    @property
    def threshold_map(self) -> dict[str, float | None]:
        return dict(self.thresholds)

    @property
    def understood(self) -> bool:
        """False for a moderator kept only as its wire text."""
        return self.text is None


@dataclass(frozen=True)
class Moderation:
    """A chain of moderators, run in order by Cloudinary; ``manual`` can only be last."""

    chain: tuple[Moderator, ...]

    def __str__(self) -> str:
        return "|".join(m.wire() for m in self.chain)

    def __repr__(self) -> str:
        return f"Moderation({str(self)!r})"

    def to_yaml(self, known: frozenset[str] = CATEGORIES) -> object:
        """The YAML form, guaranteed to read back under the local rules: a moderator the
        rules would refuse becomes a raw entry, and a chain they would refuse (``manual``
        in the middle, a kind twice) becomes one raw entry for the whole chain."""
        items = []
        for moderator in self.chain:
            item = moderator.to_yaml()
            if not (isinstance(item, dict) and RAW in item):
                try:
                    _from_item(item, known, ())
                except ModerationError:
                    item = {RAW: moderator.wire()}
            items.append(item)
        value: object = items[0] if len(items) == 1 else items
        try:
            parse_moderation(value, known)
        except ModerationError:
            value = {RAW: str(self)}
        return value

    def get(self, kind: str) -> Moderator | None:
        return next((m for m in self.chain if m.kind == kind and m.understood), None)


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
    """A typo of a known name is an error; a name far from all is accepted (and linted)."""
    if known is None or category in known:
        return
    if not _CATEGORY.match(category):
        hint = category_name(category)
        raise ModerationError(
            f"{kind} category `{category}` is not a category name: use lowercase letters, "
            "digits and _" + (f" (did you mean `{hint}`?)" if hint else ""),
            subpath,
            key=key,
        )
    close = nearest(category, sorted(known))
    if close is not None:
        raise ModerationError(
            f"unknown {kind} category `{category}` (did you mean `{close}`?); a misspelt "
            "category is silently not moderated (declare a newer name in "
            "`moderation.extra_categories` of cloudinary-presets.yaml)",
            subpath,
            key=key,
        )


def _known_for(known: frozenset[str] | None, taxonomy: str | None) -> frozenset[str] | None:
    """The names a moderator may use: its taxonomy's (or both), plus configured extras."""
    if known is None or taxonomy is None:
        return known
    return categories_of(taxonomy) | (known - CATEGORIES)


def _rekognition(
    kind: str,
    pairs: Iterable[tuple[str, object]],
    known: frozenset[str] | None,
    base: tuple[int | str, ...],
    *,
    text: bool,
    taxonomy: str | None = None,
) -> Moderator:
    thresholds: dict[str, float | None] = {}
    seen: dict[str, str] = {}
    allowed = _known_for(known, taxonomy)
    for category, value in pairs:
        sub = (*base, kind, category)
        if not isinstance(category, str) or not category:
            raise ModerationError(f"{kind}: category names must be strings", sub)
        _check_category(category, kind, allowed, sub, key=not text)
        other = seen.get(canonical_category(category))
        if other is not None:
            same = "" if other == category else f" (`{other}` is another spelling of it)"
            raise ModerationError(f"{kind}: category `{category}` is given twice{same}", sub)
        seen[canonical_category(category)] = category
        thresholds[category] = _threshold(value, f"{kind}.{category}", sub, text=text, known=known)
    return Moderator(kind, tuple(sorted(thresholds.items())), taxonomy=taxonomy)


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
    legacy = LEGACY_KINDS.get(kind) if isinstance(kind, str) else None
    keep = (
        f"; `{kind}` is {legacy}: to keep it, write it as a raw entry `{{raw: {kind}}}`"
        if legacy
        else "; to keep a moderator this tool does not know, write it as a raw entry "
        "`{raw: <as Cloudinary stores it>}`"
    )
    return ModerationError(
        f"unknown moderator {_show(kind)}{hint}; expected one of {', '.join(KINDS)}{keep}",
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


def _verbatim(text: str, *, raw: bool) -> Moderator:
    """One moderator as stored: understood when it parses (any category name), else kept
    as its text. ``raw``: written as a raw entry, so exempt from the chain rules. Never
    raises."""
    try:
        moderator = parse_wire_moderator(text, None, ())
        return replace(moderator, verbatim=True) if raw else moderator
    except ModerationError:
        return Moderator(text.split(":", 1)[0], text=text, verbatim=True)


def _raw_entry(value: object, sub: tuple[int | str, ...]) -> list[Moderator]:
    if not isinstance(value, str) or not value:
        raise ModerationError(
            f"a raw entry is the moderator exactly as Cloudinary stores it, a non-empty string; "
            f"got {describe_value(value)}",
            (*sub, RAW),
        )
    return [_verbatim(part, raw=True) for part in value.split("|")]


def _taxonomy_hint(body: dict[str, object], kind: str, sub: tuple[int | str, ...]) -> str | None:
    hint = body.pop(TAXONOMY, None)
    if hint is not None and hint not in VERSIONS:
        raise ModerationError(
            f"{kind}.taxonomy: must be one of {', '.join(VERSIONS)} (Rekognition's model 6.1 "
            f"or 7 label names), got {_show(hint)}",
            (*sub, kind, TAXONOMY),
        )
    return hint if isinstance(hint, str) else None


def _from_item(
    item: object, known: frozenset[str] | None, sub: tuple[int | str, ...]
) -> list[Moderator]:
    if isinstance(item, str):
        if item in KINDS and item not in ("duplicate",):
            return [Moderator(item)]
        if ":" in item:
            return [parse_wire_moderator(item, known, sub)]
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
        if kind == RAW:
            return _raw_entry(value, sub)
        if kind in REKOGNITION_KINDS:
            if value is None:
                return [Moderator(kind)]
            if not isinstance(value, Mapping):
                raise ModerationError(
                    f"{kind}: expected a map of category: threshold, got {describe_value(value)}",
                    key_sub,
                )
            body = dict(value)
            hint = _taxonomy_hint(body, kind, sub)
            return [_rekognition(kind, body.items(), known, sub, text=False, taxonomy=hint)]
        if kind == "duplicate":
            return [_duplicate(value, key_sub, text=False)]
        if kind == "google_video_moderation":
            return [_google(value, key_sub)]
        if kind in SIMPLE_KINDS:
            raise ModerationError(f"{kind} takes no settings; write just `{kind}`", key_sub)
        raise _unknown_kind(kind, key_sub, key=True)
    raise ModerationError(
        f"expected a moderator name, a map or a list, got {describe_value(item)}", sub
    )


def parse_moderation(value: object, known: frozenset[str] | None = CATEGORIES) -> Moderation:
    """Any accepted YAML or wire shape -> a validated :class:`Moderation`.

    ``known`` is the set of known Rekognition categories (a typo of one is refused);
    ``None`` accepts any name. Raw entries are exempt from every rule but their shape.
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
    if len(items) > MAX_CHAIN:
        raise ModerationError(f"a chain of {len(items)} moderators; at most {MAX_CHAIN}")
    chain: list[Moderator] = []
    positions: list[int] = []
    for index, (item, sub) in enumerate(items):
        if wire and isinstance(item, str) and not item.strip():
            raise ModerationError(f"empty moderator in {shorten(value)} (check the '|')")
        parsed = _from_item(item, known, sub)
        chain.extend(parsed)
        positions.extend([index] * len(parsed))
    _check_chain(chain, positions, len(items), single=wire or not isinstance(value, list))
    return Moderation(tuple(chain))


def _check_chain(chain: list[Moderator], positions: list[int], count: int, *, single: bool) -> None:
    """``manual`` last, each kind once: among the moderators held to the rules."""
    seen: set[str] = set()
    for moderator, index in zip(chain, positions, strict=True):
        if moderator.verbatim:
            continue
        sub: tuple[int | str, ...] = () if single else (index,)
        if moderator.kind == "manual" and index != count - 1:
            raise ModerationError("`manual` can only be the last moderator of a chain", sub)
        if moderator.kind in seen:  # reported at the second one
            raise ModerationError(f"moderator `{moderator.kind}` appears twice in the chain", sub)
        seen.add(moderator.kind)


def parse_remote_moderation(text: str) -> Moderation:
    """What Cloudinary stores, read without judgement: every moderator is kept, understood
    where it can be (any category name), verbatim where it cannot. Never raises."""
    return Moderation(tuple(_verbatim(part, raw=False) for part in text.split("|")))


def verbatim_reasons(
    moderation: Moderation, known: frozenset[str] = CATEGORIES
) -> list[tuple[str, str]]:
    """(moderator, why) for each moderator the local rules would refuse, kept verbatim."""
    reasons = []
    for moderator in moderation.chain:
        if not moderator.understood:
            legacy = LEGACY_KINDS.get(moderator.kind)
            why = f"{legacy}, " if legacy else ""
            reasons.append((moderator.wire(), f"{why}a moderator this tool does not understand"))
            continue
        if not moderator.verbatim:
            continue
        try:
            _from_item(moderator.wire(), known, ())
        except ModerationError as exc:
            reasons.append((moderator.wire(), exc.message.split("; ", 1)[0]))
    strict = [replace(m, verbatim=False) for m in moderation.chain]
    try:
        _check_chain(strict, list(range(len(strict))), len(strict), single=True)
    except ModerationError as exc:
        reasons.append((str(moderation), exc.message))
    return reasons


def raw_entries(moderation: Moderation, known: frozenset[str] = CATEGORIES) -> list[str]:
    """The raw entries :meth:`Moderation.to_yaml` writes: what is kept verbatim."""
    value = moderation.to_yaml(known)
    items = value if isinstance(value, list) else [value]
    return [str(item[RAW]) for item in items if isinstance(item, dict) and RAW in item]


def unknown_categories(
    moderation: Moderation, known: frozenset[str] = CATEGORIES
) -> list[tuple[str, str, str | None]]:
    """(kind, category, taxonomy hint) for each Rekognition category in neither taxonomy
    (or not in the one its moderator names), extras in ``known`` counting as known. A raw
    entry is not looked into: it is kept verbatim as a whole."""
    found: list[tuple[str, str, str | None]] = []
    for moderator in moderation.chain:
        if moderator.verbatim:
            continue
        allowed = _known_for(known, moderator.taxonomy) or known
        found.extend(
            (moderator.kind, category, moderator.taxonomy)
            for category, _ in moderator.thresholds
            if category not in allowed
        )
    return found
