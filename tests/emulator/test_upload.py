"""The Upload API: signatures, unsigned restrictions, presets applied, files served."""

from __future__ import annotations

import hashlib
import io
import re
import time

import cloudinary
import cloudinary.api as api
import cloudinary.uploader as uploader
import pytest
from cloudinary.exceptions import AuthorizationRequired, BadRequest

from cloudinary_presets.emulator import DEMO_CLOUD, Emulator


def test_signed_upload_with_the_sdk(sdk: Emulator, client, files) -> None:
    content = files.png(3, 2)
    result = uploader.upload(content, public_id="hero", tags=["a", "b"], context={"k": "v"})
    assert result["public_id"] == "hero"
    assert (result["width"], result["height"], result["format"]) == (3, 2, "png")
    assert result["resource_type"] == "image"
    assert result["type"] == "upload"
    assert result["tags"] == ["a", "b"]
    assert result["context"] == {"custom": {"k": "v"}}
    assert result["bytes"] == len(content)
    assert result["etag"] == hashlib.md5(content).hexdigest()
    assert result["api_key"] == DEMO_CLOUD.api_key
    assert result["placeholder"] is False
    assert result["original_filename"] == "file"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["created_at"])
    assert result["secure_url"] == f"{sdk.url}/demo/image/upload/v{result['version']}/hero.png"
    served = client.get(result["secure_url"])
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.content == content
    [asset] = sdk.assets("demo")
    assert asset["public_id"] == "hero"
    assert asset["sha256"] == hashlib.sha256(content).hexdigest()
    assert sdk.stats()["uploads"] == 1


def test_sha256_signatures_and_signature_version_1(sdk: Emulator, files) -> None:
    result = uploader.upload(files.png(), public_id="s256", signature_algorithm="sha256")
    assert result["public_id"] == "s256"
    # a value with "&": versions 1 and 2 sign different strings; both are accepted
    for version in (1, 2):
        result = uploader.upload(
            files.png(), public_id=f"v{version}", context={"q": "a&b"}, signature_version=version
        )
        assert result["context"] == {"custom": {"q": "a&b"}}


def test_bad_signature_shows_the_string_to_sign_without_the_secret(
    emu: Emulator, client, files
) -> None:
    params = client.signed_params({"public_id": "x", "tags": "a,b"})
    params["signature"] = "deadbeef"
    response = client.upload(params, files.png(), signed=False)
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    stamp = params["timestamp"]
    assert message == (
        f"Invalid Signature deadbeef. String to sign - 'public_id=x&tags=a,b&timestamp={stamp}'."
    )
    assert DEMO_CLOUD.api_secret not in message
    assert emu.assets("demo") == []


def test_tampered_parameter_fails_the_signature(emu: Emulator, client, files) -> None:
    params = client.signed_params({"public_id": "x"})
    params["public_id"] = "y"
    response = client.upload(params, files.png(), signed=False)
    assert response.status_code == 401
    assert "Invalid Signature" in response.json()["error"]["message"]


def test_stale_timestamp(emu: Emulator, client, files) -> None:
    old = int(time.time()) - 3700
    params = client.signed_params({"public_id": "x"}, timestamp=old)
    response = client.upload(params, files.png(), signed=False)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == (
        f"Stale request - reported time is {old} which is more than 1 hour ago"
    )


def test_signed_upload_auth_errors(emu: Emulator, client, files) -> None:
    params = client.signed_params({"public_id": "x"})
    params["api_key"] = "999"
    wrong_key = client.upload(params, files.png(), signed=False)
    assert (wrong_key.status_code, wrong_key.json()["error"]["message"]) == (
        401,
        "Unknown API key 999",
    )
    no_stamp = client.upload(
        {"api_key": DEMO_CLOUD.api_key, "signature": "x"}, files.png(), signed=False
    )
    assert no_stamp.status_code == 400
    assert "timestamp" in no_stamp.json()["error"]["message"]
    no_file = client.upload({"public_id": "x"})
    assert no_file.status_code == 400
    assert no_file.json()["error"]["message"] == "Missing required parameter - file"


