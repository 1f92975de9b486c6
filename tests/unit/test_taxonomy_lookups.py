"""The taxonomy lookups and the decision rule at their edges: names with stray characters,
model versions spelt otherwise, labels that say their level, a parent only the other
taxonomy knows, a label claimed as its own ancestor, a confidence on the tolerance.

The hand-worked cases are in tests/upload/test_decision_rule.py; these pin the corners
that a slip in a comparison or a default would move.
"""

from __future__ import annotations

import pytest

from cloudinary_presets.model.moderation import parse_moderation, unknown_categories
from cloudinary_presets.model.moderation_rule import Label, Trigger, decide, parse_label
from cloudinary_presets.model.taxonomy import (
    V6,
    V7,
    ancestry,
    categories_of,
    category_name,
    infer_version,
    taxonomy_of_model,
)

# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Drugs & Tobacco", "drugs_tobacco"),
        (" (Suggestive) ", "suggestive"),
        ("Violence!", "violence"),
        ("__hate_symbols__", "hate_symbols"),
    ],
)
def test_a_label_name_becomes_its_category_without_stray_underscores(label, name) -> None:
    assert category_name(label) == name


def test_other_spellings_belong_to_the_taxonomy_of_the_name_they_spell() -> None:
    """``drugs_and_tobacco`` spells v7's ``drugs_tobacco``: a v7 moderator takes it, a v6
    one reports it as a name its taxonomy does not have."""
    assert "drugs_and_tobacco" in categories_of("v7")
    assert "drugs_and_tobacco" not in categories_of("v6")
    v7 = parse_moderation({"aws_rek": {"taxonomy": "v7", "drugs_and_tobacco": 0.6}})
    assert unknown_categories(v7) == []
    v6 = parse_moderation({"aws_rek": {"taxonomy": "v6", "drugs_and_tobacco": 0.6}}, None)
    assert unknown_categories(v6) == [("aws_rek", "drugs_and_tobacco", "v6")]


@pytest.mark.parametrize(
    ("version", "taxonomy"),
    [("7.0", "v7"), ("V7.0", "v7"), ("v6.1", "v6"), ("7.0.1", "v7"), (7, "v7"), ("6", "v6")],
)
def test_the_major_model_version_picks_the_taxonomy(version, taxonomy) -> None:
    assert taxonomy_of_model(version) == taxonomy


@pytest.mark.parametrize("version", [None, "", "latest", "v", "x7.0"])
def test_a_model_version_without_a_major_number_picks_none(version) -> None:
    assert taxonomy_of_model(version) is None


# --------------------------------------------------------------------------- which taxonomy


def test_infer_version_follows_its_documented_order() -> None:
    # an explicit version wins unless the name is in the other taxonomy only
    assert infer_version("corpses", "", version="v6") == "v6"
    assert infer_version("exposed_male_genitalia", "", version="v6") == "v7"
    # a level only one taxonomy gives the name decides; a third level is always v7
    assert infer_version("weapon_violence", "", level=2) == "v6"
    assert infer_version("weapon_violence", "", level=3) == "v7"
    assert infer_version("brand_new_label", "", level=3) == "v7"
    assert infer_version("violence", "", level=1) is None  # top level in both
    # a name one taxonomy has
    assert infer_version("nudity", "") == "v6"
    # a parent only one taxonomy gives the name
    assert infer_version("weapon_violence", "violence") == "v6"
    assert infer_version("weapon_violence", "graphic_violence") == "v7"
    assert infer_version("weapon_violence", "weapons") is None
    assert infer_version("weapon_violence", "") is None


def test_a_label_that_says_its_level_is_read_in_that_taxonomy() -> None:
    """Rekognition's ``Weapon Violence`` at level 2 is model 6.1's (under Violence); at
    level 3 it is model 7's (under Graphic Violence)."""
    v6 = parse_label({"Name": "Weapon Violence", "Confidence": 80, "TaxonomyLevel": 2})
    v7 = parse_label({"Name": "Weapon Violence", "Confidence": 80, "TaxonomyLevel": 3})
    assert (v6.parent, v6.level) == ("violence", 2)
    assert (v7.parent, v7.level) == ("graphic_violence", 3)
    thresholds = {"graphic_violence": 0.9}
    assert decide(thresholds, [v6]).rejected  # the default 0.5: graphic_violence is not its parent
    assert not decide(thresholds, [v7]).rejected


# --------------------------------------------------------------------------- ancestry


def test_an_unknown_name_has_no_ancestors_whatever_taxonomy_it_is_said_to_be_in() -> None:
    assert ancestry("brand_new_label", version="v7") == ()
    assert ancestry("brand_new_label", version="v6") == ()
    assert V7.lineage("brand_new_label") == ()


def test_an_unknown_parent_is_the_whole_chain() -> None:
    assert ancestry("brand_new_label", "another_new_parent") == ("another_new_parent",)


def test_a_parent_only_the_other_taxonomy_knows_continues_there() -> None:
    # v7 is walked when both fit; "nudity" is v6's, under explicit_nudity
    assert ancestry("brand_new_label", "nudity") == ("nudity", "explicit_nudity")
    # said to be v6, but "graphic_violence" is v7's, under violence
    assert ancestry("brand_new_label", "graphic_violence", version="v6") == (
        "graphic_violence",
        "violence",
    )
    assert V6.lineage("nudity") == ("explicit_nudity",)


def test_a_label_is_never_among_its_own_ancestors() -> None:
    """A response claiming ``explicit`` sits under ``explicit_nudity`` (v7's child of
    ``explicit``): the chain stops before it comes back to the label."""
    assert ancestry("explicit", "explicit_nudity") == ("explicit_nudity",)
    label = parse_label({"name": "Explicit", "parent_name": "Explicit Nudity", "confidence": 60})
    assert label.lineage == ("explicit", "explicit_nudity")


# --------------------------------------------------------------------------- the rule


def test_a_trigger_records_the_label_its_confidence_and_the_entry_that_decided() -> None:
    label = Label("nudity", "explicit_nudity", 0.75)
    decision = decide({"explicit_nudity": 0.7}, [label, Label("violence", "", 0.1)])
    assert decision.triggers == (Trigger("nudity", 0.75, 0.7, "explicit_nudity"),)


def test_a_confidence_at_the_edge_of_the_tolerance_still_rejects() -> None:
    """57/100 is not exactly 0.57 in binary: the comparison allows 1e-9 below the threshold,
    that edge included; below it, the label passes."""
    assert decide({"violence": 0.57}, [Label("violence", "", 57 / 100)]).rejected
    assert decide({"violence": 0.5}, [Label("violence", "", 0.5 - 1e-9)]).rejected
    assert not decide({"violence": 0.5}, [Label("violence", "", 0.5 - 2e-9)]).rejected


def test_a_label_without_a_name_is_refused_in_these_words() -> None:
    with pytest.raises(ValueError) as info:
        parse_label({"name": "", "confidence": 50})
    assert str(info.value) == "label has no 'name'"
