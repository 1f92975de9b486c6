"""Comparing two presets (model/preset.py): the canonical form, the fingerprint and the
typed field changes a plan is made of, with the security notes of unsigned presets."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings

from cloudinary_presets.model.changes import FieldChange, Kind, Meaning
from cloudinary_presets.model.preset import (
    Preset,
    fingerprint_of,
    is_default_value,
    preset_changes,
    raw_kind,
)
from cloudinary_presets.model.values import CODE, HEADERS, RAW, URL, RawKind
from strategies import presets


def preset(**data: Any) -> Preset:
    return Preset.model_validate({"name": "p", **data})


def by_path(changes: list[FieldChange]) -> dict[str, FieldChange]:
    return {c.path: c for c in changes}


# --------------------------------------------------------------------------- canonical form


def test_the_canonical_form_holds_what_cloudinary_stores_normalised():
    p = preset(
        description="local only",
        protect=True,
        ignore_lints=["unsigned-without-moderation"],
        unsigned=True,
        parameter_whitelist=["tags", "context"],
        settings={"tags": ["b", "a"], "auto_tagging": 0.70, "async": True},
        extra_settings={"x_new": 1.50},
    )
    assert p.canonical() == {
        "unsigned": True,
        "disallow_public_id": False,
        "parameter_whitelist": ["context", "tags"],
        "settings": {"tags": ["a", "b"], "auto_tagging": "0.7", "async": True},
        "extra_settings": {"x_new": "1.5"},
    }


def test_live_false_and_live_absent_are_one_state():
    assert preset(live=False).canonical() == preset().canonical()
    assert preset(live=True).canonical()["live"] is True
    assert preset_changes(preset(), preset(live=False)) == []
    [change] = preset_changes(preset(), preset(live=True))
    assert (change.path, change.before, change.after) == ("live", None, True)


def test_the_fingerprint_is_the_sha256_of_the_canonical_json():
    p = preset(settings={"folder": "a", "tags": ["y", "x"]})
    text = (
        '{"disallow_public_id":false,"settings":{"folder":"a","tags":["x","y"]},"unsigned":false}'
    )
    assert p.fingerprint() == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert fingerprint_of(p.canonical()) == p.fingerprint()
    same = preset(description="other words", settings={"tags": ["x", "y"], "folder": "a"})
    assert same.fingerprint() == p.fingerprint()
    assert preset(settings={"folder": "b"}).fingerprint() != p.fingerprint()


def test_settings_are_keyed_by_their_upload_parameter_name():
    p = preset(settings={"async": True, "folder": "f"})
    assert p.settings_dict() == {"folder": "f", "async": True}


@given(presets())
@settings(max_examples=60)
def test_a_preset_never_differs_from_itself(p):
    assert preset_changes(p, p) == []
    copy = Preset.model_validate(
        json.loads(json.dumps(p.model_dump(mode="json", by_alias=True, exclude_none=True)))
    )
    assert copy.fingerprint() == p.fingerprint()


# --------------------------------------------------------------------------- changes


def test_changes_come_in_path_order_with_their_kinds():
    before = preset(settings={"folder": "a", "tags": ["x"]}, extra_settings={"x_old": "1"})
    after = preset(
        disallow_public_id=True,
        settings={"folder": "b", "format": "jpg"},
        extra_settings={"x_new": "2"},
    )
    changes = preset_changes(before, after)
    assert [(c.path, c.kind) for c in changes] == [
        ("disallow_public_id", Kind.CHANGE),
        ("extra_settings.x_new", Kind.ADD),
        ("extra_settings.x_old", Kind.REMOVE),
        ("settings.folder", Kind.CHANGE),
        ("settings.format", Kind.ADD),
        ("settings.tags", Kind.REMOVE),
    ]
    shown = {c.path: (c.before, c.after) for c in changes}
    assert shown["settings.folder"] == ("a", "b")
    assert shown["settings.tags"] == (["x"], None)
    assert shown["extra_settings.x_old"] == ("1", None)
    assert all(c.security == "" for c in changes)


def test_a_new_preset_is_all_additions_and_a_deleted_one_all_removals():
    p = preset(settings={"folder": "a", "notification_url": "https://a.example/h?t=1"})
    added = by_path(preset_changes(None, p))
    assert set(added) == {"unsigned", "disallow_public_id", "settings.folder",
                          "settings.notification_url"}  # fmt: skip
    assert all(c.kind is Kind.ADD for c in added.values())
    assert added["settings.notification_url"].after == "https://a.example/h?t=***"
    removed = by_path(preset_changes(p, None))
    assert set(removed) == set(added)
    assert all(c.kind is Kind.REMOVE for c in removed.values())
    assert preset_changes(None, None) == []


def test_scope_reaches_the_value_kinds():
    """A URL's host change is flagged on a live preset only; code is flagged when new."""
    a = preset(settings={"callback": "https://a.example/x", "eval": "x = 1"})
    b = preset(settings={"callback": "https://b.example/x", "eval": "x = 2"})
    changes = by_path(preset_changes(a, b))
    assert changes["settings.callback"].meaning is Meaning.HOST_CHANGED
    assert changes["settings.eval"].security == "eval JavaScript changes (runs on every upload)"
    new = by_path(preset_changes(None, b))
    assert new["settings.callback"].meaning is None
    assert new["settings.eval"].security == "eval JavaScript changes (runs on every upload)"
    gone = by_path(preset_changes(b, None))
    assert gone["settings.eval"].security == ""
    deleted = by_path(preset_changes(preset(settings={"type": "private"}), None))
    assert deleted["settings.type"].security == ""  # a deleted preset's audience is moot
    typed = by_path(
        preset_changes(preset(settings={"type": "upload"}), preset(settings={"type": "private"}))
    )
    assert typed["settings.type"].security == "delivery type changes: who can see assets changes"
    assert (
        by_path(preset_changes(None, preset(settings={"type": "private"})))[
            "settings.type"
        ].security
        == ""
    )


