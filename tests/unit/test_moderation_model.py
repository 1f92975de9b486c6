"""Moderation as a model: both Rekognition taxonomies, typos versus new names, the
taxonomy hint, raw entries, what Cloudinary stores read without judgement, and what a
change means (walking the same ancestry as the decision rule)."""

from __future__ import annotations

import pytest

from cloudinary_presets.errors import ModerationError
from cloudinary_presets.model.moderation import (
    parse_moderation,
    parse_remote_moderation,
    raw_entries,
    unknown_categories,
    verbatim_reasons,
)
from cloudinary_presets.model.moderation_changes import chain_changes, effective
from cloudinary_presets.model.taxonomy import CATEGORIES


def _error(value: object) -> str:
    with pytest.raises(ModerationError) as info:
        parse_moderation(value)
    return info.value.message


@pytest.mark.parametrize(
    "names",
    [
        ["explicit", "swimwear_or_underwear", "exposed_female_nipple", "blood_gore"],
        ["explicit_nudity", "suggestive", "graphic_violence_or_gore", "tobacco"],
        ["drugs_tobacco", "drugs_and_tobacco_paraphernalia_and_use", "self_harm"],
    ],
)
def test_names_of_both_taxonomies_are_known(names) -> None:
    moderation = parse_moderation({"aws_rek": dict.fromkeys(names, 0.5)})
    assert unknown_categories(moderation) == []


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("violense", "violence"), ("explicit_nudty", "explicit_nudity"), ("explicitt", "explicit"),
     ("swimwear_or_underware", "swimwear_or_underwear"), ("drug", "drugs")],
)  # fmt: skip
def test_a_typo_is_an_error_with_the_suggestion(name, suggestion) -> None:
    message = _error({"aws_rek": {name: 0.5}})
    assert f"unknown aws_rek category `{name}` (did you mean `{suggestion}`?)" in message


def test_a_name_far_from_all_is_accepted_and_reported_as_unknown() -> None:
    moderation = parse_moderation("aws_rek:synthetic_media:0.6|manual")
    assert str(moderation) == "aws_rek:synthetic_media:0.6|manual"
    assert unknown_categories(moderation) == [("aws_rek", "synthetic_media", None)]
    declared = CATEGORIES | {"synthetic_media"}
    assert unknown_categories(moderation, declared) == []


def test_a_category_name_has_cloudinarys_form() -> None:
    message = _error({"aws_rek": {"Swimwear or Underwear": 0.5}})
    assert "is not a category name: use lowercase letters, digits and _" in message
    assert "(did you mean `swimwear_or_underwear`?)" in message


def test_the_taxonomy_hint_checks_names_against_that_taxonomy_only() -> None:
    v7 = parse_moderation({"aws_rek": {"taxonomy": "v7", "explicit": 0.6}})
    assert str(v7) == "aws_rek:explicit:0.6", "the hint is never sent"
    assert v7 == parse_moderation("aws_rek:explicit:0.6"), "and never compared"
    assert v7.to_yaml() == {"aws_rek": {"taxonomy": "v7", "explicit": 0.6}}
    # a v6 name under a v7 hint: far from every v7 name, so accepted and reported
    v6_name = parse_moderation({"aws_rek": {"taxonomy": "v7", "suggestive": 0.6}})
    assert unknown_categories(v6_name) == [("aws_rek", "suggestive", "v7")]
    # ...but near one of them, a typo
    assert "did you mean `suggestive`" in _error({"aws_rek": {"taxonomy": "v6", "suggestiv": 0.5}})
    assert "aws_rek.taxonomy: must be one of v6, v7" in _error(
        {"aws_rek": {"taxonomy": "7", "explicit": 0.5}}
    )


def test_two_spellings_of_one_category_are_one_category_given_twice() -> None:
    message = _error({"aws_rek": {"drugs_tobacco": 0.5, "drugs_and_tobacco": 0.6}})
    assert "category `drugs_and_tobacco` is given twice" in message
    assert "(`drugs_tobacco` is another spelling of it)" in message


# --------------------------------------------------------------------------- verbatim


def test_what_cloudinary_stores_is_read_without_judgement() -> None:
    stored = "metascan|aws_rek:violense:0.50:explicit:0.7|duplicate:x|manual|webpurify"
    moderation = parse_remote_moderation(stored)
    assert [m.kind for m in moderation.chain] == [
        "metascan", "aws_rek", "duplicate", "manual", "webpurify",
    ]  # fmt: skip
    assert [m.understood for m in moderation.chain] == [False, True, False, True, True]
    assert (
        str(moderation) == "metascan|aws_rek:explicit:0.7:violense:0.5|duplicate:x|manual|webpurify"
    )
    # manual in the middle: no item-wise YAML would read back, so one raw entry for all
    assert moderation.to_yaml() == {"raw": str(moderation)}


