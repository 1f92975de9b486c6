"""What a moderation change means for uploads: per moderator, per Rekognition category.

A threshold is judged by what actually applies, not by the number written: a category
without its own entry falls back to its parent's, then its grandparent's, then the
default (:func:`cloudinary_presets.model.moderation_rule.threshold_for`, the rule the
simulator and the emulator decide with), so removing ``nudity: 0.3`` under
``explicit_nudity: 0.7`` reads "back to the explicit_nudity threshold, less strict".
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudinary_presets.model.changes import FieldChange, Meaning
from cloudinary_presets.model.moderation import (
    IGNORE,
    REKOGNITION_KINDS,
    Moderation,
    Moderator,
)
from cloudinary_presets.model.moderation_rule import DEFAULT_THRESHOLD, Label, threshold_for
from cloudinary_presets.model.taxonomy import V6, V7


def effective(
    category: str, thresholds: Mapping[str, float | None], taxonomy: str | None = None
) -> tuple[float | None, str]:
    """The threshold that applies to labels called ``category`` and the entry it comes
    from, walking the category's ancestry (in ``taxonomy`` when the moderator names one)."""
    return threshold_for(Label(category, "", 0.0, version=taxonomy), thresholds)


def taxonomy_in_use(categories: list[str]) -> str | None:
    """The taxonomy a moderator's names point to when it does not say: ``v7`` when some
    name is only in model 7 and none only in model 6.1, and the other way round."""
    only_v7 = any(c in V7.parent and c not in V6.parent for c in categories)
    only_v6 = any(c in V6.parent and c not in V7.parent for c in categories)
    if only_v7 != only_v6:
        return "v7" if only_v7 else "v6"
    return None


def chain_changes(
    before: Moderation | None, after: Moderation | None, path: str = "settings.moderation"
) -> list[FieldChange]:
    """Per-moderator and per-category changes, with what each means for uploads."""
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
        if _rekognition(moderator) and (old is None or _rekognition(old)):
            changes.extend(_threshold_changes(path, moderator.kind, old, moderator))
        elif old is not None and old.wire() != moderator.wire():
            changes.append(
                FieldChange(
                    path=f"{path}.{moderator.kind}", before=_shown(old), after=_shown(moderator)
                )
            )
    a_by_kind = {m.kind: m for m in a_chain}
    for moderator in b_chain:
        if _rekognition(moderator) and moderator.kind not in a_by_kind:
            changes.extend(_threshold_changes(path, moderator.kind, moderator, None))
    return changes


def _rekognition(moderator: Moderator) -> bool:
    return moderator.kind in REKOGNITION_KINDS and moderator.understood


def _shown(moderator: Moderator) -> object:
    """A moderator's value in a change: its argument, or else its wire text."""
    if moderator.understood and moderator.kind not in REKOGNITION_KINDS:
        return moderator.argument
    return moderator.wire()


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


def _threshold_shown(threshold: float | None) -> float | str:
    return IGNORE if threshold is None else threshold


def _threshold_changes(
    path: str, kind: str, before: Moderator | None, after: Moderator | None
) -> list[FieldChange]:
    """Per-category threshold changes; notes say what each means for uploads."""
    b = before.threshold_map if before is not None else {}
    a = after.threshold_map if after is not None else {}
    taxonomy = (after.taxonomy if after else None) or (before.taxonomy if before else None)
    taxonomy = taxonomy or taxonomy_in_use([*b, *a])
    changes = []
    for category in sorted(set(b) | set(a)):
        has_b, has_a = category in b, category in a
        tb, ta = b.get(category), a.get(category)
        if has_b and has_a and tb == ta:
            continue
        meaning: Meaning | None  # set on both branches
        if before is None or after is None:
            # a moderator added or removed as a whole: the chain line says so
            meaning = Meaning.NOT_MODERATED if has_a and ta is None else None
            note = meaning.value if meaning else ""
        else:
            # compare what actually applies: an absent category falls back to its nearest
            # ancestor's entry, then to the default (the rule in moderation_rule)
            eff_b, _ = effective(category, b, taxonomy)
            eff_a, rule_a = effective(category, a, taxonomy)
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
                before=_threshold_shown(tb) if has_b else None,
                after=_threshold_shown(ta) if has_a else None,
                meaning=meaning,
                note=note,
            )
        )
    return changes
