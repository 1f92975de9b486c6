"""Admin API upload presets, driven by the official SDK (and raw HTTP where the SDK
cannot express a case): CRUD, the list and get-one forms, paging, errors."""

from __future__ import annotations

import re
import uuid

import cloudinary.api as api
import pytest
from cloudinary.exceptions import AlreadyExists, AuthorizationRequired, BadRequest, NotFound

from cloudinary_presets.emulator import Emulator

# the create call of the reference's local capture (section 9), minus parameter_whitelist
CAPTURE_CREATE = {
    "name": "p1",
    "unsigned": True,
    "disallow_public_id": False,
    "live": False,
    "folder": "f",
    "asset_folder": "af",
    "tags": ["a", "b"],
    "allowed_formats": ["jpg", "png"],
    "context": {"alt": "x=y|z", "list": [1, 2]},
    "metadata": {"mf": "v"},
    "moderation": "aws_rek:explicit_nudity:0.7|manual",
    "notification_url": "https://example.com/n",
    "transformation": [{"width": 100, "crop": "scale"}, {"quality": "auto"}],
    "eager": [{"width": 200, "crop": "fill", "format": "webp"}, "c_thumb,w_50"],
    "overwrite": True,
    "use_filename": False,
    "unique_filename": True,
    "face_coordinates": [[10, 20, 30, 40], [1, 2, 3, 4]],
    "access_control": [{"access_type": "anonymous"}],
    "auto_tagging": 0.6,
    "categorization": "aws_rek_tagging",
    "display_name": "dn",
    "use_asset_folder_as_public_id_prefix": True,
}


def test_create_then_get_returns_the_parsed_form(sdk: Emulator) -> None:
    created = api.create_upload_preset(
        name="p1",
        unsigned=True,
        folder="folder",
        width=100,
        crop="scale",
        tags=["a", "b", "c"],
        context={"a": "b", "c": "d"},
        disallow_public_id=True,
    )
    assert created["message"] == "created"
    assert created["name"] == "p1"
    uuid.UUID(str(created["external_id"]))

    preset = api.upload_preset("p1")
    assert preset["name"] == "p1"
    assert preset["unsigned"] is True
    assert preset["external_id"] == created["external_id"]
    assert preset["settings"] == {
        "folder": "folder",
        "transformation": [{"crop": "scale", "width": 100}],
        "tags": ["a", "b", "c"],
        "context": {"a": "b", "c": "d"},
        "disallow_public_id": True,
    }


def test_list_returns_settings_raw(sdk: Emulator) -> None:
    created = api.create_upload_preset(
        name="p1", unsigned=True, folder="folder", width=100, crop="scale", tags=["a", "b"]
    )
    listed = api.upload_presets()
    assert listed["presets"] == [
        {
            "name": "p1",
            "unsigned": True,
            "settings": {"folder": "folder", "transformation": "c_scale,w_100", "tags": "a,b"},
            "external_id": created["external_id"],
        }
    ]
    assert "next_cursor" not in listed


def test_every_capture_setting_round_trips(sdk: Emulator) -> None:
    api.create_upload_preset(**CAPTURE_CREATE)
    settings = api.upload_preset("p1")["settings"]
    assert settings == {
        "disallow_public_id": False,
        "live": False,
        "folder": "f",
        "asset_folder": "af",
        "tags": ["a", "b"],
        "allowed_formats": ["jpg", "png"],
        "context": {"alt": "x=y|z", "list": "[1,2]"},
        "metadata": {"mf": "v"},
        "moderation": "aws_rek:explicit_nudity:0.7|manual",
        "notification_url": "https://example.com/n",
        "transformation": [{"crop": "scale", "width": 100}, {"quality": "auto"}],
        "eager": [
            [{"crop": "fill", "width": 200, "format": "webp"}],
            [{"crop": "thumb", "width": 50}],
        ],
        "overwrite": True,
        "use_filename": False,
        "unique_filename": True,
        "face_coordinates": [[10, 20, 30, 40], [1, 2, 3, 4]],
        "access_control": [{"access_type": "anonymous"}],
        "auto_tagging": 0.6,
        "categorization": "aws_rek_tagging",
        "display_name": "dn",
        "use_asset_folder_as_public_id_prefix": True,
    }
    raw = api.upload_presets()["presets"][0]["settings"]
    assert raw["context"] == "alt=x\\=y\\|z|list=[1,2]"
    assert raw["eager"] == "c_fill,w_200/webp|c_thumb,w_50"
    assert raw["auto_tagging"] == "0.6"
    assert raw["overwrite"] is True
    assert "timestamp" not in raw  # injected by the SDK, ignored


def test_update_replaces_settings_and_keeps_unsigned_and_live(sdk: Emulator) -> None:
    api.create_upload_preset(name="p", unsigned=True, live=True, folder="f", tags=["a"])
    updated = api.update_upload_preset("p", tags=["x", "y"], overwrite=False)
    assert updated["message"] == "updated"
    preset = api.upload_preset("p")
    assert preset["unsigned"] is True
    assert preset["settings"] == {"tags": ["x", "y"], "overwrite": False, "live": True}
    assert preset["external_id"] == updated["external_id"]

    api.update_upload_preset("p", unsigned=False, live=False)
    preset = api.upload_preset("p")
    assert preset["unsigned"] is False
    assert preset["settings"] == {"live": False}


def test_delete_then_get_is_not_found(sdk: Emulator) -> None:
    created = api.create_upload_preset(name="gone")
    deleted = api.delete_upload_preset("gone")
    assert deleted == {"message": "deleted", "external_id": created["external_id"]}
    with pytest.raises(NotFound, match="Can't find upload preset named gone"):
        api.upload_preset("gone")
    assert sdk.presets("demo") == []


