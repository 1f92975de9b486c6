"""Listed presets recognised without decoding (``cloudinary/stored_form.py``).

The shortcut is sound if (1) a raw preset's stored form is all ``decode`` depends on, and
(2) what ``apply`` sends for a preset decodes back to it. Both are checked here with
hypothesis; then plans and verifications made with the shortcut are compared with the
same ones made by decoding everything, over HTTP against the emulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.codec import decode, encode
from cloudinary_presets.cloudinary.remote import RemotePreset, RemotePresets, Snapshot, read_remote
from cloudinary_presets.cloudinary.stored_form import sent_form, stored_form
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.definitions.project import Desired
from cloudinary_presets.model.fields import Wire
from cloudinary_presets.model.preset import PRESET_LEVEL_KEYS, SETTING_KEYS, Preset, wire_kind
from cloudinary_presets.operations.apply import verify
from cloudinary_presets.planning.plan import Action, Change, TargetInfo, build_plan
from strategies import presets

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OVER_HTTP = settings(PROPERTY, max_examples=40)
TARGET = TargetInfo("test", "demo", "local", "-")

BOOL_KEYS = sorted(k for k in SETTING_KEYS if wire_kind(SETTING_KEYS[k]) is Wire.BOOL)
OTHER_KEYS = sorted(k for k in SETTING_KEYS if wire_kind(SETTING_KEYS[k]) is not Wire.BOOL)
LEVEL = [k for k in PRESET_LEVEL_KEYS if k != "unsigned"]
#: keys whose value the decoder reads as a boolean (``parameter_whitelist`` is a list)
FLAGS = {*BOOL_KEYS, "disallow_public_id", "live"}
#: the spellings the decoder reads as one boolean
SPELLINGS = {True: [True, "1", "true", "True", "TRUE"], False: [False, "0", "false", "False"]}
EMPTIES = [None, "", [], {}]
STRINGS = st.one_of(
    st.sampled_from(
        ["a,b", "b,a", "c_fill,w_100", "w_100,c_fill", "aws_rek:violence:0.5", "0.7", "0.70",
         "k=v|k2=v2", "none", "x", "1", "true", "yes", "X-A: 1"]
    ),
    st.text(max_size=8),
)  # fmt: skip


@st.composite
def listed_presets(draw: st.DrawFn) -> dict[str, Any]:
    """A preset as a listing shows it: strings and booleans, in any of their spellings."""
    settings_: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(BOOL_KEYS), max_size=3)):
        settings_[key] = draw(st.sampled_from([*SPELLINGS[True], *SPELLINGS[False], "yes"]))
    for key in draw(st.lists(st.sampled_from(OTHER_KEYS), max_size=5)):
        settings_[key] = draw(st.one_of(STRINGS, st.sampled_from(EMPTIES)))
    for key in draw(st.lists(st.sampled_from(["bogus", "x_new"]), max_size=1)):
        settings_[key] = draw(st.one_of(STRINGS, st.booleans()))
    raw: dict[str, Any] = {"name": "p", "settings": settings_}
    for key in draw(st.lists(st.sampled_from(LEVEL), max_size=2, unique=True)):
        value = draw(st.sampled_from([*SPELLINGS[True], *SPELLINGS[False], "none", "tags"]))
        (settings_ if draw(st.booleans()) else raw)[key] = value
    if draw(st.booleans()):
        raw["unsigned"] = draw(st.sampled_from([*SPELLINGS[True], *SPELLINGS[False]]))
    return raw


def _same(value: Any) -> list[Any]:
    """The spellings of ``value`` that the decoder cannot tell apart."""
    for spellings in SPELLINGS.values():
        if any(type(s) is type(value) and s == value for s in spellings):
            return spellings
    return [value]


@st.composite
def respelled(draw: st.DrawFn, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` as the same stored content could come back: booleans spelled otherwise,
    keys in another order, empty values added, other top-level keys (``external_id``)."""
    settings_ = {}
    for key, value in draw(st.permutations(list(raw["settings"].items()))):
        settings_[key] = draw(st.sampled_from(_same(value))) if key in FLAGS else value
    for key in draw(st.lists(st.sampled_from(OTHER_KEYS), max_size=2)):
        settings_.setdefault(key, draw(st.sampled_from(EMPTIES)))
    out = {k: v for k, v in raw.items() if k != "settings"}
    for key in LEVEL:
        if key in out and key in FLAGS and key not in settings_:
            out[key] = draw(st.sampled_from(_same(out[key])))
    if "unsigned" in out:
        out["unsigned"] = draw(st.sampled_from(_same(out["unsigned"])))
    out["settings"] = settings_
    out["external_id"] = draw(st.uuids().map(str))
    return out


