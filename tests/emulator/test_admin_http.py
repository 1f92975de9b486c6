"""Admin API over raw HTTP: body encodings, value coercion, headers, add-on drop."""

from __future__ import annotations

import email.utils
import json
import re
import time

import pytest

from cloudinary_presets.emulator import Emulator


def _settings(emu: Emulator, name: str) -> dict[str, object]:
    [preset] = [p for p in emu.presets("demo") if p["name"] == name]
    settings = preset["settings"]
    assert isinstance(settings, dict)
    return settings


def test_json_form_and_multipart_bodies_store_the_same_thing(emu: Emulator, client) -> None:
    fields = {"folder": "f", "overwrite": "1", "unsigned": "true"}
    assert client.admin("POST", "/upload_presets", json={**fields, "name": "j"}).status_code == 200
    assert client.admin("POST", "/upload_presets", data={**fields, "name": "f"}).status_code == 200
    multipart = [(k, (None, v)) for k, v in {**fields, "name": "m"}.items()]
    multipart += [("tags[]", (None, "a")), ("tags[]", (None, "b"))]
    assert client.admin("POST", "/upload_presets", files=multipart).status_code == 200
    stored = {p["name"]: p for p in emu.presets("demo")}
    for name in ("j", "f", "m"):
        assert stored[name]["unsigned"] is True
        assert _settings(emu, name)["overwrite"] is True
        assert _settings(emu, name)["folder"] == "f"
    assert _settings(emu, "m")["tags"] == "a,b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), ("1", True), ("0", False)],
)
def test_boolean_spellings(emu: Emulator, client, value: object, expected: bool) -> None:
    body = {
        "name": "b",
        "unsigned": value,
        "disallow_public_id": value,
        "live": value,
        "exif": value,
    }
    assert client.admin("POST", "/upload_presets", json=body).status_code == 200
    [preset] = emu.presets("demo")
    assert preset["unsigned"] is expected
    assert preset["settings"] == {
        "disallow_public_id": expected,
        "live": expected,
        "exif": expected,
    }


def test_lists_empty_values_unknown_keys_and_timestamp(emu: Emulator, client) -> None:
    body = {
        "name": "p",
        "tags": ["a", "b"],
        "allowed_formats": "jpg,png",
        "folder": "",
        "notification_url": None,
        "timestamp": "1795618720",
        "x_custom": {"nested": [1, 2]},
        "x_number": 7,
    }
    assert client.admin("POST", "/upload_presets", json=body).status_code == 200
    assert _settings(emu, "p") == {
        "tags": "a,b",
        "allowed_formats": "jpg,png",
        "x_custom": {"nested": [1, 2]},
        "x_number": 7,
    }
    got = client.admin("GET", "/upload_presets/p").json()["settings"]
    assert got["tags"] == ["a", "b"]
    assert got["allowed_formats"] == ["jpg", "png"]
    assert got["x_custom"] == {"nested": [1, 2]}


def test_structured_values_accepted_where_the_encoding_is_unambiguous(
    emu: Emulator, client
) -> None:
    body = {
        "name": "p",
        "access_control": [{"access_type": "anonymous"}],
        "regions": {"box": [[1, 2], [3, 4]]},
        "custom_coordinates": [[1, 2, 3, 4]],
        "auto_tagging": 0.25,
    }
    assert client.admin("POST", "/upload_presets", json=body).status_code == 200
    assert _settings(emu, "p") == {
        "access_control": '[{"access_type":"anonymous"}]',
        "regions": '{"box":[[1,2],[3,4]]}',
        "custom_coordinates": "1,2,3,4",
        "auto_tagging": "0.25",
    }
    got = client.admin("GET", "/upload_presets/p").json()["settings"]
    assert got["regions"] == {"box": [[1, 2], [3, 4]]}
    assert got["custom_coordinates"] == [[1, 2, 3, 4]]
    assert got["auto_tagging"] == 0.25