def test_bearer_tokens_are_refused_for_uploads(sdk: Emulator, files) -> None:
    with pytest.raises(AuthorizationRequired, match="Bearer"):
        uploader.upload(files.png(), oauth_token="TOKEN123")


def test_uploads_do_not_spend_the_admin_quota(sdk: Emulator, files) -> None:
    uploader.upload(files.png())
    assert sdk.quota("demo")["remaining"] == 2000
    assert sdk.stats()["requests"]["POST /{resource_type}/upload"] == 1


class TestUnsigned:
    @pytest.fixture
    def presets(self, sdk: Emulator) -> Emulator:
        api.create_upload_preset(name="open", unsigned=True, folder="inbox", tags=["from-preset"])
        api.create_upload_preset(name="closed", unsigned=False)
        api.create_upload_preset(name="fixed", unsigned=True, disallow_public_id=True)
        return sdk

    def test_unsigned_upload_applies_the_preset(self, presets: Emulator, files) -> None:
        result = uploader.unsigned_upload(files.png(), "open", tags="mine")
        assert result["public_id"].startswith("inbox/")
        assert result["asset_folder"] == "inbox"
        assert result["tags"] == ["mine"]  # request parameters override the preset's
        assert "api_key" not in result
        bare = uploader.unsigned_upload(files.png(note="2"), "open")
        assert bare["tags"] == ["from-preset"]

    def test_signed_preset_is_refused(self, presets: Emulator, files) -> None:
        with pytest.raises(
            BadRequest, match="Upload preset must be whitelisted for unsigned uploads"
        ):
            uploader.unsigned_upload(files.png(), "closed")

    def test_unknown_preset(self, presets: Emulator, files) -> None:
        with pytest.raises(BadRequest, match="Upload preset not found"):
            uploader.unsigned_upload(files.png(), "nope")
        with pytest.raises(BadRequest, match="Upload preset not found"):
            uploader.upload(files.png(), upload_preset="nope")

    def test_only_allowed_parameters(self, presets: Emulator, files) -> None:
        with pytest.raises(BadRequest) as refused:
            uploader.unsigned_upload(files.png(), "open", overwrite=True, eager="w_10")
        assert str(refused.value) == (  # Cloudinary's wording (ts_unsupported_parameters...)
            "Overwrite parameter is not allowed when using unsigned upload. Only upload_preset,"
            "callback,public_id,folder,asset_folder,tags,context,metadata,face_coordinates,"
            "custom_coordinates,source,filename_override,manifest_transformation,manifest_json,"
            "template,template_vars,regions,public_id_prefix upload parameters are allowed."
        )
        assert presets.assets("demo") == []

    def test_the_whole_documented_allow_list_is_accepted(self, presets: Emulator, files) -> None:
        result = uploader.unsigned_upload(
            files.png(),
            "open",
            callback="http://127.0.0.1:9/cors.html",
            public_id_prefix="pre",
            source="uw",
            template="t",
            template_vars='{"a":1}',
            manifest_json='{"w":1}',
            manifest_transformation="w_10",
            filename_override="orig.png",
            asset_folder="af",
            custom_coordinates="1,2,3,4",
            regions='{"r":[[1,2],[3,4]]}',
        )
        assert (result["asset_folder"], result["original_filename"]) == ("af", "orig")

    def test_refused_parameter_is_named_in_x_cld_error(self, presets: Emulator, client, files):
        response = client.upload(
            {"upload_preset": "open", "eager": "w_1"}, files.png(), signed=False
        )
        assert response.status_code == 400
        assert response.headers["X-Cld-Error"].startswith("Eager parameter is not allowed")

    def test_missing_preset(self, presets: Emulator, client, files) -> None:
        response = client.upload({"tags": "a"}, files.png(), signed=False)
        assert response.status_code == 400
        assert "Upload preset must be specified" in response.json()["error"]["message"]

    def test_disallow_public_id(self, presets: Emulator, files) -> None:
        with pytest.raises(BadRequest, match="disallow_public_id"):
            uploader.unsigned_upload(files.png(), "fixed", public_id="chosen")
        assert uploader.unsigned_upload(files.png(), "fixed")["public_id"] != "chosen"

    def test_unsigned_never_overwrites(self, presets: Emulator, files) -> None:
        first = uploader.unsigned_upload(files.png(note="first"), "open", public_id="same")
        second = uploader.unsigned_upload(files.png(note="second"), "open", public_id="same")
        assert second["existing"] is True
        assert second["version"] == first["version"]
        [asset] = presets.assets("demo")
        assert asset["sha256"] == hashlib.sha256(files.png(note="first")).hexdigest()


