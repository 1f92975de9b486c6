"""The codec: both response shapes decode to the sent preset; canonical equality holds.

The round trips go through the emulator over HTTP, so the list form and the get-one form
are produced by an independent implementation, not by the codec itself.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.codec import cleared, decode, encode, encode_value, sent_keys
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.model.fields import Wire
from cloudinary_presets.model.preset import Preset
from strategies import presets

ROUND_TRIP = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def admin(emulator):
    transport = Transport(parse_cloudinary_url(emulator.cloudinary_url("demo"), "test"))
    yield AdminApi(transport)
    transport.close()


@ROUND_TRIP
@given(preset=presets(max_settings=10))
def test_both_response_shapes_decode_to_the_preset_that_was_sent(preset, admin, emulator):
    emulator.reset()
    admin.create_preset(encode(preset), same=lambda got: True)
    [listed] = admin.list_presets()
    fetched = admin.get_preset(preset.name)
    from_list, from_get = decode(listed), decode(fetched)
    assert from_list.unreadable == ()
    assert from_get.unreadable == ()
    assert from_list.preset.canonical() == preset.canonical()  # decode(list_form(encode(p))) == p
    assert from_get.preset.canonical() == preset.canonical()  # decode(get_form(encode(p))) == p
    assert from_list.preset.fingerprint() == from_get.preset.fingerprint() == preset.fingerprint()


def _p(**settings: object) -> Preset:
    return Preset.model_validate({"name": "p", "settings": settings})


@pytest.mark.parametrize(
    ("remote_settings", "definition"),
    [
        ({"tags": "b,a"}, {"tags": ["a", "b"]}),  # order of tags
        ({"tags": ["b", "a"]}, {"tags": ["a", "b"]}),
        ({"allowed_formats": "png,jpg"}, {"allowed_formats": ["jpg", "png"]}),
        ({"auto_tagging": "0.70"}, {"auto_tagging": 0.7}),  # 0.7 vs 0.70
        (
            {"moderation": "aws_rek:violence:0.80:explicit_nudity:0.7"},
            {"moderation": {"aws_rek": {"explicit_nudity": 0.7, "violence": 0.8}}},
        ),
        ({"transformation": "w_100,c_scale"}, {"transformation": "c_scale,w_100"}),  # order
        (
            {"transformation": [{"width": 100, "crop": "scale"}]},
            {"transformation": "c_scale,w_100"},
        ),
        ({"overwrite": "1"}, {"overwrite": True}),  # true vs "1"
        ({"overwrite": "true"}, {"overwrite": True}),
        ({"overwrite": True}, {"overwrite": True}),
        ({"folder": ""}, {}),  # empty vs absent
        ({"tags": []}, {}),
        ({"context": {}}, {}),
        ({"context": "a=x\\=y\\|z|b=2"}, {"context": {"a": "x=y|z", "b": "2"}}),
        ({"context": {"b": "2", "a": "x=y|z"}}, {"context": {"a": "x=y|z", "b": "2"}}),
        (
            {"eager": "c_fill,w_200/webp|c_thumb,w_50"},
            {"eager": ["c_fill,w_200/webp", "c_thumb,w_50"]},
        ),
        (
            {
                "eager": [
                    [{"crop": "fill", "width": 200, "format": "webp"}],
                    [{"crop": "thumb", "width": 50}],
                ]
            },
            {"eager": ["c_fill,w_200/webp", "c_thumb,w_50"]},
        ),
        (
            {"face_coordinates": "10,20,30,40|1,2,3,4"},
            {"face_coordinates": [[10, 20, 30, 40], [1, 2, 3, 4]]},
        ),
        ({"headers": "X-Robots-Tag: noindex"}, {"headers": {"X-Robots-Tag": "noindex"}}),
        (
            {"access_control": '[{"access_type":"anonymous"}]'},
            {"access_control": [{"access_type": "anonymous"}]},
        ),
    ],
)
def test_equal_presets_compare_equal_however_cloudinary_echoes_them(remote_settings, definition):
    remote = decode({"name": "p", "unsigned": False, "settings": remote_settings})
    assert remote.unreadable == ()
    assert same(remote.preset, _p(**definition))


def same(a: Preset, b: Preset) -> bool:
    return a.canonical() == b.canonical()


def test_real_differences_stay_different():
    assert not same(decode({"name": "p", "settings": {"tags": "a"}}).preset, _p(tags=["a", "b"]))
    assert not same(
        decode({"name": "p", "settings": {"transformation": "w_1.0"}}).preset,
        _p(transformation="w_1"),
    )
    assert not same(
        decode({"name": "p", "settings": {"eager": "c_thumb,w_50|c_fill,w_200"}}).preset,
        _p(eager=["c_fill,w_200", "c_thumb,w_50"]),
    )  # eager order is kept: each is generated in turn


def test_unknown_and_unreadable_settings_are_kept_not_dropped():
    decoded = decode(
        {
            "name": "p",
            "unsigned": "true",
            "settings": {
                "brand_new_param": "x",
                "transformation": "zz_3",
                "overwrite": [1],
                "live": True,
            },
        }
    )
    assert decoded.preset.unsigned is True
    assert decoded.preset.live is True
    assert decoded.preset.extra_settings == {
        "brand_new_param": "x",
        "transformation": "zz_3",
        "overwrite": [1],  # verbatim: a list stays a list
    }
    assert {key for key, _ in decoded.unreadable} == {"transformation", "overwrite"}
    assert decoded.stored == {"brand_new_param", "transformation", "overwrite", "live"}


def test_encode_is_what_the_sdk_sends():
    body = encode(
        _p(
            tags=["a", "b"],
            allowed_formats=["jpg", "png"],
            context={"alt": "x=y|z"},
            metadata={"mf": ["v", "w"]},
            transformation=[{"width": 100, "crop": "scale"}, {"quality": "auto"}],
            eager=[
                {"transformation": [{"width": 200, "crop": "fill"}], "format": "webp"},
                "c_thumb,w_50",
            ],
            overwrite=True,
            face_coordinates=[[10, 20, 30, 40], [1, 2, 3, 4]],
            access_control=[{"access_type": "anonymous"}],
            auto_tagging=0.6,
            moderation="aws_rek:explicit_nudity:0.7|manual",
        )
    )
    assert body == {
        "name": "p",
        "unsigned": False,
        "disallow_public_id": False,
        "tags": "a,b",
        "allowed_formats": "jpg,png",
        "context": "alt=x\\=y\\|z",
        "metadata": 'mf=["v","w"]',
        "transformation": "c_scale,w_100/q_auto",
        "eager": "c_fill,w_200/webp|c_thumb,w_50",
        "overwrite": "1",
        "face_coordinates": "10,20,30,40|1,2,3,4",
        "access_control": '[{"access_type":"anonymous"}]',
        "auto_tagging": "0.6",
        "moderation": "aws_rek:explicit_nudity:0.7|manual",
    }


def test_an_unknown_setting_holding_a_non_finite_number_is_kept_not_refused():
    """Python's JSON reader takes ``Infinity``; at any depth it is kept as its repr, and
    the preset stays readable (it used to fail validation and hide the whole preset)."""
    echoed = {"x": {"a": [float("inf"), 1.5]}, "y": float("-inf"), "folder": "f"}
    decoded = decode({"name": "p", "disallow_public_id": "", "live": "1", "settings": echoed})
    assert decoded.preset.extra_settings == {"x": {"a": ["inf", 1.5]}, "y": "-inf"}
    assert decoded.preset.settings_dict() == {"folder": "f"}
    assert decoded.preset.live is True  # an empty preset-level key before it is skipped
    assert decoded.unreadable == ()


def test_coordinates_that_are_not_finite_are_kept_raw():
    """``inf`` is a float but no pixel (a fuzz finding): kept as stored, never a crash."""
    decoded = decode({"name": "p", "settings": {"custom_coordinates": "INF"}})
    assert decoded.preset.extra_settings == {"custom_coordinates": "INF"}
    assert [key for key, _ in decoded.unreadable] == ["custom_coordinates"]


@pytest.mark.parametrize(
    ("key", "echoed", "expected"),
    [
        ("overwrite", "TRUE", True),
        ("overwrite", "False", False),
        ("overwrite", 0, False),
        ("auto_tagging", "0.5", 0.5),
        ("auto_tagging", 1, 1.0),
        ("tags", " a , ,b ", ["a", "b"]),
        ("tags", ["a", " ", 3], ["a", "3"]),
        ("headers", "X-A:  1\n\n X-B :2 ", {"X-A": "1", "X-B": "2"}),
        ("headers", ["X-A: 1", "X-B: 2"], {"X-A": "1", "X-B": "2"}),
        ("headers", {"X-A": 1}, {"X-A": "1"}),
        ("context", "a=1||b=x\\|y", {"a": "1", "b": "x|y"}),
        ("context", "a=[1]", {"a": "[1]"}),  # only metadata holds lists
        ("context", {"a": "[1]"}, {"a": "[1]"}),
        ("metadata", 'm=["x","y"]|n=[bad', {"m": ["x", "y"], "n": "[bad"}),
        ("metadata", {"m": '["x"]', "n": ["y"]}, {"m": ["x"], "n": ["y"]}),
        ("transformation", {"width": 100, "crop": "fill"}, "c_fill,w_100"),
        ("eager", "c_fill,w_1| |c_thumb,w_2/png", ["c_fill,w_1", "c_thumb,w_2/png"]),
        ("eager", [{"transformation": "c_fill,w_1", "format": "png"}], ["c_fill,w_1/png"]),
        ("eager", [{"transformation": [{"crop": "fill"}], "format": ""}], ["c_fill"]),
        ("eager", [{"crop": "fill", "width": 1}], ["c_fill,w_1"]),
        ("eager", [{"c": "fill", "w": 1}], ["c_fill,w_1"]),  # short keys, as echoed
        ("eager", [[{"c": "fill"}], "c_thumb,w_2/png"], ["c_fill", "c_thumb,w_2/png"]),
        ("eager", [{"transformation": "c_fill"}], ["c_fill"]),
        ("transformation", [{"c": "fill"}], "c_fill"),
        ("headers", "Link: <https://x>", {"Link": "<https://x>"}),
        ("face_coordinates", "1,2,3,4| |5.9,6,7,8", [[1, 2, 3, 4], [5, 6, 7, 8]]),
        ("face_coordinates", [["1", 2.0, 3, 4]], [[1, 2, 3, 4]]),
        ("access_control", [{"access_type": "anonymous"}], [{"access_type": "anonymous"}]),
        ("folder", 5, "5"),
        ("folder", 2.5, "2.5"),
    ],
)
def test_each_shape_cloudinary_echoes_reads_as_the_same_value(key, echoed, expected):
    decoded = decode({"name": "p", "settings": {key: echoed}})
    assert decoded.unreadable == ()
    assert decoded.preset.extra_settings == {}
    assert decoded.preset.canonical() == _p(**{key: expected}).canonical()


@pytest.mark.parametrize(
    ("key", "echoed", "reason"),
    [
        ("overwrite", [1], "expected a boolean, got [1]"),
        ("overwrite", {"a": 1}, "expected a boolean, got {'a': 1}"),
        ("overwrite", "yes", "expected a boolean, got 'yes'"),
        ("overwrite", 2, "expected a boolean, got 2"),
        ("auto_tagging", "x", "expected a number, got 'x'"),
        ("auto_tagging", [1], "expected a number, got [1]"),
        ("auto_tagging", "5", "must be a number from 0 to 1, got 5.0"),
        ("tags", 5, "expected a comma-separated list, got 5"),
        ("headers", "no colon", "'no colon' is not `Header: value`"),
        ("headers", 5, "expected header lines, got 5"),
        ("context", "a=1|novalue", "'novalue' is not key=value"),
        ("context", 5, "expected k=v|k2=v2, got 5"),
        ("transformation", 5, "expected a transformation, got 5"),
        ("eager", 5, "expected eager transformations, got 5"),
        ("eager", [5], "expected an eager transformation, got 5"),
        ("face_coordinates", 5, "expected coordinates, got 5"),
        ("face_coordinates", "a,b", "expected numeric coordinates, got 'a,b'"),
        ("face_coordinates", [[None]], "expected numeric coordinates, got [[None]]"),
        ("access_control", "{bad", "expected JSON, got '{bad'"),
        ("moderation", 5, "unexpected value 5"),
        ("folder", True, "expected a string, got True"),
        ("folder", [1], "expected a string, got [1]"),
        ("parameter_whitelist", "tags,bogus,x", "unknown upload parameter(s) bogus, x"),
        ("parameter_whitelist", "tags,tags", "'tags' is listed twice"),  # the model refuses
        ("live", "maybe", "expected a boolean, got 'maybe'"),
        ("disallow_public_id", [1], "expected a boolean, got [1]"),
    ],
)
def test_a_value_that_cannot_be_read_is_kept_verbatim_with_the_reason(key, echoed, reason):
    decoded = decode({"name": "p", "settings": {key: echoed}})
    assert decoded.unreadable == ((key, reason),)
    assert decoded.preset.extra_settings == {key: echoed}
    assert decoded.preset.settings_dict() == {}
    assert decoded.stored == {key}


def test_identity_inside_settings_is_ignored_and_said():
    decoded = decode(
        {
            "name": "p",
            "unsigned": "maybe",
            "settings": {"name": "x", "unsigned": True, "auto_tagging": float("nan")},
        }
    )
    assert decoded.preset.name == "p"
    assert decoded.preset.unsigned is False
    assert decoded.unreadable == (
        ("unsigned", "unexpected value 'maybe'"),
        ("name", "ignored inside settings"),
        ("unsigned", "ignored inside settings"),
        ("auto_tagging", "must be a number from 0 to 1, got nan"),
    )
    assert decoded.preset.extra_settings == {"auto_tagging": "nan"}  # not JSON: its repr
    assert decoded.stored == {"auto_tagging"}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"settings": {}}, "a remote preset without a name"),
        ({"name": "", "settings": {}}, "a remote preset without a name"),
        ({"name": 5, "settings": {}}, "a remote preset without a name"),
        ({"name": "p", "settings": ["x"]}, "its settings are not a map: \"['x']\""),
    ],
)
def test_a_preset_without_a_name_or_a_settings_map_cannot_be_decoded(raw, problem):
    with pytest.raises(ValueError, match="^" + re.escape(problem) + "$"):
        decode(raw)


def test_preset_level_keys_are_read_wherever_they_sit_settings_first():
    decoded = decode(
        {
            "name": "p",
            "unsigned": True,
            "live": "0",
            "disallow_public_id": "1",
            "parameter_whitelist": "tags",
            "settings": {"live": "true", "parameter_whitelist": "none", "folder": ""},
        }
    )
    assert decoded.unreadable == ()
    preset = decoded.preset
    assert (preset.unsigned, preset.live, preset.disallow_public_id) == (True, True, True)
    assert preset.parameter_whitelist == "none"
    assert decoded.stored == {"live", "disallow_public_id", "parameter_whitelist"}
    listed = decode({"name": "p", "settings": {"parameter_whitelist": "tags, folder"}})
    assert listed.preset.parameter_whitelist == ["tags", "folder"]
    assert decode({"name": "p", "live": "", "settings": {}}).preset.live is None


def test_no_settings_at_all_is_an_empty_preset():
    decoded = decode({"name": "p", "settings": None})
    assert decoded.preset.canonical() == _p().canonical()
    assert decoded.stored == frozenset()
    assert decode({"name": "p"}).unreadable == ()


@pytest.mark.parametrize(
    ("kind", "value", "sent"),
    [
        (Wire.BOOL, False, "0"),
        (Wire.NUMBER, 1, "1.0"),
        (Wire.KEY_VALUE, {"a": "x=y", "b": ["p|q"]}, 'a=x\\=y|b=["p\\|q"]'),
        (Wire.HEADERS, {"X-A": "1", "X-B": "2"}, "X-A: 1\nX-B: 2"),
        (Wire.JSON, {"é": [1, 2]}, '{"é":[1,2]}'),
        (Wire.JSON, {"b": 1, "a": 2}, '{"b":1,"a":2}'),  # in the order given, as the SDK
        (Wire.STRING, "f", "f"),
    ],
)
def test_each_wire_kind_is_sent_as_the_sdk_sends_it(kind, value, sent):
    assert encode_value(kind, value) == sent


def test_an_update_clears_what_the_remote_stores_and_the_preset_does_not_send():
    preset = _p(folder="f")
    body = encode(
        preset, clear=["folder", "tags", "live", "name", "unsigned", "disallow_public_id"]
    )
    assert body == {
        "name": "p",
        "unsigned": False,
        "disallow_public_id": False,
        "folder": "f",
        "tags": "",
        "live": False,
    }
    assert cleared("tags") == ""
    assert cleared("live") is False
    assert sent_keys(preset) == {"unsigned", "disallow_public_id", "folder"}
    renamed = Preset.model_validate(
        {"name": "p", "live": True, "parameter_whitelist": ["tags"], "extra_settings": {"x": 1}}
    )
    assert encode(renamed, name="stg-p") == {
        "name": "stg-p",
        "unsigned": False,
        "disallow_public_id": False,
        "live": True,
        "parameter_whitelist": ["tags"],
        "x": 1,
    }


def test_settings_and_preset_level_keys_the_model_refuses_are_all_kept_raw():
    echoed = {"parameter_whitelist": "tags,tags", "auto_tagging": "5", "tags": "a"}
    decoded = decode({"name": "p", "live": True, "settings": echoed})
    assert sorted(decoded.unreadable) == [
        ("auto_tagging", "must be a number from 0 to 1, got 5.0"),
        ("parameter_whitelist", "'tags' is listed twice"),
    ]
    assert decoded.preset.extra_settings == {
        k: echoed[k] for k in ("parameter_whitelist", "auto_tagging")
    }
    assert decoded.preset.settings_dict() == {"tags": ["a"]}
    assert decoded.preset.live is True
    assert decoded.preset.parameter_whitelist is None
