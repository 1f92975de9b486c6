"""Field changes and apply mismatches (model/changes.py): what a plan saves and reads back,
which setting a change belongs to, and how a mismatch reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudinary_presets.model.changes import (
    WHOLE_PRESET,
    FieldChange,
    Kind,
    Meaning,
    Mismatch,
    Scope,
)


def test_enums_read_as_their_value_in_messages():
    assert str(Meaning.LESS_STRICT) == "less strict"
    assert f"{Scope.GONE}" == "gone"
    assert str(Kind.REMOVE) == "remove"


@pytest.mark.parametrize(
    ("path", "setting"),
    [
        ("unsigned", "unsigned"),
        ("settings.folder", "settings.folder"),
        ("settings.moderation.aws_rek.violence", "settings.moderation"),
        ("extra_settings.x_new", "extra_settings.x_new"),
        ("extra_settings.a.b", "extra_settings.a"),
        ("settings", "settings"),
        ("other.a.b", "other"),
    ],
)
def test_a_change_belongs_to_one_setting(path, setting):
    assert FieldChange(path=path, before=1).setting == setting


def test_a_plain_change_saves_only_what_it_has():
    change = FieldChange(path="settings.folder", before="a", after="b")
    assert change.to_dict() == {
        "path": "settings.folder",
        "kind": "change",
        "before": "a",
        "after": "b",
    }
    assert FieldChange.from_dict(change.to_dict()) == change


def test_a_change_with_meaning_saves_it():
    change = FieldChange(
        path="settings.callback",
        before="https://a.example/",
        after=None,
        meaning=Meaning.HOST_CHANGED,
        note="host changed",
        security="callback moves to another host",
    )
    assert change.to_dict() == {
        "path": "settings.callback",
        "kind": "remove",
        "before": "https://a.example/",
        "after": None,
        "meaning": "host changed",
        "note": "host changed",
        "security": "callback moves to another host",
    }
    assert FieldChange.from_dict(change.to_dict()) == change


def test_a_saved_change_reads_back_with_defaults_for_what_is_missing():
    read = FieldChange.from_dict({"path": "live", "after": True, "note": None, "security": None})
    assert read == FieldChange(path="live", before=None, after=True)
    assert read.kind is Kind.ADD
    assert (read.note, read.security, read.meaning) == ("", "", None)


_VALUES = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_CHANGES = st.builds(
    FieldChange,
    path=st.from_regex(r"[a-z_]{1,8}(\.[a-z_]{1,8}){0,3}", fullmatch=True),
    before=_VALUES,
    after=_VALUES,
    meaning=st.none() | st.sampled_from(Meaning),
    note=st.text(max_size=8),
    security=st.text(max_size=8),
)


@given(_CHANGES)
def test_a_change_survives_a_saved_plan(change):
    saved = json.loads(json.dumps(change.to_dict()))
    assert FieldChange.from_dict(saved) == change
    assert saved["kind"] == change.kind.value


def test_a_mismatch_reads_sent_against_stored():
    change = FieldChange(path="settings.folder", before="stored", after="sent")
    mismatch = Mismatch.of(change)
    assert mismatch == Mismatch(path="settings.folder", sent="sent", stored="stored")
    assert mismatch.describe() == "settings.folder: sent 'sent', stored 'stored'"
    noted = Mismatch(path="settings.tags", sent=["a"], stored=None, note="dropped")
    assert noted.describe() == "settings.tags: sent ['a'], stored None (dropped)"
    whole = Mismatch(path=WHOLE_PRESET, note="missing after apply")
    assert whole.describe() == "(preset): missing after apply"
