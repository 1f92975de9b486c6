"""The Upload Widget's ``uploadSignature`` callback: the server signs ``params_to_sign``.

Each test does what the widget does: it builds ``params_to_sign`` (its own timestamp, the
configured ``upload_preset``, ``source: uw`` and the upload's options), asks the helper for
a signature, then POSTs the file with exactly those parameters, the signature and the API
key to the emulator, which checks the signature as Cloudinary does. Every refusal happens
before anything is signed, and signing never talks to the network.
"""

from __future__ import annotations

import time
from typing import Any

import cloudinary.utils
import pytest
from upload_helpers import (
    IMAGES,
    admin_calls,
    browser_post,
    key_only,
    upload_requests,
    with_sha256,
)

from cloudinary_presets import UsageError
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.operations.uploader import Uploader

SUNSET = (IMAGES / "sunset.png").read_bytes()


def widget_params(preset: str = "ugc-moderated", **options: Any) -> dict[str, Any]:
    return {"timestamp": int(time.time()), "upload_preset": preset, "source": "uw", **options}


def widget_post(emulator: Emulator, params: dict[str, Any], signature: str) -> Any:
    """The widget's upload: ``params_to_sign`` as the browser sends them, signed."""
    fields = {
        k: ("true" if v is True else ",".join(v) if isinstance(v, list) else str(v))
        for k, v in params.items()
    }
    fields |= {"signature": signature, "api_key": emulator.clouds[0].api_key}
    return browser_post({"url": f"{emulator.url}/v1_1/demo/image/upload", "fields": fields}, SUNSET)


def test_the_widget_uploads_with_the_signature_and_the_preset_applies(
    applied: Emulator, uploader: Uploader
) -> None:
    calls = admin_calls(applied)
    params = widget_params(tags=["menu", "summer"], folder="from-widget")
    signature = uploader.sign_widget_params(params)

    secret = applied.clouds[0].api_secret
    assert signature == cloudinary.utils.api_sign_request(
        {**params, "tags": "menu,summer"}, secret, "sha1"
    )
    assert (admin_calls(applied), upload_requests(applied)) == (calls, 0)  # no network

    response = widget_post(applied, params, signature)

    assert response.status_code == 200, response.text
    [asset] = applied.assets("demo")
    assert asset["tags"] == ["menu", "summer"]
    assert [m["kind"] for m in asset["moderation"]] == ["aws_rek", "manual"]  # the preset's


def test_a_signature_covers_exactly_what_the_widget_asked_for(
    applied: Emulator, uploader: Uploader
) -> None:
    params = widget_params(unique_filename=True)
    signature = uploader.sign_widget_params(params)

    tampered = widget_post(applied, {**params, "folder": "elsewhere"}, signature)
    assert tampered.status_code == 401
    assert "Invalid Signature" in tampered.json()["error"]["message"]
    assert applied.assets("demo") == []

    assert widget_post(applied, params, signature).status_code == 200  # booleans as "true"
    assert len(applied.assets("demo")) == 1


def test_sha256_accounts_sign_with_sha256(
    applied: Emulator, make_uploader: Any, cloudinary_url: str
) -> None:
    params = widget_params("product-images")
    signature = make_uploader(with_sha256(cloudinary_url)).sign_widget_params(params)
    secret = applied.clouds[0].api_secret
    assert signature == cloudinary.utils.api_sign_request(params, secret, "sha256")
    response = widget_post(applied, params, signature)
    assert response.status_code == 200, response.text
    assert applied.assets("demo")[0]["asset_folder"] == "products"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"upload_preset": "nope"}, "which no definition names (remote names: avatar, "),
        ({"upload_preset": None}, "sign for preset None"),
        ({"upload_preset": "avatar"}, "preset 'avatar' is unsigned"),
        ({"timestamp": "soon"}, "timestamp must be Unix seconds, got 'soon'"),
        ({"timestamp": int(time.time()) - 3700}, "in the past"),
        ({"timestamp": int(time.time()) + 3600}, "in the future"),
        ({"api_key": "123"}, "may not set api_key"),
        ({"signature": "x"}, "may not set signature"),
    ],
)
def test_what_cannot_be_signed_is_refused(
    applied: Emulator, uploader: Uploader, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError) as info:
        uploader.sign_widget_params({**widget_params(), **params})
    assert message in str(info.value)


def test_a_server_without_the_secret_cannot_sign(
    applied: Emulator, make_uploader: Any, cloudinary_url: str
) -> None:
    uploader = make_uploader(key_only(cloudinary_url))
    with pytest.raises(UsageError, match="signing needs the API secret"):
        uploader.sign_widget_params(widget_params())
