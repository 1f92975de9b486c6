"""The helper is a convenience, not another protocol: the official SDK's upload, given the
resolved preset name, gets the same result from the emulator as ``Uploader.upload``.

Two identical emulators (the example presets applied to each) take the same upload, one
from the helper and one from ``cloudinary.uploader``; the responses, the stored assets
and the form fields sent must agree on everything that is not random or time-bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import cloudinary
import cloudinary.uploader
import pytest
from upload_helpers import IMAGES, configure_sdk, decided, key_only, png, with_sha256

from cloudinary_presets.emulator import DEMO_CLOUD, Emulator

#: differ between two uploads of the same file by design
VOLATILE = {
    "asset_id",
    "version",
    "version_id",
    "signature",
    "created_at",
    "url",
    "secure_url",
    "request_id",
}
RANDOM_ID = re.compile(r"(?:[a-z]+/)?[a-z0-9]{20}")
LABELS_75 = [{"Name": "Graphic Male Nudity", "ParentName": "Explicit Nudity", "Confidence": 75.0},
             {"Name": "Explicit Nudity", "ParentName": "", "Confidence": 75.0}]  # fmt: skip

CASES = {
    "avatar unsigned": ("avatar", "unsigned", {}),
    "avatar signed sha1": ("avatar", "sha1", {"tags": ["profile"]}),
    "product-images sha256": (
        "product-images",
        "sha256",
        {"tags": ["summer", "sale"], "context": {"alt": "a=b|c"}},
    ),
    "ugc-moderated rejected": (
        "ugc-moderated",
        "sha1",
        {"public_id": "posts/42", "labels": LABELS_75},
    ),
    "ugc-moderated approved": ("ugc-moderated", "sha256", {"context": {"alt": "sunset"}}),
}


def comparable(result: dict[str, Any], base_url: str) -> dict[str, Any]:
    out = {k: v for k, v in result.items() if k not in VOLATILE}
    if RANDOM_ID.fullmatch(out["public_id"]):
        out["public_id"] = re.sub(r"[a-z0-9]{20}$", "<random>", out["public_id"])
        out["display_name"] = "<random>"
    out["moderation"] = [
        {k: v for k, v in m.items() if k != "updated_at"} for m in out.get("moderation", [])
    ]
    # the delivery URL has the same shape, on each emulator's own address
    tail = re.sub(r"/v\d+/", "/v<n>/", result["secure_url"].removeprefix(base_url))
    out["path"] = re.sub(r"[a-z0-9]{20}(\.\w+)$", r"<random>\1", tail)
    return out


@pytest.fixture
def second(project_dir, remote_cli) -> Iterator[Emulator]:
    """Another emulator, with the example presets applied, for the SDK's upload."""
    emu = Emulator(":memory:").start()
    try:
        result = remote_cli("apply", "--yes", env={"CLOUDINARY_URL": emu.cloudinary_url("demo")})
        assert result.exit_code == 0, result.output
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def sdk_fields(monkeypatch: pytest.MonkeyPatch, sdk_reset: None) -> list[dict[str, str]]:
    """The form fields of every upload the SDK sends (``file`` excluded)."""
    captured: list[dict[str, str]] = []
    http = cloudinary.uploader._http
    original = http.request

    def spy(*args: Any, **kwargs: Any) -> Any:
        fields: dict[str, str] = {}
        for key, value in kwargs.get("fields") or []:
            if key != "file":
                key = key.removesuffix("[]")
                fields[key] = str(value) if key not in fields else f"{fields[key]},{value}"
        captured.append(fields)
        return original(*args, **kwargs)

    monkeypatch.setattr(http, "request", spy)
    return captured


@pytest.mark.parametrize(("preset", "mode", "options"), list(CASES.values()), ids=list(CASES))
def test_the_sdk_gets_the_same_result(
    applied, second, make_uploader, cloudinary_url, sent, sdk_fields, preset, mode, options
) -> None:
    options = dict(options)
    labels = options.pop("labels", None)
    content = png("parity")
    for emu in (applied, second):
        if labels:
            emu.register_labels(content, labels=labels)

    url = {
        "unsigned": key_only(cloudinary_url),
        "sha1": cloudinary_url,
        "sha256": with_sha256(cloudinary_url),
    }[mode]
    uploader = make_uploader(url)
    resolved = uploader.resolve(preset)
    ours = uploader.upload(content, preset=preset, **options)

    if mode == "unsigned":
        configure_sdk(second)
        theirs = cloudinary.uploader.unsigned_upload(content, resolved.remote_name, **options)
    else:
        configure_sdk(second, signature_algorithm=mode)
        theirs = cloudinary.uploader.upload(content, upload_preset=resolved.remote_name, **options)

    assert comparable(dict(ours.raw), applied.url) == comparable(theirs, second.url)
    # moderation is asynchronous: compare the stored assets once both were decided
    decided(applied, ours.public_id)
    decided(second, theirs["public_id"])
    [mine] = applied.assets("demo")
    [other] = second.assets("demo")
    assert mine["sha256"] == other["sha256"]
    assert comparable(mine, applied.url) == comparable(other, second.url)
    if labels:
        assert ours.moderation_status == theirs["moderation_status"] == "pending"
        assert mine["moderation_status"] == other["moderation_status"] == "rejected"

    # the same request: the same fields, each signed the way the SDK signs it
    [helper_fields] = sent
    [sdk_sent] = sdk_fields
    for fields in (helper_fields, sdk_sent):
        fields.pop("timestamp", None)
        if mode == "unsigned":
            assert "signature" not in fields
            assert "api_key" not in fields
        else:
            assert len(fields.pop("signature")) == {"sha1": 40, "sha256": 64}[mode]
            assert fields.pop("api_key") == DEMO_CLOUD.api_key
    assert helper_fields == sdk_sent


def test_a_file_path_and_a_remote_url_too(
    applied, second, make_uploader, cloudinary_url, image_server, sdk_reset
) -> None:
    uploader = make_uploader(cloudinary_url)
    remote = uploader.resolve("product-images").remote_name
    configure_sdk(second)
    for file in (str(IMAGES / "portrait.jpg"), f"{image_server}/sunset.png"):
        ours = uploader.upload(file, preset="product-images")
        theirs = cloudinary.uploader.upload(file, upload_preset=remote)
        assert comparable(dict(ours.raw), applied.url) == comparable(theirs, second.url)
    ours_ids = [a["public_id"] for a in applied.assets("demo")]
    assert ours_ids == [a["public_id"] for a in second.assets("demo")] == ["portrait", "sunset"]


def test_the_sdk_configuration_is_reset_after_each_test() -> None:
    # runs after the tests above in this module: nothing of their configuration remains
    config = cloudinary.config()
    assert config.upload_prefix is None
    assert config.api_secret is None
