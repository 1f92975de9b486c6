"""What a moderation change means (model/moderation_changes.py): the chain line, each
Rekognition category's line, and the taxonomy that decides where a removed entry falls
back to. Complements the meanings in test_moderation_model.py."""

from __future__ import annotations

from typing import Any

import pytest

from cloudinary_presets.model.changes import FieldChange, Meaning
from cloudinary_presets.model.moderation import parse_moderation
from cloudinary_presets.model.moderation_changes import chain_changes, taxonomy_in_use


def lines(before: Any, after: Any) -> list[tuple[str, Any, Any, Meaning | None, str]]:
    b = None if before is None else parse_moderation(before)
    a = None if after is None else parse_moderation(after)
    return [(c.path, c.before, c.after, c.meaning, c.note) for c in chain_changes(b, a)]


P = "settings.moderation"


# --------------------------------------------------------------------------- the chain line


def test_moderation_removed_says_uploads_go_unmoderated():
    assert lines(["webpurify", "manual"], None) == [
        (
            P,
            "webpurify | manual",
            None,
            Meaning.MODERATION_REMOVED,
            "moderation removed: uploads are no longer moderated",
        )
    ]


def test_moderation_added():
    assert lines(None, "manual") == [
        (P, None, "manual", Meaning.MODERATION_ADDED, "moderation added")
    ]


def test_the_same_moderators_in_a_new_order():
    assert lines(["webpurify", "perception_point"], ["perception_point", "webpurify"]) == [
        (
            P,
            "webpurify | perception_point",
            "perception_point | webpurify",
            Meaning.REORDERED,
            "same moderators, new order",
        )
    ]


def test_another_chain_is_a_plain_change():
    assert lines("webpurify", ["perception_point", "manual"]) == [
        (P, "webpurify", "perception_point | manual", None, "")
    ]


def test_a_removed_rekognition_moderator_lists_its_categories():
    before = [{"aws_rek": {"violence": 0.5, "weapons": "ignore"}}, "manual"]
    assert lines(before, "manual") == [
        (P, "aws_rek | manual", "manual", None, ""),
        (f"{P}.aws_rek.violence", 0.5, None, None, ""),
        (f"{P}.aws_rek.weapons", "ignore", None, None, ""),
    ]


def test_an_added_rekognition_moderator_flags_ignored_categories():
    after = [{"aws_rek": {"violence": "ignore", "weapons": 0.4}}, "manual"]
    assert lines("manual", after) == [
        (P, "manual", "aws_rek | manual", None, ""),
        (f"{P}.aws_rek.violence", None, "ignore", Meaning.NOT_MODERATED, "not moderated"),
        (f"{P}.aws_rek.weapons", None, 0.4, None, ""),
    ]


def test_a_path_other_than_settings_moderation_is_kept():
    b = parse_moderation({"aws_rek": {"violence": 0.5}})
    changes = chain_changes(b, None, "extra.moderation")
    assert [c.path for c in changes] == ["extra.moderation", "extra.moderation.aws_rek.violence"]


# --------------------------------------------------------------------------- categories


def test_a_removed_entry_that_changes_nothing_still_falls_back():
    before = {"aws_rek": {"explicit": 0.5, "exposed_female_nipple": 0.5}}
    after = {"aws_rek": {"explicit": 0.5}}
    assert lines(before, after) == [
        (
            f"{P}.aws_rek.exposed_female_nipple",
            0.5,
            None,
            Meaning.FALLBACK,
            "back to the explicit threshold",
        )
    ]


def test_a_removed_entry_keeps_its_strictness_meaning():
    before = {"aws_rek": {"explicit": 0.8, "exposed_female_nipple": 0.4}}
    [line] = lines(before, {"aws_rek": {"explicit": 0.8}})
    assert line[3:] == (Meaning.LESS_STRICT, "back to the explicit threshold, less strict")


def test_a_changed_threshold_has_its_meaning_on_the_line():
    [line] = lines({"aws_rek": {"violence": 0.7}}, {"aws_rek": {"violence": 0.5}})
    assert line == (f"{P}.aws_rek.violence", 0.7, 0.5, Meaning.STRICTER, "stricter")


# --------------------------------------------------------------------------- taxonomies

# ``explosions_and_blasts`` sits under ``visually_disturbing`` in model 6.1 and under
# ``graphic_violence`` (under ``violence``) in model 7; all three names are in both models,
# so only the moderator's ``taxonomy`` hint says which ancestry applies.
V6_BEFORE = {"visually_disturbing": 0.3, "explosions_and_blasts": 0.9}
V6_AFTER = {"visually_disturbing": 0.3}
BACK_V6 = "back to the visually_disturbing threshold, stricter"
BACK_DEFAULT = "back to the default 0.5, stricter"


@pytest.mark.parametrize(
    ("before_hint", "after_hint", "note"),
    [
        ("v6", "v6", BACK_V6),
        ("v6", None, BACK_V6),
        (None, "v6", BACK_V6),
        (None, None, BACK_DEFAULT),
        ("v7", "v7", BACK_DEFAULT),
    ],
)
def test_the_moderators_taxonomy_decides_where_an_entry_falls_back(before_hint, after_hint, note):
    def hinted(thresholds: dict[str, Any], hint: str | None) -> dict[str, Any]:
        return {"aws_rek": {**({"taxonomy": hint} if hint else {}), **thresholds}}

    [line] = lines(hinted(V6_BEFORE, before_hint), hinted(V6_AFTER, after_hint))
    assert line[0] == f"{P}.aws_rek.explosions_and_blasts"
    assert line[4] == note


def test_an_entry_equal_to_what_it_inherits_means_nothing():
    before = {"aws_rek": {"taxonomy": "v6", "visually_disturbing": 0.3}}
    after = {"aws_rek": {"taxonomy": "v6", **V6_BEFORE, "explosions_and_blasts": 0.3}}
    [line] = lines(before, after)
    assert line == (f"{P}.aws_rek.explosions_and_blasts", None, 0.3, None, "")
    # the same entry under model 7, where it inherits the default 0.5, is stricter
    before7 = {"aws_rek": {"taxonomy": "v7", "visually_disturbing": 0.3}}
    after7 = {"aws_rek": {"taxonomy": "v7", **V6_BEFORE, "explosions_and_blasts": 0.3}}
    assert lines(before7, after7)[0][3] is Meaning.STRICTER


@pytest.mark.parametrize(
    ("names", "taxonomy"),
    [
        (["explicit"], "v7"),  # model 7 only
        (["drugs"], "v6"),  # model 6.1 only
        (["explicit", "violence"], "v7"),  # violence is in both
        (["drugs", "violence"], "v6"),
        (["violence", "explosions_and_blasts"], None),  # in both: no hint
        (["explicit", "drugs"], None),  # contradictory: no hint
        (["brand_new"], None),  # in neither
        ([], None),
    ],
)
def test_the_taxonomy_names_point_to(names, taxonomy):
    assert taxonomy_in_use(names) == taxonomy


def test_changes_are_field_changes():
    changes = chain_changes(None, parse_moderation("manual"))
    assert all(isinstance(c, FieldChange) for c in changes)