def test_a_removed_setting_keeps_its_kind():
    """The kind comes from whichever side has the field (the after side when both do)."""
    before = preset(settings={"eval": "x = 1", "headers": {"Authorization": "Bearer t"}})
    changes = by_path(preset_changes(before, preset()))
    assert changes["settings.eval"].before.startswith("(JavaScript, 5 chars")
    assert changes["settings.headers"].before == {"Authorization": "***"}


def test_urls_python_cannot_read_are_shown_safely_not_crashed_on():
    """A valid notification_url with port 99999, and a raw callback that is not a URL, used
    to raise ValueError out of ``presets plan``."""
    p = preset(
        settings={"notification_url": "https://h.example:99999/x?t=1"},
        extra_settings={"callback": "http://[oops/x?t=1"},
    )
    changes = by_path(preset_changes(None, p))
    assert changes["settings.notification_url"].after == "https://h.example:99999/x?t=***"
    assert changes["extra_settings.callback"].after.startswith("(unreadable URL, sha256:")


def test_raw_values_of_hidden_settings_stay_hidden():
    assert raw_kind("eval").inner is CODE
    assert raw_kind("headers").inner is HEADERS
    assert raw_kind("callback").inner is URL
    assert raw_kind("folder") is RAW
    assert raw_kind("x_unknown") is RAW
    assert isinstance(raw_kind("on_success"), RawKind)
    changes = by_path(
        preset_changes(preset(), preset(extra_settings={"eval": "x = 1", "folder": "f"}))
    )
    assert changes["extra_settings.eval"].after.startswith("(redacted, sha256:")
    assert changes["extra_settings.folder"].after == "f"


def test_a_dotted_raw_key_that_names_a_credential_is_redacted():
    p = preset(extra_settings={"client_secret.v2": "hunter2", "x.y": "ok"})
    changes = by_path(preset_changes(None, p))
    assert changes["extra_settings.client_secret.v2"].after.startswith("(redacted, sha256:")
    assert changes["extra_settings.x.y"].after == "ok"


