"""Direct uploads: the server hands out the fields, the browser POSTs the file to Cloudinary.

Every form is used the way a browser uses it: the file POSTed (multipart) to the form's
URL with exactly its fields, straight to the emulator. The emulator's answer and its
stored asset show the preset applied; every refusal happens before anything is signed,
and building a form never talks to the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudinary.utils
import pytest
from upload_helpers import (
    IMAGES,
    admin_calls,
    browser_post,
    key_only,
    load_example,
    upload_requests,
    with_sha256,
)
from web_servers import client, serve

from cloudinary_presets import DirectUpload, UsageError
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.operations.uploader import Uploader

SUNSET = (IMAGES / "sunset.png").read_bytes()
SIGNED_BY_US = {"timestamp", "signature", "api_key"}


def no_network(emulator: Emulator) -> bool:
    return upload_requests(emulator) == 0 and admin_calls(emulator) == 0


def test_a_signed_preset_gives_signed_fields_the_emulator_accepts(
    applied: Emulator, uploader: Uploader
) -> None:
    calls_before = admin_calls(applied)
    form = uploader.direct_upload("ugc-moderated", tags=["menu", "summer"], context={"alt": "a&b"})

    assert isinstance(form, DirectUpload)
    assert form.signed
    assert form.url == f"{applied.url}/v1_1/demo/auto/upload"
    assert set(form.fields) == {"upload_preset", "tags", "context", *SIGNED_BY_US}
    assert all(isinstance(v, str) for v in form.fields.values())
    assert form.fields["upload_preset"] == "ugc-moderated"
    assert form.fields["tags"] == "menu,summer"
    assert form.fields["context"] == "alt=a&b"
    assert form.fields["api_key"] == applied.clouds[0].api_key
    assert form.expires_at == int(form.fields["timestamp"]) + 3600
    assert upload_requests(applied) == 0
    assert admin_calls(applied) == calls_before  # no network to build a form

    response = browser_post(form.as_dict(), SUNSET, "sunset.png")

    assert response.status_code == 200, response.text
    [asset] = applied.assets("demo")
    assert response.json()["public_id"] == asset["public_id"]
    assert asset["public_id"].startswith("ugc/")
    assert asset["tags"] == ["menu", "summer"]  # request tags replace the preset's
    assert asset["context"] == {"custom": {"alt": "a&b"}}
    assert [m["kind"] for m in asset["moderation"]] == ["aws_rek", "manual"]


def test_the_signature_is_the_sdks_and_covers_every_field(
    applied: Emulator, uploader: Uploader
) -> None:
    form = uploader.direct_upload("ugc-moderated", public_id="mine", tags=["a"])
    signed = {k: v for k, v in form.fields.items() if k not in ("signature", "api_key")}
    secret = applied.clouds[0].api_secret
    assert form.fields["signature"] == cloudinary.utils.api_sign_request(signed, secret, "sha1")

    tampered = {**form.as_dict(), "fields": {**form.fields, "tags": "a,b"}}
    refused = browser_post(tampered, SUNSET)
    assert refused.status_code == 401
    assert "Invalid Signature" in refused.json()["error"]["message"]
    assert applied.assets("demo") == []

    assert browser_post(form.as_dict(), SUNSET).status_code == 200
    assert [a["public_id"] for a in applied.assets("demo")] == ["ugc/mine"]


def test_sha256_accounts_name_the_algorithm(
    applied: Emulator, make_uploader: Any, cloudinary_url: str
) -> None:
    form = make_uploader(with_sha256(cloudinary_url)).direct_upload("product-images")
    assert form.fields["signature_algorithm"] == "sha256"
    assert len(form.fields["signature"]) == 64
    response = browser_post(form.as_dict(), SUNSET, "sunset.png")
    assert response.status_code == 200, response.text
    assert applied.assets("demo")[0]["asset_folder"] == "products"


def test_an_unsigned_preset_gives_no_signature_and_no_key(
    applied: Emulator, make_uploader: Any, cloudinary_url: str
) -> None:
    uploader = make_uploader(key_only(cloudinary_url))  # no secret on this server at all
    form = uploader.direct_upload("avatar", resource_type="image", tags=["me"])
    assert not form.signed
    assert form.expires_at is None
    assert dict(form.fields) == {"upload_preset": "avatar", "tags": "me"}
    assert form.url.endswith("/v1_1/demo/image/upload")

    response = browser_post(form.as_dict(), SUNSET, "sunset.png")

    assert response.status_code == 200, response.text
    [asset] = applied.assets("demo")
    assert asset["asset_folder"] == "avatars"
    assert asset["tags"] == ["me"]
    assert "api_key" not in response.json()


@pytest.mark.parametrize(
    ("preset", "params", "message"),
    [
        ("avatar", {"eager": "w_100", "overwrite": True}, "unsigned uploads may not pass eager"),
        ("avatar", {"public_id": "me"}, "preset 'avatar' has disallow_public_id"),
        ("ugc-moderated", {"timestamp": 1}, "may not set timestamp"),
        ("ugc-moderated", {"upload_preset": "other"}, "may not set upload_preset"),
        ("ugc-moderated", {"api_key": "1"}, "may not set api_key"),
        ("ugc-moderated", {"signature": "f00"}, "may not set signature"),
    ],
)
def test_what_the_preset_or_the_mode_forbids_is_refused_before_signing(
    applied: Emulator,
    uploader: Uploader,
    preset: str,
    params: dict[str, Any],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cloudinary_presets.operations import direct_upload

    signed: list[object] = []
    monkeypatch.setattr(direct_upload, "sign", lambda *a: signed.append(a) or "x")
    with pytest.raises(UsageError, match=message):
        uploader.direct_upload(preset, **params)
    assert signed == []
    assert no_network(applied) or upload_requests(applied) == 0


def test_an_unsigned_presets_parameter_whitelist_is_enforced(
    applied: Emulator, project_dir: Path, cloudinary_url: str
) -> None:
    (project_dir / "presets" / "gallery.yaml").write_text(
        "name: gallery\nunsigned: true\nparameter_whitelist: [tags]\n"
        "settings:\n  asset_folder: gallery\n  moderation: manual\n",
        encoding="utf-8",
    )
    with Uploader.from_env({"CLOUDINARY_URL": cloudinary_url}) as uploader:
        assert dict(uploader.direct_upload("gallery", tags=["x"]).fields) == {
            "upload_preset": "gallery",
            "tags": "x",
        }
        with pytest.raises(UsageError, match=r"parameter_whitelist \(tags\), not context"):
            uploader.direct_upload("gallery", context={"alt": "x"})


def test_a_signed_preset_needs_the_secret_and_the_secret_is_never_in_the_form(
    applied: Emulator, make_uploader: Any, cloudinary_url: str, uploader: Uploader
) -> None:
    keyless = make_uploader(key_only(cloudinary_url))
    with pytest.raises(UsageError, match="preset 'ugc-moderated' is signed"):
        keyless.direct_upload("ugc-moderated")
    form = uploader.direct_upload("ugc-moderated")
    secret = applied.clouds[0].api_secret
    assert secret not in json.dumps(form.as_dict())
    assert secret not in repr(form)
    assert form.fields["signature"] not in repr(form)  # logs show field names only
    with pytest.raises(UsageError, match="resource_type must be one of"):
        uploader.direct_upload("ugc-moderated", resource_type="pdf")


# --------------------------------------------------------------------------- examples/web


@pytest.fixture(params=["flask_app", "fastapi_app"])
def web_app(request: pytest.FixtureRequest, uploader: Uploader) -> Iterator[tuple[str, Any]]:
    """An examples/web application served on loopback, and an HTTP client for it."""
    app = load_example(request.param).create_app(uploader)
    with serve(app) as base, client() as http:
        yield base, http


def test_the_html_form_asks_the_server_then_posts_to_cloudinary(web_app: Any) -> None:
    base, http = web_app
    page = http.get(f"{base}/", timeout=5)
    assert page.status_code == 200
    assert 'fetch("/api/direct-upload"' in page.text
    assert 'fetch(url, {method: "POST", body})' in page.text


@pytest.mark.parametrize(
    ("preset", "field_names", "where"),
    [
        ("ugc-moderated", {"upload_preset", *SIGNED_BY_US}, ("public_id", "ugc/")),
        ("avatar", {"upload_preset"}, ("asset_folder", "avatars")),
    ],
)
def test_the_signature_endpoint_serves_a_browser(
    applied: Emulator,
    web_app: Any,
    preset: str,
    field_names: set[str],
    where: tuple[str, str],
) -> None:
    base, http = web_app
    answer = http.post(f"{base}/api/direct-upload", json={"preset": preset}, timeout=5)
    assert answer.status_code == 200, answer.text
    form = answer.json()
    assert set(form["fields"]) == field_names
    assert form["fields"]["upload_preset"] == preset
    assert upload_requests(applied) == 0

    response = browser_post(form, SUNSET, "sunset.png")

    assert response.status_code == 200, response.text
    [asset] = applied.assets("demo")
    assert asset["public_id"] == response.json()["public_id"]
    key, prefix = where
    assert asset[key].startswith(prefix)


def test_the_signature_endpoint_hands_out_only_the_presets_it_lists(
    applied: Emulator, web_app: Any
) -> None:
    base, http = web_app
    for body in ({"preset": "product-images"}, {"preset": "nope"}):
        assert http.post(f"{base}/api/direct-upload", json=body, timeout=5).status_code == 400
    assert upload_requests(applied) == 0
