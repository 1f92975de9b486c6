"""Amazon Rekognition's content-moderation taxonomies, v6.1 and v7, as Cloudinary's names.

Cloudinary's ``aws_rek:<category>:<threshold>`` names a Rekognition label in lowercase
with underscores (``Female Swimwear Or Underwear`` -> ``female_swimwear_or_underwear``).
AWS moved moderation from model 6.1 (two levels) to model 7 (three levels, new top-level
names) in 2024; which names Cloudinary accepts today is not confirmed, so both are known
and a preset may say which one it means. A label is judged by its own entry, then its
parent's, then its grandparent's (:mod:`moderation_rule`); :func:`ancestry` builds that
chain from the taxonomy when a label does not carry it.

Standard library only: the emulator imports it (through :mod:`moderation_rule`) without
importing the client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

#: Model 6.1, two levels. Source: AWS's migration guide, which lists every 6.1 label with
#: its 7.0 counterpart, https://docs.aws.amazon.com/rekognition/latest/dg/moderation-response-transform.html
#: ("Label mappings for Versions 6.1 to 7"). ``gambling`` is its own child there.
TAXONOMY_V6: dict[str, tuple[str, ...]] = {
    "explicit_nudity": (
        "nudity",
        "graphic_male_nudity",
        "graphic_female_nudity",
        "sexual_activity",
        "illustrated_explicit_nudity",
        "adult_toys",
    ),
    "suggestive": (
        "female_swimwear_or_underwear",
        "male_swimwear_or_underwear",
        "partial_nudity",
        "barechested_male",
        "revealing_clothes",
        "sexual_situations",
    ),
    "violence": (
        "graphic_violence_or_gore",
        "physical_violence",
        "weapon_violence",
        "weapons",
        "self_injury",
    ),
    "visually_disturbing": (
        "emaciated_bodies",
        "corpses",
        "hanging",
        "air_crash",
        "explosions_and_blasts",
    ),
    "rude_gestures": ("middle_finger",),
    "drugs": ("drug_products", "drug_use", "pills", "drug_paraphernalia"),
    "tobacco": ("tobacco_products", "smoking"),
    "alcohol": ("drinking", "alcoholic_beverages"),
    "gambling": ("gambling",),
    "hate_symbols": ("nazi_party", "white_supremacy", "extremist"),
}

#: Model 7, three levels: top level -> second level -> third level. Source: AWS's label
#: table, https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html#moderation-api-categories
#: (L1, L2, L3 columns), cross-checked with the migration guide above. ``&`` has no
#: underscore form of its own: ``Drugs & Tobacco`` -> ``drugs_tobacco`` (``drugs_and_tobacco``
#: is accepted as another spelling, see ALIASES).
TAXONOMY_V7: dict[str, dict[str, tuple[str, ...]]] = {
    "explicit": {
        "explicit_nudity": (
            "exposed_male_genitalia",
            "exposed_female_genitalia",
            "exposed_buttocks_or_anus",
            "exposed_female_nipple",
        ),
        "explicit_sexual_activity": (),
        "sex_toys": (),
    },
    "non_explicit_nudity_of_intimate_parts_and_kissing": {
        "non_explicit_nudity": (
            "bare_back",
            "exposed_male_nipple",
            "partially_exposed_buttocks",
            "partially_exposed_female_breast",
            "implied_nudity",
        ),
        "obstructed_intimate_parts": ("obstructed_female_nipple", "obstructed_male_genitalia"),
        "kissing_on_the_lips": (),
    },
    "swimwear_or_underwear": {
        "female_swimwear_or_underwear": (),
        "male_swimwear_or_underwear": (),
    },
    "violence": {
        "weapons": (),
        "graphic_violence": (
            "weapon_violence",
            "physical_violence",
            "self_harm",
            "blood_gore",
            "explosions_and_blasts",
        ),
    },
    "visually_disturbing": {
        "death_and_emaciation": ("emaciated_bodies", "corpses"),
        "crashes": ("air_crash",),
    },
    "drugs_tobacco": {
        "products": ("pills",),
        "drugs_tobacco_paraphernalia_use": ("smoking",),
    },
    "alcohol": {
        "alcohol_use": ("drinking",),
        "alcoholic_beverages": (),
    },
    "rude_gestures": {"middle_finger": ()},
    "gambling": {"gambling": ()},
    "hate_symbols": {"nazi_party": (), "white_supremacy": (), "extremist": ()},
}

#: other spellings of names with ``&`` (Cloudinary's form for them is not documented)
ALIASES: dict[str, str] = {
    "drugs_and_tobacco": "drugs_tobacco",
    "drugs_and_tobacco_paraphernalia_and_use": "drugs_tobacco_paraphernalia_use",
    "blood_and_gore": "blood_gore",
}

VERSIONS = ("v6", "v7")


@dataclass(frozen=True)
class Taxonomy:
    """One model's labels: each name's parent (``""`` at the top) and level (1 to 3)."""

    version: str
    parent: Mapping[str, str]
    level: Mapping[str, int]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.parent)

    def lineage(self, name: str) -> tuple[str, ...]:
        """``name``'s ancestors in this taxonomy, nearest first (empty at the top)."""
        chain: list[str] = []
        current = self.parent.get(name)
        while current and current != name and current not in chain:
            chain.append(current)
            current = self.parent.get(current)
        return tuple(chain)