def test_import_writes_raw_entries_only_where_the_local_rules_refuse() -> None:
    moderation = parse_remote_moderation("metascan|aws_rek:violense:0.5:brand_new:0.4|manual")
    yaml_form = moderation.to_yaml()
    assert yaml_form == [
        {"raw": "metascan"},
        {"raw": "aws_rek:brand_new:0.4:violense:0.5"},  # a typo of a known name: raw
        "manual",
    ]
    assert raw_entries(moderation) == ["metascan", "aws_rek:brand_new:0.4:violense:0.5"]
    again = parse_moderation(yaml_form)
    assert str(again) == str(moderation), "reads back to the same wire string"
    assert verbatim_reasons(again) == [
        ("metascan",
         "the legacy MetaDefender malware scan, a moderator this tool does not understand"),
        ("aws_rek:brand_new:0.4:violense:0.5",
         "unknown aws_rek category `violense` (did you mean `violence`?)"),
    ]  # fmt: skip
    assert unknown_categories(again) == [], "a raw entry is one warning, not two"
    # a far unknown name alone stays structured (accepted, with a warning)
    far = parse_remote_moderation("aws_rek:brand_new:0.4|manual")
    assert far.to_yaml() == [{"aws_rek": {"brand_new": 0.4}}, "manual"]


def test_raw_entries_are_exempt_from_the_chain_rules_but_not_from_their_shape() -> None:
    chain = parse_moderation({"raw": "manual|webpurify"})
    assert str(chain) == "manual|webpurify"
    assert verbatim_reasons(chain) == [
        ("manual|webpurify", "`manual` can only be the last moderator of a chain")
    ]
    assert "`manual` can only be the last" in _error(["manual", {"raw": "metascan"}])
    assert "a raw entry is the moderator exactly as Cloudinary stores it" in _error({"raw": ""})
    assert "to keep it, write it as a raw entry `{raw: metascan}`" in _error("metascan")


# --------------------------------------------------------------------------- meanings


def test_a_removed_entry_falls_back_through_the_v7_ancestry() -> None:
    before = parse_moderation({"aws_rek": {"explicit": 0.8, "exposed_female_nipple": 0.4}})
    after = parse_moderation({"aws_rek": {"explicit": 0.8}})
    [change] = chain_changes(before, after)
    assert change.path == "settings.moderation.aws_rek.exposed_female_nipple"
    assert change.note == "back to the explicit threshold, less strict"


def test_meanings_follow_the_taxonomy_the_names_point_to() -> None:
    """``explicit_nudity`` is top level in model 6.1 and under ``explicit`` in model 7."""
    v7_names = parse_moderation({"aws_rek": {"explicit": 0.3, "explicit_nudity": 0.9}})
    without = parse_moderation({"aws_rek": {"explicit": 0.3}})
    [change] = chain_changes(v7_names, without)
    assert change.note == "back to the explicit threshold, stricter"
    v6_names = parse_moderation({"aws_rek": {"suggestive": 0.3, "explicit_nudity": 0.9}})
    [change] = chain_changes(v6_names, parse_moderation({"aws_rek": {"suggestive": 0.3}}))
    assert change.note == "back to the default 0.5, stricter"
    assert effective("exposed_male_genitalia", {"explicit": None}) == (None, "explicit")
    assert effective("explicit_nudity", {"explicit": 0.4}, "v7") == (0.4, "explicit")
    assert effective("explicit_nudity", {"explicit": 0.4}, "v6") == (0.5, "default")


def test_changes_of_moderators_kept_verbatim_show_their_text() -> None:
    before = parse_remote_moderation("aws_rek:odd|metascan:v1|duplicate:0.8")
    after = parse_remote_moderation("aws_rek:violence:0.7|metascan:v2|duplicate:0.9")
    shown = {c.path: (c.before, c.after) for c in chain_changes(before, after)}
    assert shown == {
        "settings.moderation.aws_rek": ("aws_rek:odd", "aws_rek:violence:0.7"),
        "settings.moderation.metascan": ("metascan:v1", "metascan:v2"),
        "settings.moderation.duplicate": (0.8, 0.9),
    }


@pytest.mark.parametrize(
    ("before", "after", "note"),
    [
        ({"violence": "ignore"}, {"violence": 0.7}, "now moderated"),
        ({"violence": 0.7}, {"violence": "ignore"}, "no longer moderated"),
        ({"violence": 0.5}, {"violence": 0.7}, "less strict"),
        ({"violence": "ignore", "weapons": 0.5}, {"violence": "ignore"},
         "back to the violence threshold, no longer moderated"),
        ({"weapons": 0.5}, {}, "back to the default 0.5"),
    ],
)  # fmt: skip
def test_what_a_threshold_change_means(before, after, note) -> None:
    b = parse_moderation({"aws_rek": before} if before else "aws_rek")
    a = parse_moderation({"aws_rek": after} if after else "aws_rek")
    changes = chain_changes(b, a)
    assert [c.note for c in changes] == [note]