def _decoded(raw: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    try:
        result = decode(raw)
    except ValueError as exc:
        return f"error: {exc}", []
    return result.preset.fingerprint(), sorted(result.unreadable)


@PROPERTY
@given(data=st.data(), raw=listed_presets())
def test_equal_stored_forms_decode_alike(data: st.DataObject, raw: dict[str, Any]) -> None:
    """The stored form is everything decoding depends on (the shortcut's first half)."""
    other = data.draw(respelled(raw))
    form = stored_form(raw)
    assert stored_form(other) == form
    if form is not None:
        assert _decoded(other) == _decoded(raw)


@PROPERTY
@given(preset=presets(max_settings=10))
def test_what_apply_sends_decodes_back_to_the_preset(preset: Preset) -> None:
    """The codec's round trip through the stored form (the shortcut's second half)."""
    form = sent_form(preset, "remote-name")
    body = encode(preset, name="remote-name")
    listed = {"name": body.pop("name"), "unsigned": body.pop("unsigned"), "settings": body}
    assert form == stored_form(listed)
    if form is not None:
        result = decode(listed)
        assert result.unreadable == ()
        assert result.preset.canonical() == preset.canonical()
        assert result.preset.fingerprint() == preset.fingerprint()


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({"settings": {"tags": "b,a"}}, True),  # tags in another order: decode and compare
        ({"settings": {"auto_tagging": 0.5}}, False),  # a number: not a string form
        ({"settings": {"transformation": [{"crop": "fill"}]}}, False),  # the get-one form
        ({"unsigned": "yes"}, False),  # not a boolean spelling the decoder reads
    ],
)
def test_other_forms_are_not_taken_for_what_was_sent(
    changed: dict[str, Any], expected: bool
) -> None:
    preset = Preset.model_validate({"name": "p", "settings": {"tags": ["a", "b"]}})
    body = encode(preset)
    raw = {"name": body.pop("name"), "unsigned": body.pop("unsigned"), "settings": body}
    assert stored_form(raw) == sent_form(preset, "p")
    for key, value in changed.items():
        raw = {**raw, key: {**raw[key], **value} if isinstance(value, dict) else value}
    form = stored_form(raw)
    assert (form is not None) is expected
    assert form != sent_form(preset, "p")
    assert not RemotePreset.listed(raw).holds(sent_form(preset, "p"))


def test_a_listed_preset_is_decoded_only_when_asked() -> None:
    preset = Preset.model_validate({"name": "p", "settings": {"folder": "f", "overwrite": True}})
    body = encode(preset)
    raw = {"name": body.pop("name"), "unsigned": body.pop("unsigned"), "settings": body}
    listed = RemotePreset.listed(raw)
    assert listed.holds(sent_form(preset, "p"))
    assert "raw" in repr(listed)
    assert listed.fingerprint == preset.fingerprint()
    assert listed.preset.canonical() == preset.canonical()
    assert listed.unreadable == ()
    assert "decoded" in repr(listed)
    with pytest.raises(TypeError):
        RemotePreset("p")


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def admin(emulator):
    transport = Transport(parse_cloudinary_url(emulator.cloudinary_url("demo"), "test"))
    yield AdminApi(transport)
    transport.close()


def _desired(preset: Preset, prefix: str) -> Desired:
    return Desired(preset.name, prefix + preset.name, preset, file="x.yaml", line=1)


def _plans(desired: list[Desired], listing: list[dict[str, Any]], prune: bool) -> list[Any]:
    """The same plan from a lazy snapshot (the shortcut) and from one decoded upfront."""
    lazy = Snapshot({raw["name"]: RemotePreset.listed(raw) for raw in listing})
    eager = Snapshot({raw["name"]: read_remote(raw) for raw in listing})
    return [build_plan(desired, snap, TARGET, prune=prune) for snap in (lazy, eager)]