def test_get_one_parses_headers_and_escaped_context(emu: Emulator, client) -> None:
    body = {
        "name": "p",
        "headers": "X-Robots-Tag: noindex\nLink: <https://a.example>; rel=x",
        "context": "caption=a\\=b\\|c|alt=plain",
        "eager": "c_fill,w_1.5/|w_10",
        "transformation": "if_w_gt_100,$small_20,l_text:Arial_20:hi/e_sepia:50,fl_a.b",
    }
    assert client.admin("POST", "/upload_presets", json=body).status_code == 200
    got = client.admin("GET", "/upload_presets/p").json()["settings"]
    assert got["headers"] == {"X-Robots-Tag": "noindex", "Link": "<https://a.example>; rel=x"}
    assert got["context"] == {"caption": "a=b|c", "alt": "plain"}
    assert got["eager"] == [[{"crop": "fill", "width": 1.5, "format": ""}], [{"width": 10}]]
    assert got["transformation"] == [
        {"if": "w_gt_100", "$small": 20, "overlay": "text:Arial_20:hi"},
        {"effect": "sepia:50", "flags": "a.b"},
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{not json", "application/json", "invalid JSON"),
        (b"[1, 2]", "application/json", "must be an object"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", "multipart"),
        (b"<xml/>", "application/xml", "Unsupported Content-Type"),
    ],
)
def test_malformed_bodies_are_rejected(
    emu: Emulator, client, body: bytes, content_type: str, message: str
) -> None:
    response = client.admin(
        "POST", "/upload_presets", data=body, headers={"Content-Type": content_type}
    )
    assert response.status_code in (400, 415)
    assert message in response.json()["error"]["message"]
    assert emu.presets("demo") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"transformation": [{"crop": "scale"}]}, "send Cloudinary's string encoding"),
        ({"context": {"a": "b"}}, "send Cloudinary's string encoding"),
        ({"transformation": "c_scale,,w_100"}, "Invalid transformation parameter"),
        ({"transformation": "c_scale//w_100"}, "empty component"),
        ({"context": "novalue"}, "Invalid value for context"),
        ({"face_coordinates": "1,2,3"}, "four numbers"),
        ({"access_control": "[{"}, "not valid JSON"),
        ({"auto_tagging": "2"}, "from 0 to 1"),
        ({"moderation": "nudity_check"}, "Invalid moderation kind 'nudity_check'"),
        ({"moderation": "aws_rek:explicit_nudity"}, "category:threshold pairs"),
        ({"folder": True}, "Invalid value for folder"),
        ({"unsigned": "yes"}, "Invalid boolean value for unsigned"),
    ],
)
def test_invalid_values_are_rejected(
    emu: Emulator, client, body: dict[str, object], message: str
) -> None:
    response = client.admin("POST", "/upload_presets", json={"name": "p", **body})
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert emu.presets("demo") == []


