"""``presets upload`` and ``presets resolve``: output, exit status, and what the emulator
holds afterwards."""

from __future__ import annotations

import json

import pytest
from upload_helpers import (
    IMAGES,
    decided,
    key_only,
    png,
    set_explicit_nudity,
    statuses_of,
    upload_requests,
)

from cloudinary_presets.emulator import Emulator

SUNSET, PORTRAIT, SPINNER, BADGE = (
    IMAGES / n for n in ("sunset.png", "portrait.jpg", "spinner.gif", "badge.webp")
)
NUDITY_62 = [
    {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 62.0},
    {"name": "Explicit Nudity", "parent_name": "", "confidence": 62.0},
]


def line_for(stdout: str, path: object) -> str:
    [line] = [line for line in stdout.splitlines() if line.startswith(f"{path} -> ")]
    return line


def test_one_line_per_file(applied: Emulator, remote_cli) -> None:
    result = remote_cli(
        "upload", str(SUNSET), str(PORTRAIT), str(BADGE), "--preset", "ugc-moderated"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Target: cloud 'demo' at http://127.0.0.1")
    assets = {a["original_filename"]: a for a in applied.assets("demo")}
    assert sorted(assets) == ["badge", "portrait", "sunset"]
    for path in (SUNSET, PORTRAIT, BADGE):
        asset = assets[path.stem]
        # the line shows the upload response: moderation is asynchronous, not decided yet
        assert line_for(result.stdout, path) == (
            f"{path} -> {asset['public_id']}  {asset['secure_url']}  "
            "moderation: aws_rek pending, manual queued"
        )
        details = decided(applied, asset["public_id"])
        assert statuses_of(details) == [("aws_rek", "approved"), ("manual", "pending")]
    assert (
        result.stderr.strip().splitlines()[-1] == "3/3 uploaded; 0 rejected by moderation; 0 failed"
    )


def test_tags_context_and_public_id(applied: Emulator, remote_cli) -> None:
    result = remote_cli(
        "upload", str(SUNSET), "--preset", "product-images", "--public-id", "catalogue/sku-1",
        "--tag", "summer", "--tag", "sale", "--context", "alt=A sunset", "--context", "sku=1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [asset] = applied.assets("demo")
    assert asset["public_id"] == "catalogue/sku-1"
    assert {"summer", "sale"} <= set(asset["tags"])
    assert asset["context"] == {"custom": {"alt": "A sunset", "sku": "1"}}
    assert "moderation" not in line_for(result.stdout, SUNSET)


def test_cli_usage_errors(applied: Emulator, remote_cli) -> None:
    two = remote_cli("upload", str(SUNSET), str(PORTRAIT), "--preset", "avatar", "--public-id", "x")
    assert two.exit_code == 64
    assert "--public-id needs exactly one file" in two.stderr
    bad = remote_cli("upload", str(SUNSET), "--preset", "avatar", "--context", "novalue")
    assert bad.exit_code == 64
    assert "'novalue': expected key=value" in bad.stderr
    assert upload_requests(applied) == 0


def test_json_output_is_json(applied: Emulator, remote_cli) -> None:
    result = remote_cli("upload", str(SUNSET), str(SPINNER), "--preset", "avatar", "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert [item["file"] for item in data] == [str(SUNSET), str(SPINNER)]
    ok, failed = data
    [asset] = applied.assets("demo")
    assert ok["ok"] is True
    assert ok["public_id"] == asset["public_id"]
    assert ok["secure_url"] == asset["secure_url"]
    assert ok["moderation_status"] == "pending"  # the response: decided shortly after
    assert [(m["kind"], m["status"]) for m in ok["moderation"]] == [("aws_rek", "pending")]
    assert statuses_of(decided(applied, ok["public_id"])) == [("aws_rek", "approved")]
    assert ok["response"]["asset_folder"] == "avatars"  # the whole response
    assert ok["response"]["etag"] == asset["etag"]
    assert failed == {
        "file": str(SPINNER), "ok": False,
        "error": "spinner.gif is gif; preset 'avatar' accepts only jpg, png, webp "
        "(Cloudinary would reject it)",
    }  # fmt: skip
    assert "Target: cloud 'demo'" in result.stderr
    assert "1/2 uploaded; 0 rejected by moderation; 1 failed" in result.stderr
    assert upload_requests(applied) == 1


# --------------------------------------------------------------------------- refusals


def test_unknown_preset(applied: Emulator, remote_cli) -> None:
    result = remote_cli("upload", str(SUNSET), "--preset", "avatr")
    assert result.exit_code == 64
    assert (
        "error: no preset named 'avatr' is defined in presets (did you mean `avatar`?)"
        in result.stderr
    )
    assert upload_requests(applied) == 0
    assert applied.assets("demo") == []


def test_wrong_format_fails_that_file_only(applied: Emulator, remote_cli) -> None:
    result = remote_cli("upload", str(SPINNER), str(SUNSET), "--preset", "ugc-moderated")
    assert result.exit_code == 1
    assert (
        f"{SPINNER}: FAILED: spinner.gif is gif; preset 'ugc-moderated' accepts only jpg, png, "
        "webp "
        "(Cloudinary would reject it)"
    ) in result.stderr
    assert "1/2 uploaded; 0 rejected by moderation; 1 failed" in result.stderr
    assert [a["original_filename"] for a in applied.assets("demo")] == ["sunset"]
    assert upload_requests(applied) == 1


def test_signed_preset_without_a_secret(applied: Emulator, remote_cli, cloudinary_url) -> None:
    env = {"CLOUDINARY_URL": key_only(cloudinary_url)}
    result = remote_cli("upload", str(SUNSET), "--preset", "product-images", env=env)
    assert result.exit_code == 1
    assert (
        "preset 'product-images' is signed: uploading with it needs the API secret" in result.stderr
    )
    assert upload_requests(applied) == 0
    assert applied.assets("demo") == []
    # the unsigned preset works with the same credentials
    ok = remote_cli("upload", str(SUNSET), "--preset", "avatar", env=env)
    assert ok.exit_code == 0, ok.output
    assert len(applied.assets("demo")) == 1


def test_verify_refuses_a_drifted_preset(applied: Emulator, remote_cli, project_dir) -> None:
    ok = remote_cli("upload", str(SUNSET), "--preset", "avatar", "--verify")
    assert ok.exit_code == 0, ok.output
    assert applied.stats()["requests"]["GET /upload_presets/{name}"] == 1
    # the definition moves on, the remote stays behind: that is drift too
    avatar = project_dir / "presets" / "avatar.yaml"
    avatar.write_text(avatar.read_text().replace("tags: [avatar]", "tags: [avatar, profile]"))
    result = remote_cli("upload", str(PORTRAIT), str(BADGE), "--preset", "avatar", "--verify")
    assert result.exit_code == 1
    assert (
        "error: remote preset 'avatar' differs from its definition; refusing to upload:"
        in result.stderr
    )
    assert "  settings.tags: remote ['avatar'], definition ['avatar', 'profile']" in result.stderr
    assert (
        "hint: run `presets plan` and `presets apply`, or upload without --verify" in result.stderr
    )
    assert applied.stats()["requests"]["GET /upload_presets/{name}"] == 2  # one call for both files
    assert upload_requests(applied) == 1
    assert len(applied.assets("demo")) == 1


# --------------------------------------------------------------------------- moderation


def test_rejected_upload_exits_1_unless_allowed(applied: Emulator, remote_cli, project_dir) -> None:
    # about the exit status for a rejection the response reports: under the reading where
    # the upload response carries the automatic decisions (older Cloudinary docs)
    applied.configure(moderation_timing="sync")
    content = png("moderated")
    applied.register_labels(content, labels=NUDITY_62)
    path = project_dir / "beach.png"
    path.write_bytes(content)
    approved = remote_cli("upload", str(path), "--preset", "ugc-moderated")
    assert approved.exit_code == 0, approved.output
    assert line_for(approved.stdout, path).endswith("moderation: aws_rek approved, manual pending")

    set_explicit_nudity(project_dir, "0.5")
    assert remote_cli("apply", "--yes").exit_code == 0
    rejected = remote_cli("upload", str(path), str(SUNSET), "--preset", "ugc-moderated")
    assert rejected.exit_code == 1
    assert line_for(rejected.stdout, path).endswith("moderation: aws_rek rejected, manual aborted")
    assert line_for(rejected.stdout, SUNSET).endswith(
        "moderation: aws_rek approved, manual pending"
    )
    assert "2/2 uploaded; 1 rejected by moderation; 0 failed" in rejected.stderr
    allowed = remote_cli(
        "upload", str(path), "--preset", "ugc-moderated", "--allow-rejected", "--json"
    )
    assert allowed.exit_code == 0, allowed.output
    [item] = json.loads(allowed.stdout)
    assert item["moderation_status"] == "rejected"
    statuses = sorted(a["moderation_status"] for a in applied.assets("demo"))
    assert statuses == ["pending", "pending", "rejected", "rejected"]


def test_a_rejection_decided_after_the_response_does_not_fail_the_upload(
    applied: Emulator, remote_cli, project_dir
) -> None:
    """Under asynchronous moderation (the default) the response cannot report a rejection:
    the upload succeeds and the asset is rejected shortly after (waiting for decisions is
    the uploader's ``wait_for_moderation``, a separate feature)."""
    content = png("moderated-later")
    applied.register_labels(content, labels=NUDITY_62)
    path = project_dir / "beach.png"
    path.write_bytes(content)
    set_explicit_nudity(project_dir, "0.5")
    assert remote_cli("apply", "--yes").exit_code == 0
    result = remote_cli("upload", str(path), "--preset", "ugc-moderated")
    assert result.exit_code == 0, result.output
    assert line_for(result.stdout, path).endswith("moderation: aws_rek pending, manual queued")
    assert "1/1 uploaded; 0 rejected by moderation; 0 failed" in result.stderr
    [asset] = applied.assets("demo")
    details = decided(applied, asset["public_id"])
    assert statuses_of(details) == [("aws_rek", "rejected"), ("manual", "aborted")]


# --------------------------------------------------------------------------- resolve


def test_resolve_prints_the_remote_name_and_a_summary(project_dir, cli) -> None:
    result = cli("resolve", "ugc-moderated")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ugc-moderated",
        "signed preset 'ugc-moderated' (presets/ugc-moderated.yaml:2)",
        "  User uploads from the community app, moderated by Amazon Rekognition then a person.",
        "  folder: ugc",
        "  allowed formats: jpg, png, webp",
        "  tags: ugc, moderated",
        "  moderation: aws_rek:explicit_nudity:0.7:graphic_violence_or_gore:0.5:suggestive:ignore:"
        "violence:0.8|manual",
        "  incoming transformation: c_limit,h_2000,w_2000",
    ]
    avatar = cli("resolve", "avatar")
    assert avatar.stdout.splitlines()[:2] == [
        "avatar",
        "unsigned preset 'avatar' (presets/avatar.yaml:2)",
    ]


def test_resolve_with_an_environment_and_unknown_names(project_dir, cli) -> None:
    (project_dir / "cloudinary-presets.yaml").write_text(
        "environments:\n  staging:\n    name_prefix: stg_\n    emulator: true\n"
    )
    staged = cli("resolve", "product-images", "--env", "staging")
    assert staged.exit_code == 0, staged.output
    assert staged.stdout.splitlines()[0] == "stg_product-images"
    unknown = cli("resolve", "ugc")
    assert unknown.exit_code == 64
    assert "no preset named 'ugc' is defined in presets" in unknown.stderr
    assert "defined: avatar, product-images, ugc-moderated" in unknown.stderr
    assert unknown.stdout == ""


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_upload_help_names_the_options(cli, flag) -> None:
    """Both spellings of help print the same text, which names every upload option."""
    result = cli("upload", flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: presets upload [OPTIONS] FILES...")
    assert result.stdout == cli("upload", "--help").stdout
    for option in (
        "--preset NAME",
        "--public-id ID",
        "--tag T",
        "--context K=V",
        "--verify",
        "--json",
        "--allow-rejected",
        "--parallelism INTEGER RANGE",
        "--resource-type [auto|image|video|raw]",
        "--chunk-size SIZE",
    ):
        assert f"  {option}  " in result.stdout or f"  {option}\n" in result.stdout, option


def test_remote_urls_are_files_too(applied: Emulator, remote_cli, image_server) -> None:
    url = f"{image_server}/portrait.jpg"
    result = remote_cli("upload", url, f"{image_server}/spinner.gif", "--preset", "avatar")
    assert result.exit_code == 1
    [asset] = applied.assets("demo")
    assert line_for(result.stdout, url) == (
        f"{url} -> {asset['public_id']}  {asset['secure_url']}  moderation: aws_rek pending"
    )
    assert statuses_of(decided(applied, asset["public_id"])) == [("aws_rek", "approved")]
    assert f"{image_server}/spinner.gif: FAILED: the file is gif" in result.stderr
    assert upload_requests(applied) == 1