@OVER_HTTP
@given(
    sent=st.lists(presets(max_settings=8), min_size=1, max_size=5, unique_by=lambda p: p.name),
    edited=st.lists(st.booleans(), min_size=5, max_size=5),
    prefix=st.sampled_from(["", "stg-"]),
    prune=st.booleans(),
)
def test_plans_with_and_without_the_shortcut_are_identical(
    sent: list[Preset], edited: list[bool], prefix: str, prune: bool, admin, emulator
) -> None:
    emulator.reset()
    desired = []
    for preset, edit in zip(sent, edited, strict=False):
        admin.create_preset(encode(preset, name=prefix + preset.name), same=lambda got: True)
        if edit:  # the definition moved on since it was applied: an update
            preset = preset.model_copy(update={"unsigned": not preset.unsigned})
        desired.append(_desired(preset, prefix))
    desired = desired[:-1] if prune and len(desired) > 1 else desired  # one to delete
    lazy, eager = _plans(desired, admin.list_presets(), prune)
    assert lazy.to_dict() == eager.to_dict()
    assert lazy.warnings == eager.warnings
    for a, b in zip(lazy.changes, eager.changes, strict=True):
        assert a.action is b.action
        assert (a.before is None) is (b.before is None)
        if a.before is not None and b.before is not None:
            assert a.before.canonical() == b.before.canonical()
            assert a.before.name == b.before.name


def test_verification_takes_an_exact_echo_as_stored_and_decodes_the_rest(admin, emulator) -> None:
    kept = Preset.model_validate({"name": "kept", "settings": {"tags": ["a", "b"]}})
    dropped = Preset.model_validate(
        {"name": "dropped", "settings": {"moderation": "manual", "folder": "f"}}
    )
    for preset in (kept, dropped):
        admin.create_preset(encode(preset), same=lambda got: True)
    admin.update_preset("dropped", {"folder": "f"})  # Cloudinary kept less than was sent
    changes = [
        Change(
            action=Action.CREATE,
            name=p.name,
            remote_name=p.name,
            after=p,
            after_fingerprint=p.fingerprint(),
        )
        for p in (kept, dropped)
    ]
    transport = admin.transport
    mismatches = verify(changes, RemotePresets(transport), ())
    assert list(mismatches) == ["dropped"]
    assert [m.path for m in mismatches["dropped"]] == ["settings.moderation"]


def test_unchanged_presets_are_planned_without_decoding(admin, emulator) -> None:
    kept = [
        Preset.model_validate(data)
        for data in (
            {"name": "a", "unsigned": True, "settings": {"tags": ["x", "y"], "overwrite": False}},
            {"name": "b", "settings": {"transformation": "c_fill,w_100", "moderation": "manual"}},
            {"name": "c", "settings": {"context": {"k": "v"}, "auto_tagging": 0.7}},
        )
    ]
    for preset in kept:
        admin.create_preset(encode(preset, name="stg-" + preset.name), same=lambda got: True)
    edited = kept[0].model_copy(update={"unsigned": False})
    desired = [_desired(edited, "stg-"), *(_desired(p, "stg-") for p in kept[1:])]
    snapshot = RemotePresets(admin.transport).snapshot()
    plan = build_plan(desired, snapshot, TARGET)
    assert [(c.action, c.remote_name) for c in plan.changes] == [
        (Action.UPDATE, "stg-a"),
        (Action.UNCHANGED, "stg-b"),
        (Action.UNCHANGED, "stg-c"),
    ]
    assert [repr(snapshot.presets[n]).endswith("raw)") for n in ("stg-a", "stg-b", "stg-c")] == [
        False,
        True,
        True,
    ]
    unchanged = plan.changes[1]
    assert unchanged.before is not None
    assert unchanged.before.name == "stg-b"
    assert unchanged.before.description is None
    assert unchanged.before_fingerprint == unchanged.after_fingerprint == kept[1].fingerprint()


@pytest.mark.parametrize(
    ("raw", "form"),
    [
        ({"name": "p", "settings": {}}, ("p", False, {})),  # unsigned absent: signed
        ({"name": "p", "unsigned": "1", "settings": {"x": True}}, ("p", True, {"x": True})),
        (
            {"name": "p", "disallow_public_id": "", "live": "1", "settings": {}},
            ("p", False, {"live": True}),
        ),
        (
            {"name": "p", "settings": {"parameter_whitelist": "tags", "live": "false"}},
            ("p", False, {"parameter_whitelist": "tags", "live": False}),
        ),
        ({"name": "p", "settings": {"parameter_whitelist": ["tags"]}}, None),
        ({"name": "p", "settings": {"parameter_whitelist": True}}, None),
        ({"name": "", "settings": {}}, None),
        ({"name": 5, "settings": {}}, None),
        ({"name": "p", "settings": None}, None),
        ({"name": "p"}, None),
    ],
)
def test_the_stored_form_of_a_listed_preset(raw: dict[str, Any], form: Any) -> None:
    assert stored_form(raw) == form