def test_every_admin_response_carries_rate_limit_and_request_headers(emu: Emulator, client) -> None:
    responses = [
        client.admin("GET", "/upload_presets"),
        client.admin("GET", "/upload_presets/missing"),
        client.admin("GET", "/upload_presets", auth=None),
        client.admin("GET", "/upload_presets", cloud="elsewhere"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 401, 401]
    top_of_hour = (int(time.time()) // 3600 + 1) * 3600
    for response in responses:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["X-FeatureRateLimit-Limit"] == "2000"
        reset = email.utils.parsedate_to_datetime(response.headers["X-FeatureRateLimit-Reset"])
        assert reset.timestamp() == top_of_hour
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    assert responses[0].headers["X-FeatureRateLimit-Remaining"] == "1999"
    assert responses[1].headers["X-FeatureRateLimit-Remaining"] == "1998"
    assert responses[2].headers["X-FeatureRateLimit-Remaining"] == "1998"  # not spent
    assert responses[2].json() == {"error": {"message": "Must supply api_key"}}
    assert responses[3].json() == {"error": {"message": "Invalid cloud_name elsewhere"}}


def test_sdk_style_delete_with_json_content_type_and_empty_object(emu: Emulator, client) -> None:
    client.admin("POST", "/upload_presets", json={"name": "p"})
    response = client.admin(
        "DELETE", "/upload_presets/p", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["message"] == "deleted"


def test_unknown_admin_endpoints_are_404(emu: Emulator, client) -> None:
    assert client.admin("GET", "/resources/image").status_code == 404
    assert client.admin("POST", "/upload_presets/p").status_code == 404
    assert client.session.get(f"{emu.url}/nowhere", timeout=5).status_code == 404
    assert emu.stats()["requests"]["other"] == 3


class TestAddons:
    def test_moderation_with_a_disabled_addon_is_silently_dropped(
        self, emu: Emulator, client
    ) -> None:
        emu.set_addons("demo", ["webpurify"])
        body = {"name": "p", "folder": "f", "moderation": "aws_rek:explicit_nudity:0.7|manual"}
        response = client.admin("POST", "/upload_presets", json=body)
        assert response.status_code == 200
        assert response.json()["message"] == "created"
        assert _settings(emu, "p") == {"folder": "f"}

    def test_enabled_addons_and_manual_are_kept(self, emu: Emulator, client) -> None:
        emu.set_addons("demo", ["aws_rek"])
        for name, moderation in (
            ("a", "aws_rek:suggestive:0.4"),
            ("m", "manual"),
            ("w", "webpurify"),
        ):
            body = {"name": name, "moderation": moderation}
            assert client.admin("POST", "/upload_presets", json=body).status_code == 200
        assert _settings(emu, "a") == {"moderation": "aws_rek:suggestive:0.4"}
        assert _settings(emu, "m") == {"moderation": "manual"}
        assert _settings(emu, "w") == {}

    def test_update_drops_it_too(self, emu: Emulator, client) -> None:
        client.admin("POST", "/upload_presets", json={"name": "p", "moderation": "duplicate:0.9"})
        emu.set_addons("demo", [])
        client.admin(
            "PUT", "/upload_presets/p", json={"moderation": "duplicate:0.9", "folder": "x"}
        )
        assert _settings(emu, "p") == {"folder": "x"}

    def test_unknown_addon_names_are_refused(self, emu: Emulator) -> None:
        with pytest.raises(ValueError, match="unknown add-on"):
            emu.set_addons("demo", ["aws_rekognition"])


def test_list_and_get_forms_of_a_seeded_preset_agree(emu: Emulator, client) -> None:
    emu.seed_presets("demo", [{"name": "s", "tags": ["a"], "transformation": "w_10"}])
    listed = client.admin("GET", "/upload_presets").json()["presets"][0]
    got = client.admin("GET", "/upload_presets/s").json()
    assert listed["settings"] == {"tags": "a", "transformation": "w_10"}
    assert got["settings"] == {"tags": ["a"], "transformation": [{"width": 10}]}
    assert json.dumps(listed["external_id"]) == json.dumps(got["external_id"])


def test_a_body_cut_short_is_never_processed(emu: Emulator) -> None:
    """A client killed mid-send leaves a partial body; acting on it would create a preset
    from half a request (without its name: a random one)."""
    import base64
    import socket
    from urllib.parse import urlsplit

    account = emu.clouds[0]
    body = b"folder=ugc&name=half-sent"  # cut after "folder=ugc": still a valid form
    auth = base64.b64encode(f"{account.api_key}:{account.api_secret}".encode()).decode()
    head = (
        f"POST /v1_1/{account.name}/upload_presets HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Basic {auth}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    url = urlsplit(emu.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(head + body[: len(b"folder=ugc")])
        sock.shutdown(socket.SHUT_WR)
        reply = sock.recv(4096)
    assert b" 400 " in reply.split(b"\r\n", 1)[0]
    assert emu.presets(account.name) == []