def test_update_and_delete_of_a_missing_preset_are_404(sdk: Emulator) -> None:
    with pytest.raises(NotFound):
        api.update_upload_preset("missing", folder="x")
    with pytest.raises(NotFound):
        api.delete_upload_preset("missing")
    assert sdk.stats()["writes"] == 0


def test_creating_an_existing_name_is_409_and_changes_nothing(sdk: Emulator) -> None:
    api.create_upload_preset(name="dup", folder="first")
    with pytest.raises(AlreadyExists, match="Upload preset 'dup' already exists"):
        api.create_upload_preset(name="dup", folder="second")
    assert [p["settings"] for p in sdk.presets("demo")] == [{"folder": "first"}]


def test_create_without_name_generates_one(sdk: Emulator) -> None:
    created = api.create_upload_preset(folder="x")
    assert re.fullmatch(r"[a-z0-9]{8}", created["name"])
    assert api.upload_preset(created["name"])["settings"] == {"folder": "x"}


def test_names_are_url_decoded(sdk: Emulator) -> None:
    for name in ("my preset", "x&y", "ü-name"):
        api.create_upload_preset(name=name, folder="f")
        assert api.upload_preset(name)["name"] == name
        api.update_upload_preset(name, folder="g")
        assert api.upload_preset(name)["settings"] == {"folder": "g"}
        api.delete_upload_preset(name)
    assert sdk.presets("demo") == []


def test_paging_is_newest_first_and_stable_when_presets_are_added(sdk: Emulator) -> None:
    sdk.seed_presets("demo", [{"name": f"p{i:02d}"} for i in range(25)])
    first = api.upload_presets(max_results=10)
    assert [p["name"] for p in first["presets"]] == [f"p{i:02d}" for i in range(24, 14, -1)]
    api.create_upload_preset(name="late")  # added between pages: must not shift them
    second = api.upload_presets(max_results=10, next_cursor=first["next_cursor"])
    assert [p["name"] for p in second["presets"]] == [f"p{i:02d}" for i in range(14, 4, -1)]
    third = api.upload_presets(max_results=10, next_cursor=second["next_cursor"])
    assert [p["name"] for p in third["presets"]] == [f"p{i:02d}" for i in range(4, -1, -1)]
    assert "next_cursor" not in third
    assert api.upload_presets(max_results=1)["presets"][0]["name"] == "late"


def test_paging_survives_deleting_the_last_seen_preset(sdk: Emulator) -> None:
    sdk.seed_presets("demo", [{"name": f"p{i}"} for i in range(6)])
    first = api.upload_presets(max_results=3)
    api.delete_upload_preset(first["presets"][-1]["name"])
    second = api.upload_presets(max_results=3, next_cursor=first["next_cursor"])
    assert [p["name"] for p in second["presets"]] == ["p2", "p1", "p0"]


def test_default_page_size_is_10_and_max_results_is_bounded(sdk: Emulator) -> None:
    sdk.seed_presets("demo", [{"name": f"p{i}"} for i in range(12)])
    assert len(api.upload_presets()["presets"]) == 10
    assert len(api.upload_presets(max_results=500)["presets"]) == 12
    for bad in (0, 501, "ten"):
        with pytest.raises(BadRequest, match="max_results"):
            api.upload_presets(max_results=bad)
    with pytest.raises(BadRequest, match="next_cursor"):
        api.upload_presets(next_cursor="not-a-cursor")


def test_a_string_transformation_is_a_named_one(sdk: Emulator) -> None:
    api.create_upload_preset(name="named", transformation="my_named")
    assert api.upload_preset("named")["settings"] == {
        "transformation": [{"transformation": "my_named"}]
    }


def test_ping(sdk: Emulator) -> None:
    assert api.ping() == {"status": "ok"}
    assert sdk.stats()["requests"]["GET /ping"] == 1


def test_rate_limit_attributes_are_exposed_to_the_sdk(sdk: Emulator) -> None:
    first = api.upload_presets()
    second = api.ping()
    assert first.rate_limit_allowed == 2000
    assert first.rate_limit_remaining == 1999
    assert second.rate_limit_remaining == 1998
    reset = first.rate_limit_reset_at
    assert (reset[4], reset[5]) == (0, 0)  # the next top of the hour
    assert re.fullmatch(r"[0-9a-f]{32}", first.request_id)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"api_secret": "wrong"}, "Invalid credentials"),
        ({"api_key": "123"}, "Unknown API key 123"),
        ({"cloud_name": "nosuchcloud"}, "Invalid cloud_name nosuchcloud"),
        ({"oauth_token": "TOKEN123"}, "Bearer tokens are not supported"),
    ],
)
def test_authentication_errors(sdk: Emulator, settings: dict[str, str], message: str) -> None:
    with pytest.raises(AuthorizationRequired, match=message):
        api.upload_presets(**settings)
    assert sdk.quota("demo")["remaining"] == 2000  # unauthenticated calls cost nothing


def test_sdk_errors_for_bad_values(sdk: Emulator) -> None:
    with pytest.raises(BadRequest, match="Invalid transformation parameter 'xyz' in 'xyz_1'"):
        api.create_upload_preset(name="t", raw_transformation="xyz_1")
    with pytest.raises(BadRequest, match="Invalid moderation"):
        api.create_upload_preset(name="m", moderation="aws_rek:explicit_nudity:high")
    with pytest.raises(BadRequest, match="Invalid boolean value for overwrite"):
        api.create_upload_preset(name="b", overwrite="maybe")
    assert sdk.presets("demo") == []