def test_signed_overwrite_and_overwrite_false(sdk: Emulator, files) -> None:
    first = uploader.upload(files.png(note="1"), public_id="p")
    second = uploader.upload(files.png(note="2"), public_id="p")
    assert second["version"] > first["version"]
    assert second["asset_id"] == first["asset_id"]
    assert "existing" not in second
    third = uploader.upload(files.png(note="3"), public_id="p", overwrite=False)
    assert third["existing"] is True
    assert third["version"] == second["version"]
    [asset] = sdk.assets("demo")
    assert asset["sha256"] == hashlib.sha256(files.png(note="2")).hexdigest()


class TestAllowedFormats:
    @pytest.fixture
    def jpg_only(self, sdk: Emulator) -> Emulator:
        api.create_upload_preset(name="jpg_only", unsigned=True, allowed_formats=["jpg"])
        return sdk

    def test_png_content_named_jpg_is_refused(self, jpg_only: Emulator, files) -> None:
        with pytest.raises(BadRequest, match="Image file format png not allowed"):
            uploader.unsigned_upload(("photo.jpg", files.png()), "jpg_only")
        assert jpg_only.assets("demo") == []

    def test_jpeg_content_named_png_is_accepted(self, jpg_only: Emulator, files) -> None:
        result = uploader.unsigned_upload(("photo.png", files.jpeg(3, 2)), "jpg_only")
        assert (result["format"], result["width"], result["height"]) == ("jpg", 3, 2)

    def test_extension_is_the_fallback_for_unsniffed_formats(self, sdk: Emulator, files) -> None:
        api.create_upload_preset(name="svg_only", allowed_formats="svg")
        svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
        assert uploader.upload(("logo.svg", svg), upload_preset="svg_only")["format"] == "svg"
        with pytest.raises(BadRequest, match="Image file format eps not allowed"):
            uploader.upload(("logo.eps", b"%!PS-Adobe-3.0 EPSF"), upload_preset="svg_only")
        # a format the emulator can sniff is not taken from the name: these bytes are no BMP
        with pytest.raises(BadRequest, match=r"^Invalid image file$"):
            uploader.upload(("logo.bmp", b"BM-not-really"), upload_preset="svg_only")


@pytest.mark.parametrize(
    ("maker", "fmt", "size", "content_type"),
    [
        ("png", "png", (3, 2), "image/png"),
        ("jpeg", "jpg", (3, 2), "image/jpeg"),
        ("gif", "gif", (4, 5), "image/gif"),
        ("webp", "webp", (6, 7), "image/webp"),
    ],
)
def test_formats_dimensions_and_delivery(
    sdk: Emulator, client, files, maker: str, fmt: str, size: tuple[int, int], content_type: str
) -> None:
    content = getattr(files, maker)(*size)
    result = uploader.upload(content, resource_type="auto")
    assert (result["format"], result["width"], result["height"]) == (fmt, *size)
    assert result["resource_type"] == "image"
    served = client.get(result["url"])
    assert served.headers["Content-Type"] == content_type
    assert served.content == content


def test_garbage_is_not_an_image(sdk: Emulator) -> None:
    with pytest.raises(BadRequest, match="Invalid image file"):
        uploader.upload(b"definitely not an image")


