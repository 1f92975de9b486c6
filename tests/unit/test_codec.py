"""The codec: both response shapes decode to the sent preset; canonical equality holds.

The round trips go through the emulator over HTTP, so the list form and the get-one form
are produced by an independent implementation, not by the codec itself.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.codec import decode, encode
from cloudinary_presets.cloudinary.transport import Transport
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


def test_coordinates_that_are_not_finite_are_kept_raw():
    """``inf`` is a float but no pixel (a fuzz finding): kept as stored, never a crash."""
    decoded = decode({"name": "p", "settings": {"custom_coordinates": "INF"}})
    assert decoded.preset.extra_settings == {"custom_coordinates": "INF"}
    assert [key for key, _ in decoded.unreadable] == ["custom_coordinates"]