def _v6() -> Taxonomy:
    parent = dict.fromkeys(TAXONOMY_V6, "")
    level = dict.fromkeys(TAXONOMY_V6, 1)
    for top, children in TAXONOMY_V6.items():
        for child in children:
            if child != top:
                parent[child], level[child] = top, 2
    return Taxonomy("v6", parent, level)


def _v7() -> Taxonomy:
    parent = dict.fromkeys(TAXONOMY_V7, "")
    level = dict.fromkeys(TAXONOMY_V7, 1)
    for top, seconds in TAXONOMY_V7.items():
        for second, thirds in seconds.items():
            if second != top:
                parent[second], level[second] = top, 2
            for third in thirds:
                parent[third], level[third] = second, 3
    return Taxonomy("v7", parent, level)


V6 = _v6()
V7 = _v7()
TAXONOMIES: dict[str, Taxonomy] = {"v6": V6, "v7": V7}

#: every known category name: both taxonomies, all levels, and the other spellings.
CATEGORIES: frozenset[str] = V6.names | V7.names | frozenset(ALIASES)

_NON_WORD = re.compile(r"[^a-z0-9]+")


def category_name(label: str) -> str:
    """``"Female Swimwear Or Underwear"`` -> ``"female_swimwear_or_underwear"``."""
    return _NON_WORD.sub("_", label.strip().lower()).strip("_")


def canonical_category(name: str) -> str:
    """One spelling per category (``drugs_and_tobacco`` -> ``drugs_tobacco``)."""
    return ALIASES.get(name, name)


def categories_of(version: str | None) -> frozenset[str]:
    """The names of one taxonomy (with their other spellings), or of both (``None``)."""
    if version is None:
        return CATEGORIES
    names = TAXONOMIES[version].names
    return names | frozenset(alias for alias, name in ALIASES.items() if name in names)


def taxonomy_of_model(model_version: object) -> str | None:
    """Rekognition's ``ModerationModelVersion`` (``"7.0"``, ``"6.1"``) -> ``v7``/``v6``."""
    text = str(model_version or "").strip().lower().removeprefix("v")
    major = text.partition(".")[0]
    if not major.isdigit():
        return None
    return "v7" if int(major) >= 7 else "v6"


def infer_version(
    name: str, parent: str, *, level: int | None = None, version: str | None = None
) -> str | None:
    """Which taxonomy a label belongs to, from what it says about itself (None: both fit).

    In order: an explicit version (unless the name belongs to the other taxonomy only);
    its level (only v7 has a third level); a name that only one taxonomy has; the parent
    only one taxonomy gives it.
    """
    fits = [t for t in (V7, V6) if name in t.parent]
    if version in TAXONOMIES and (len(fits) != 1 or fits[0].version == version):
        return version
    if level is not None:
        by_level = [t for t in (V7, V6) if t.level.get(name) == level]
        if level >= 3 or len(by_level) == 1:
            return "v7" if level >= 3 else by_level[0].version
    if len(fits) == 1:
        return fits[0].version
    if parent:
        by_parent = [t for t in (V7, V6) if t.parent.get(name) == parent]
        if len(by_parent) == 1:
            return by_parent[0].version
    return None


def ancestry(
    name: str, parent: str = "", *, level: int | None = None, version: str | None = None
) -> tuple[str, ...]:
    """A label's ancestors, nearest first: its parent, grandparent... (not itself).

    ``parent`` is the parent the label names (``""``: none given, or top level). Without
    one, the taxonomy supplies it: a name that is top level in a taxonomy it may belong to
    has no ancestors; a name known to neither taxonomy has none either. Above the parent,
    the taxonomy the label belongs to continues the chain (v7 when both fit).
    """
    name, parent = canonical_category(name), canonical_category(parent)
    chosen = infer_version(name, parent, level=level, version=version)
    if not parent:
        candidates = [TAXONOMIES[chosen]] if chosen else [t for t in (V7, V6) if name in t.parent]
        if not candidates or any(t.parent[name] == "" for t in candidates if name in t.parent):
            return ()
        return candidates[0].lineage(name)
    walk = TAXONOMIES[chosen] if chosen else V7
    if parent not in walk.parent:  # a parent only the other taxonomy knows continues there
        walk = V6 if walk is V7 else V7
    chain = [parent]
    for ancestor in walk.lineage(parent):
        if ancestor == name or ancestor in chain:
            break
        chain.append(ancestor)
    return tuple(chain)
