"""Amazon Rekognition's content-moderation taxonomy, as Cloudinary's snake_case names.

Standard library only: the emulator imports it (through :mod:`moderation_rule`) without
importing the client.
"""

from __future__ import annotations

import re

#: Rekognition's two-level moderation taxonomy (model v6 era), as snake_case names.
#: Unverified against Cloudinary's own page (see the reference); projects may declare
#: more names in configuration (``moderation.extra_categories``).
TAXONOMY: dict[str, tuple[str, ...]] = {
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

#: second-level name -> its top-level parent (``gambling`` is both: it is its own parent).
PARENT: dict[str, str] = {
    child: top for top, children in TAXONOMY.items() for child in children if child != top
}

#: every known category name, top-level and second-level.
CATEGORIES: frozenset[str] = frozenset(TAXONOMY) | frozenset(PARENT)

_NON_WORD = re.compile(r"[^a-z0-9]+")


def category_name(label: str) -> str:
    """``"Female Swimwear Or Underwear"`` -> ``"female_swimwear_or_underwear"``."""
    return _NON_WORD.sub("_", label.strip().lower()).strip("_")