def test_falsy_raw_values_are_values():
    for value in (0, False, "0", [""], {"a": None}):
        p = preset(extra_settings={"a": value})
        assert "a" in p.canonical()["extra_settings"], value
        assert len(preset_changes(preset(), p)) == 1


# --------------------------------------------------------------------------- unsigned presets

BECOMES = "becomes unsigned: anyone who knows the name can upload"
NEW = "new unsigned preset: anyone who knows the name can upload"
FORMATS = "unsigned preset loses allowed_formats: any file type is accepted"
MODERATION = "unsigned preset loses moderation: anonymous uploads go unreviewed"
PUBLIC_IDS = "unsigned preset lets uploaders choose public IDs again"


def test_a_new_unsigned_preset_is_flagged_once():
    changes = by_path(preset_changes(None, preset(unsigned=True)))
    assert changes["unsigned"].security == NEW
    assert [c.path for c in changes.values() if c.security] == ["unsigned"]
    signed = by_path(preset_changes(None, preset()))
    assert signed["unsigned"].security == ""


def test_becoming_unsigned_is_flagged():
    changes = by_path(preset_changes(preset(), preset(unsigned=True)))
    assert changes["unsigned"].security == BECOMES
    assert by_path(preset_changes(preset(unsigned=True), preset()))["unsigned"].security == ""


def test_what_an_unsigned_preset_loses_is_flagged():
    before = preset(
        unsigned=True,
        disallow_public_id=True,
        settings={"allowed_formats": ["jpg"], "moderation": "manual", "folder": "a", "tags": ["t"]},
    )
    after = preset(unsigned=True, settings={"folder": "b"})
    changes = by_path(preset_changes(before, after))
    assert changes["settings.allowed_formats"].security == FORMATS
    assert changes["settings.moderation"].security == MODERATION
    assert changes["disallow_public_id"].security == PUBLIC_IDS
    assert changes["settings.folder"].security == ""
    assert changes["settings.tags"].security == ""  # other removals are no exposure
    assert changes["settings.allowed_formats"].after is None  # the change itself is kept


def test_changing_an_unsigned_presets_safeguards_is_not_losing_them():
    before = preset(unsigned=True, settings={"allowed_formats": ["jpg"], "moderation": "manual"})
    after = preset(
        unsigned=True,
        disallow_public_id=True,
        settings={"allowed_formats": ["png"], "moderation": "webpurify"},
    )
    assert [c.security for c in preset_changes(before, after) if c.security] == []


def test_an_unsigned_presets_own_security_notes_are_kept():
    before = preset(unsigned=True, settings={"eval": "x = 1"})
    after = preset(unsigned=True, settings={"eval": "x = 2"})
    [change] = preset_changes(before, after)
    assert change.security == "eval JavaScript changes (runs on every upload)"


def test_a_signed_preset_losing_safeguards_is_not_flagged():
    before = preset(
        disallow_public_id=True, settings={"allowed_formats": ["jpg"], "moderation": "manual"}
    )
    assert [c.security for c in preset_changes(before, preset()) if c.security] == []


def test_a_deleted_unsigned_preset_is_not_flagged():
    before = preset(unsigned=True, settings={"allowed_formats": ["jpg"]})
    assert [c.security for c in preset_changes(before, None) if c.security] == []


# --------------------------------------------------------------------------- defaults


@pytest.mark.parametrize(
    ("path", "value", "default"),
    [
        ("unsigned", False, True),
        ("unsigned", True, False),
        ("disallow_public_id", False, True),
        ("protect", False, True),
        ("live", None, False),
        ("settings.folder", None, False),
        ("nothing", False, False),
        ("unsigned", 0, False),
    ],
)
def test_what_a_file_that_says_nothing_means(path, value, default):
    assert is_default_value(path, value) is default