def test_raw_upload_keeps_the_extension(sdk: Emulator, client) -> None:
    stream = io.BytesIO(b"hello, raw")
    stream.name = "notes.txt"
    result = uploader.upload(stream, resource_type="raw", use_filename=True, unique_filename=False)
    assert result["public_id"] == "notes.txt"
    assert result["resource_type"] == "raw"
    assert "format" not in result
    served = client.get(result["secure_url"])
    assert served.content == b"hello, raw"
    assert served.headers["Content-Type"].startswith("text/plain")


def test_use_filename_and_unique_filename(sdk: Emulator, files) -> None:
    unique = uploader.upload(("holiday.png", files.png()), use_filename=True, folder="trips")
    assert re.fullmatch(r"trips/holiday_[a-z0-9]{6}", unique["public_id"])
    assert unique["original_filename"] == "holiday"
    plain = uploader.upload(("holiday.png", files.png()), use_filename=True, unique_filename=False)
    assert plain["public_id"] == "holiday"
    assert re.fullmatch(r"[a-z0-9]{20}", uploader.upload(files.png())["public_id"])


def test_data_uri_and_loopback_url_sources(sdk: Emulator, files) -> None:
    content = files.gif(2, 3)
    from_uri = uploader.upload(files.data_uri(content, "image/gif"), public_id="from-uri")
    assert (from_uri["format"], from_uri["bytes"]) == ("gif", len(content))
    from_url = uploader.upload(from_uri["secure_url"], public_id="from-url")
    assert from_url["etag"] == from_uri["etag"]
    assert from_url["original_filename"] == "from-uri"


def test_remote_urls_are_not_fetched(sdk: Emulator) -> None:
    url = "https://example.com/a.jpg"
    with pytest.raises(
        BadRequest, match=f"Error in loading {url} - the emulator cannot fetch remote URLs"
    ):
        uploader.upload(url)


def test_upload_to_an_unknown_cloud(sdk: Emulator, files) -> None:
    with pytest.raises(AuthorizationRequired, match="Invalid cloud_name other"):
        uploader.upload(files.png(), cloud_name="other")


def test_signed_upload_with_a_signed_preset_applies_it(sdk: Emulator, files) -> None:
    api.create_upload_preset(
        name="signed", folder="base", context={"source": "preset"}, display_name="shown"
    )
    result = uploader.upload(files.png(), upload_preset="signed", public_id="x")
    assert result["public_id"] == "base/x"
    assert result["context"] == {"custom": {"source": "preset"}}
    assert result["display_name"] == "shown"
    assert cloudinary.config().cloud_name == "demo"


def test_upload_transformations_are_validated(sdk: Emulator, files) -> None:
    with pytest.raises(BadRequest, match="Invalid transformation parameter 'xyz' in 'xyz_1'"):
        uploader.upload(files.png(), raw_transformation="xyz_1")
    result = uploader.upload(
        files.png(), width=10, crop="scale", eager=[{"width": 5, "format": "webp"}]
    )
    assert result["width"] == 1  # validated, not applied: the emulator processes no images
    assert sdk.stats()["uploads"] == 1


def test_browsers_may_upload_from_any_origin_but_not_call_the_admin_api(
    emu: Emulator, client, files
) -> None:
    upload_url = f"{emu.url}/v1_1/demo/image/upload"
    preflight = client.session.options(
        upload_url,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-unique-upload-id, content-range",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-unique-upload-id, content-range"

    uploaded = client.upload(client.signed_params({"public_id": "x"}), files.png(), signed=False)
    refused = client.upload(client.signed_params({"public_id": "y"}), b"", signed=False)
    for answer in (uploaded, refused):  # errors too: the page must be able to read them
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert (uploaded.status_code, refused.status_code) == (200, 400)

    admin = client.admin("GET", "/upload_presets")
    assert admin.status_code == 200
    assert "Access-Control-Allow-Origin" not in admin.headers
    assert client.session.options(client.admin_url("/upload_presets")).status_code == 404
