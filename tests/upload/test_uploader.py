"""The upload helper's Python API end to end: ``Uploader`` against the emulator.

Each example preset is used for signed uploads (SHA-1 and SHA-256) and, where the
preset allows it, unsigned ones; the emulator's response and its stored asset show the
preset applied. Every refusal is checked twice: the error, and that no upload request
reached the emulator and no asset exists.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

import pytest
import requests
from upload_helpers import (
    EXAMPLE_IMAGES,
    IMAGES,
    admin_calls,
    decided,
    key_only,
    png,
    statuses_of,
    upload_requests,
    with_sha256,
)

from cloudinary_presets.cloudinary.codec import encode
from cloudinary_presets.emulator import DEMO_CLOUD, Emulator
from cloudinary_presets.errors import (
    AuthenticationError,
    BadRequest,
    CredentialsError,
    FileError,
    NotFound,
    PresetDrift,
    PresetsError,
    UnknownPreset,
    UsageError,
)
from cloudinary_presets.operations.uploader import UploadResult

RANDOM_ID = re.compile(r"[a-z0-9]{20}")
SUNSET = IMAGES / "sunset.png"
UGC_MODERATION = (
    "aws_rek:explicit_nudity:0.7:graphic_violence_or_gore:0.5:suggestive:ignore:violence:0.8|manual"
)


def nothing_uploaded(emulator: Emulator) -> bool:
    return upload_requests(emulator) == 0 and emulator.assets("demo") == []


def check_applied(preset: str, result: UploadResult, emulator: Emulator, content: bytes) -> None:
    """The preset's folder, tags, context and moderation show in the response and the asset.

    Moderation is asynchronous: the response has the chain waiting (``pending``, then
    ``queued``), the resource details have the decisions once they landed."""
    raw = result.raw
    decisions: list[tuple[str, str]] = []
    if preset == "avatar":
        assert RANDOM_ID.fullmatch(raw["public_id"])
        assert raw["asset_folder"] == "avatars"
        assert raw["tags"] == ["avatar"]
        assert "context" not in raw
        assert [(m["kind"], m["status"]) for m in raw["moderation"]] == [("aws_rek", "pending")]
        assert result.moderation_status == "pending"
        decisions = [("aws_rek", "approved")]
    elif preset == "product-images":
        assert raw["public_id"] == "sunset"  # use_filename, unique_filename: false
        assert raw["asset_folder"] == "products"
        assert raw["tags"] == ["product"]
        assert "moderation" not in raw
        assert result.moderation_status is None
    else:
        folder, _, rest = raw["public_id"].partition("/")
        assert folder == "ugc"
        assert RANDOM_ID.fullmatch(rest)
        assert raw["asset_folder"] == "ugc"
        assert raw["tags"] == ["ugc", "moderated"]
        assert raw["context"] == {"custom": {"source": "ugc"}}
        assert [(m["kind"], m["status"]) for m in raw["moderation"]] == [
            ("aws_rek", "pending"), ("manual", "queued"),
        ]  # fmt: skip
        assert result.moderation_status == "pending"
        decisions = [("aws_rek", "approved"), ("manual", "pending")]
    if decisions:
        assert statuses_of(decided(emulator, result.public_id)) == decisions
    assert (raw["format"], raw["width"], raw["height"], raw["resource_type"]) == (
        "png",
        24,
        16,
        "image",
    )
    assert raw["bytes"] == len(content)
    [asset] = emulator.assets("demo")
    assert asset["public_id"] == raw["public_id"] == result.public_id
    assert asset["sha256"] == hashlib.sha256(content).hexdigest()
    moderated = ("moderation", "moderation_status")  # decided after the response
    assert {k: v for k, v in asset.items() if k not in ("sha256", *moderated)} == {
        k: v for k, v in raw.items() if k not in ("api_key", *moderated)
    }
    assert [(m["kind"], m["status"]) for m in asset.get("moderation", [])] == decisions
    served = requests.get(result.secure_url, timeout=5)
    assert served.status_code == 200
    assert served.content == content


# --------------------------------------------------------------------------- signed and unsigned


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
@pytest.mark.parametrize("preset", ["avatar", "product-images", "ugc-moderated"])
def test_signed_upload_applies_the_preset(
    applied, make_uploader, cloudinary_url, sent, preset, algorithm
) -> None:
    import cloudinary.utils

    url = with_sha256(cloudinary_url) if algorithm == "sha256" else cloudinary_url
    result = make_uploader(url).upload(SUNSET, preset=preset)
    check_applied(preset, result, applied, SUNSET.read_bytes())
    assert result.raw["api_key"] == DEMO_CLOUD.api_key  # the emulator says: a signed upload
    [fields] = sent
    assert fields["upload_preset"] == preset
    signature = fields.pop("signature")
    assert len(signature) == {"sha1": 40, "sha256": 64}[algorithm]
    fields.pop("api_key")
    # the SDK's own signer is the oracle
    assert signature == cloudinary.utils.api_sign_request(
        fields, applied.clouds[0].api_secret, algorithm
    )
    assert upload_requests(applied) == 1


def test_unsigned_upload_without_a_secret(applied, make_uploader, cloudinary_url, sent) -> None:
    uploader = make_uploader(key_only(cloudinary_url))
    assert not uploader.target.credentials.has_secret
    result = uploader.upload(SUNSET, preset="avatar")
    check_applied("avatar", result, applied, SUNSET.read_bytes())
    assert "api_key" not in result.raw  # the emulator saw no signature
    [fields] = sent
    assert set(fields) == {"upload_preset"}


@pytest.mark.parametrize("preset", ["product-images", "ugc-moderated"])
def test_signed_preset_without_a_secret_fails_before_any_request(
    applied, make_uploader, cloudinary_url, preset
) -> None:
    uploader = make_uploader(key_only(cloudinary_url))
    with pytest.raises(UsageError) as caught:
        uploader.upload(SUNSET, preset=preset)
    message = str(caught.value)
    assert f"preset {preset!r} is signed: uploading with it needs the API secret" in message
    assert "environment variable CLOUDINARY_URL have none" in message
    assert "hint: use a CLOUDINARY_URL with KEY:SECRET, or an unsigned preset" in message
    assert nothing_uploaded(applied)


def test_request_tags_public_id_and_context_reach_the_upload(uploader, applied, sent) -> None:
    result = uploader.upload(
        SUNSET, preset="ugc-moderated", public_id="launch/hero", tags=["campaign", "q4"],
        context={"alt": "a sunset", "note": "a=b|c"},
    )  # fmt: skip
    assert result.public_id == "ugc/launch/hero"
    assert {"campaign", "q4"} <= set(result.raw["tags"])
    assert result.raw["context"]["custom"]["alt"] == "a sunset"
    assert result.raw["context"]["custom"]["note"] == "a=b|c"  # escaped on the wire
    [fields] = sent
    assert fields["tags"] == "campaign,q4"
    assert fields["context"] == r"alt=a sunset|note=a\=b\|c"


# --------------------------------------------------------------------------- what can be uploaded


def test_a_path_bytes_a_file_object_and_a_pathlike(uploader, applied) -> None:
    content = SUNSET.read_bytes()
    results = [
        uploader.upload(str(SUNSET), preset="avatar"),
        uploader.upload(SUNSET, preset="avatar"),
        uploader.upload(content, preset="avatar"),
        uploader.upload(io.BytesIO(content), preset="avatar"),
    ]
    with SUNSET.open("rb") as handle:
        results.append(uploader.upload(handle, preset="avatar"))
    assert len({r.public_id for r in results}) == 5
    assets = applied.assets("demo")
    assert len(assets) == 5
    assert {a["sha256"] for a in assets} == {hashlib.sha256(content).hexdigest()}
    # file names travel with paths and named file objects
    assert [r.raw["original_filename"] for r in results] == [
        "sunset",
        "sunset",
        "file",
        "file",
        "sunset",
    ]
    assert [r.source for r in results] == [
        "sunset.png",
        "sunset.png",
        "bytes",
        "bytes",
        "sunset.png",
    ]


@pytest.mark.parametrize(("name", "expected"), sorted(EXAMPLE_IMAGES.items()))
def test_every_example_image_uploads_with_its_real_format(
    uploader, applied, name, expected
) -> None:
    path = IMAGES / name
    preset = "avatar" if expected[0] != "gif" else None
    if preset is None:
        # no example preset accepts GIF: the local check says so, nothing is sent
        with pytest.raises(
            UsageError, match=r"spinner\.gif is gif; preset 'avatar' accepts only jpg, png, webp"
        ):
            uploader.upload(path, preset="avatar")
        assert nothing_uploaded(applied)
        return
    result = uploader.upload(path, preset=preset)
    assert (result.raw["format"], result.raw["width"], result.raw["height"]) == expected
    assert requests.get(result.secure_url, timeout=5).content == path.read_bytes()


def test_a_remote_url(uploader, applied, image_server, sent) -> None:
    result = uploader.upload(f"{image_server}/badge.webp", preset="ugc-moderated")
    assert (result.raw["format"], result.raw["width"], result.raw["height"]) == ("webp", 20, 10)
    [asset] = applied.assets("demo")
    assert asset["sha256"] == hashlib.sha256((IMAGES / "badge.webp").read_bytes()).hexdigest()
    assert result.source == f"{image_server}/badge.webp"
    # refused locally by the URL's extension: no request
    with pytest.raises(
        UsageError, match="is gif; preset 'ugc-moderated' accepts only jpg, png, webp"
    ):
        uploader.upload(f"{image_server}/spinner.gif", preset="ugc-moderated")
    assert upload_requests(applied) == 1


def test_a_text_mode_file_object_is_refused(uploader, applied) -> None:
    with pytest.raises(UsageError, match="opened in binary mode"):
        uploader.upload(io.StringIO("not bytes"), preset="avatar")
    with pytest.raises(FileError, match=r"cannot upload .*missing\.png: no such file"):
        uploader.upload(IMAGES / "missing.png", preset="avatar")
    assert nothing_uploaded(applied)


# --------------------------------------------------------------------------- local checks


def test_the_format_is_judged_by_content_not_by_name(uploader, applied, tmp_path) -> None:
    disguised = tmp_path / "holiday.jpg"  # a GIF named .jpg
    disguised.write_bytes((IMAGES / "spinner.gif").read_bytes())
    with pytest.raises(UsageError) as caught:
        uploader.upload(disguised, preset="ugc-moderated")
    assert str(caught.value) == (
        "holiday.jpg is gif; preset 'ugc-moderated' accepts only jpg, png, webp "
        "(Cloudinary would reject it)"
    )
    with pytest.raises(UsageError, match="the file is gif"):
        uploader.upload((IMAGES / "spinner.gif").read_bytes(), preset="ugc-moderated")
    assert nothing_uploaded(applied)
    # and the other way round: a PNG named .gif is a PNG, which the preset accepts
    renamed = tmp_path / "diagram.gif"
    renamed.write_bytes(SUNSET.read_bytes())
    result = uploader.upload(renamed, preset="ugc-moderated")
    assert result.raw["format"] == "png"


def test_an_unknown_format_is_judged_by_its_extension(uploader, applied, tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"plain text")
    with pytest.raises(
        UsageError, match=r"notes\.txt is txt; preset 'product-images' accepts only jpg, png, tif"
    ):
        uploader.upload(notes, preset="product-images")
    assert nothing_uploaded(applied)


def test_unsigned_uploads_name_the_parameters_they_may_not_pass(
    applied, make_uploader, cloudinary_url
) -> None:
    uploader = make_uploader(key_only(cloudinary_url))
    with pytest.raises(UsageError) as caught:
        uploader.upload(SUNSET, preset="avatar", overwrite=True, eager="w_100", tags=["fine"])
    message = str(caught.value)
    assert message.startswith("unsigned uploads may not pass eager, overwrite (")
    assert "allowed: asset_folder, callback, context, custom_coordinates" in message
    assert "upload signed (with the API secret)" in message
    with pytest.raises(UsageError, match="preset 'avatar' has disallow_public_id"):
        uploader.upload(SUNSET, preset="avatar", public_id="me")
    assert nothing_uploaded(applied)


def test_signed_uploads_may_pass_what_unsigned_ones_may_not(uploader, applied) -> None:
    result = uploader.upload(SUNSET, preset="avatar", public_id="me", eager="w_100")
    assert result.public_id == "me"


def test_unknown_preset_suggests_close_names(uploader, applied) -> None:
    with pytest.raises(UnknownPreset) as caught:
        uploader.upload(SUNSET, preset="product-image")
    assert str(caught.value) == (
        "no preset named 'product-image' is defined in presets (did you mean `product-images`?); "
        "defined: avatar, product-images, ugc-moderated"
    )
    assert caught.value.exit_code == 64
    assert nothing_uploaded(applied)


def test_resolve_by_file_name_or_remote_name(uploader) -> None:
    resolved = uploader.resolve("ugc-moderated")
    assert (resolved.name, resolved.remote_name, resolved.unsigned) == (
        "ugc-moderated",
        "ugc-moderated",
        False,
    )
    assert resolved.file == "presets/ugc-moderated.yaml:2"
    assert uploader.resolve("avatar").unsigned is True
    with pytest.raises(UnknownPreset, match=r"no preset named 'nope'.*defined: avatar"):
        uploader.resolve("nope")


def test_resolve_with_an_environment_prefix(
    project_dir, make_uploader, emulator, cloudinary_url
) -> None:
    (project_dir / "cloudinary-presets.yaml").write_text(
        "environments:\n  staging:\n    credentials: {env: STAGING_URL}\n    name_prefix: stg_\n"
    )
    from cloudinary_presets.operations.uploader import Uploader

    with Uploader.from_env({"STAGING_URL": cloudinary_url}, env="staging") as staged:
        assert staged.resolve("avatar").remote_name == "stg_avatar"
        assert staged.resolve("stg_avatar").name == "avatar"
        # not applied to this environment yet: Cloudinary's error becomes NotFound
        with pytest.raises(NotFound) as caught:
            staged.upload(SUNSET, preset="avatar")
    assert "Cloudinary has no preset 'stg_avatar' in cloud 'demo' (Upload preset not found)" in str(
        caught.value
    )
    assert "hint: apply the definitions first: presets apply" in str(caught.value)
    assert emulator.assets("demo") == []


# --------------------------------------------------------------------------- verify


@pytest.mark.parametrize("preset", ["avatar", "product-images", "ugc-moderated"])
def test_verify_makes_one_admin_call_and_passes_when_in_sync(uploader, applied, preset) -> None:
    before = admin_calls(applied)
    result = uploader.upload(SUNSET, preset=preset, verify=True)
    assert admin_calls(applied) - before == 1
    assert applied.stats()["requests"]["GET /upload_presets/{name}"] == 1
    assert result.public_id


def _drift(emulator: Emulator, uploader: Any, name: str, **changes: Any) -> None:
    """Change the remote preset as someone in the Console would (full settings, one changed)."""
    body = encode(uploader.resolve(name).preset, name=name)
    body.pop("name")
    body.update(changes)
    response = requests.put(
        f"{emulator.url}/v1_1/demo/upload_presets/{name}",
        data=body, auth=(emulator.clouds[0].api_key, emulator.clouds[0].api_secret), timeout=5,
    )  # fmt: skip
    assert response.status_code == 200, response.text


def test_verify_refuses_a_drifted_preset_and_shows_the_difference(uploader, applied) -> None:
    moderation = UGC_MODERATION.replace("explicit_nudity:0.7", "explicit_nudity:0.9")
    _drift(applied, uploader, "ugc-moderated", moderation=moderation)
    before = admin_calls(applied)
    with pytest.raises(PresetDrift) as caught:
        uploader.upload(SUNSET, preset="ugc-moderated", verify=True)
    assert admin_calls(applied) - before == 1
    assert str(caught.value).splitlines() == [
        "remote preset 'ugc-moderated' differs from its definition; refusing to upload:",
        "  settings.moderation.aws_rek.explicit_nudity: remote 0.9, definition 0.7",
        "  hint: run `presets plan` and `presets apply`, or upload without --verify",
    ]
    assert [(c.path, c.before, c.after) for c in caught.value.changes] == [
        ("settings.moderation.aws_rek.explicit_nudity", 0.9, 0.7)
    ]
    assert nothing_uploaded(applied)
    # without verify the upload goes ahead with the remote settings
    assert uploader.upload(SUNSET, preset="ugc-moderated").public_id.startswith("ugc/")


def test_verify_refuses_a_preset_that_does_not_exist_remotely(
    project_dir, make_uploader, emulator, cloudinary_url
) -> None:
    uploader = make_uploader(cloudinary_url)
    with pytest.raises(PresetDrift) as caught:
        uploader.upload(SUNSET, preset="avatar", verify=True)
    assert str(caught.value).splitlines()[:2] == [
        "remote preset 'avatar' differs from its definition; refusing to upload:",
        "  (preset): not on the remote (not created yet)",
    ]
    assert nothing_uploaded(emulator)


def test_verify_needs_the_secret(applied, make_uploader, cloudinary_url) -> None:
    uploader = make_uploader(key_only(cloudinary_url))
    with pytest.raises(CredentialsError, match="have no API secret"):
        uploader.upload(SUNSET, preset="avatar", verify=True)
    assert nothing_uploaded(applied)


# --------------------------------------------------------------------------- Cloudinary's errors


def test_cloudinary_errors_become_the_projects_exceptions(
    uploader, applied, make_uploader, cloudinary_url
) -> None:
    # the definition says unsigned; someone made the remote preset signed
    _drift(applied, uploader, "avatar", unsigned="false")
    unsigned = make_uploader(key_only(cloudinary_url))
    with pytest.raises(BadRequest) as caught:
        unsigned.upload(SUNSET, preset="avatar")
    assert caught.value.status == 400
    assert (
        caught.value.cloudinary_message == "Upload preset must be whitelisted for unsigned uploads"
    )
    assert isinstance(caught.value, PresetsError)
    # a wrong secret: the emulator's 401 is an AuthenticationError
    wrong = make_uploader(cloudinary_url.replace(applied.clouds[0].api_secret, "not-the-secret"))
    with pytest.raises(AuthenticationError, match="Invalid Signature"):
        wrong.upload(SUNSET, preset="product-images")
    assert upload_requests(applied) == 2
    assert applied.assets("demo") == []


def test_the_result_keeps_the_whole_response(uploader, applied) -> None:
    result = uploader.upload(png("whole"), preset="ugc-moderated", public_id="whole")
    [asset] = applied.assets("demo")
    assert dict(result.raw) == {
        **{k: v for k, v in asset.items() if k != "sha256"},
        "api_key": DEMO_CLOUD.api_key,
    }
    assert result["version"] == result.raw["version"]
    assert result.secure_url == result.raw["secure_url"]
    assert "raw" not in repr(result)


def test_from_env_reads_the_process_environment_by_default(
    applied, project_dir, cloudinary_url, monkeypatch
) -> None:
    from cloudinary_presets.operations.uploader import Uploader

    monkeypatch.setenv("CLOUDINARY_URL", key_only(cloudinary_url))
    with Uploader.from_env() as uploader:
        assert uploader.target.credentials.source == "environment variable CLOUDINARY_URL"
        assert not uploader.target.credentials.has_secret
        assert uploader.upload(SUNSET, preset="avatar").public_id
    assert len(applied.assets("demo")) == 1
