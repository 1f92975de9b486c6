"""`presets plan` over the CLI against the emulator: kinds, prune, ignore, formats,
moderation meaning, security flags, redaction, exit codes, --only, --out, API cost.

Besides the output, the tests check the emulator: planning never writes, and reads the
remote with one list call per 500 presets.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat

import pytest
from e2e_helpers import (
    by_name,
    config,
    fields,
    names,
    pending,
    plan_json,
    requests,
    state,
    write,
    write_requests,
)

EXAMPLES = ["avatar", "product-images", "ugc-moderated"]


@pytest.fixture
def applied(project_dir, remote_cli, emulator):
    """The example presets applied; returns the CLI."""
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert names(emulator) == EXAMPLES
    return remote_cli


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


# --------------------------------------------------------------------------- kinds


def test_plan_shows_every_kind_and_writes_nothing(applied, project_dir, emulator, sdk):
    write(
        project_dir,
        "product-images",
        (project_dir / "presets/product-images.yaml")
        .read_text()
        .replace("asset_folder: products", "asset_folder: catalogue"),
    )
    sdk.delete_upload_preset("ugc-moderated")
    emulator.seed_presets("demo", [{"name": "legacy", "folder": "old"}])
    before, writes_before = state(emulator), write_requests(emulator)

    result = applied("plan")

    assert result.exit_code == 0, result.output
    out = lines(result.stdout)
    assert out[0].startswith("Target: cloud 'demo' at http://127.0.0.1:")
    assert "+ create ugc-moderated    presets/ugc-moderated.yaml:2" in out
    assert "~ update product-images    presets/product-images.yaml:2" in out
    assert '    ~ settings.asset_folder: "products" -> "catalogue"' in out
    assert "? unmanaged legacy" in out
    # unchanged presets are one line of names; their details only with -v
    assert [line for line in out if "avatar" in line] == ["= 1 unchanged: avatar"]
    assert out[-2] == (
        "Plan: 1 to create, 1 to update, 0 to delete. 1 unchanged, "
        "1 unmanaged (not in any file; listed, never touched without --prune)."
    )
    assert result.stderr == ""
    assert state(emulator) == before
    assert write_requests(emulator) == writes_before

    verbose = applied("plan", "-v")
    assert "= unchanged avatar    presets/avatar.yaml:2" in lines(verbose.stdout)

    plan = plan_json(applied)
    assert plan["summary"] == {
        "create": 1,
        "update": 1,
        "delete": 0,
        "unchanged": 1,
        "unmanaged": 1,
        "out_of_scope": 0,
        "has_changes": True,
    }
    assert by_name(plan, "avatar")["action"] == "unchanged"
    assert by_name(plan, "legacy")["action"] == "unmanaged"
    assert fields(by_name(plan, "product-images")) == {
        "settings.asset_folder": ("products", "catalogue", ""),
    }
    assert state(emulator) == before


def test_plan_reads_every_preset_with_one_list_call_per_500(project_dir, remote_cli, emulator):
    emulator.seed_presets("demo", [{"name": f"bulk-{i:04d}", "tags": "x"} for i in range(1201)])

    plan = plan_json(remote_cli)

    counts = requests(emulator)
    assert counts["GET /upload_presets"] == 3  # 500 + 500 + 201
    assert counts["GET /upload_presets/{name}"] == 0  # never a GET per preset
    assert emulator.stats()["admin_calls"] == 3
    assert plan["api"]["list_calls"] == 3
    assert plan["summary"]["unmanaged"] == 1201
    assert plan["api"]["apply_calls"] == 3 + 3  # the writes, then one verifying list pass

    text = remote_cli("plan")
    assert "Admin API: this plan read 3 list page(s); apply will make 6 call(s);" in text.stdout

    applied = remote_cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    counts = requests(emulator)
    assert counts["POST /upload_presets"] == 3
    assert counts["GET /upload_presets"] == 3 + 3 + 3 + 3  # json plan, text plan, apply, verify
    assert counts["GET /upload_presets/{name}"] == 0
    assert "(6 Admin API calls)" in applied.stdout


# --------------------------------------------------------------------------- prune


def test_prune_from_flag_or_configuration(applied, project_dir, emulator):
    emulator.seed_presets("demo", [{"name": "legacy", "folder": "old"}])

    plain = plan_json(applied)
    assert pending(plain) == []
    assert by_name(plain, "legacy")["action"] == "unmanaged"

    flagged = applied("plan", "--prune", "--detailed-exitcode")
    assert flagged.exit_code == 2, flagged.output
    assert "- delete legacy" in lines(flagged.stdout)
    assert '    - settings.folder: "old"' in lines(flagged.stdout)
    assert "Plan: 0 to create, 0 to update, 1 to delete. 3 unchanged." in flagged.stdout

    config(project_dir, "prune: true\n")
    assert pending(plan_json(applied)) == [("delete", "legacy")]
    assert pending(plan_json(applied, "--no-prune")) == []
    assert "legacy" in names(emulator), "planning never deletes"

    result = applied("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted legacy" in result.stdout
    assert names(emulator) == EXAMPLES
    assert applied("plan", "--detailed-exitcode").exit_code == 0


def test_ignore_globs_hide_remote_presets_entirely(applied, project_dir, emulator):
    emulator.seed_presets(
        "demo",
        [
            {"name": "ml_default", "tags": "ml"},
            {"name": "ml_widget", "tags": "ml"},
            {"name": "shared-keep", "folder": "k"},
            {"name": "legacy", "folder": "old"},
        ],
    )
    config(project_dir, "ignore: [ml_*, '*-keep']\n")

    plan = plan_json(applied, "--prune")
    assert pending(plan) == [("delete", "legacy")]
    assert sorted(plan["remote_fingerprints"]) == sorted([*EXAMPLES, "legacy"])
    text = applied("plan", "--prune", "-v")
    assert "ml_" not in text.stdout
    assert "shared-keep" not in text.stdout

    result = applied("apply", "--yes", "--prune")
    assert result.exit_code == 0, result.output
    assert names(emulator) == sorted([*EXAMPLES, "ml_default", "ml_widget", "shared-keep"])
    assert stored_tags(emulator, "ml_default") == "ml"

    write(project_dir, "ml_mine", "name: ml_mine\nsettings:\n  folder: x\n")
    clash = applied("plan")
    assert clash.exit_code == 1
    assert (
        "defined presets match an `ignore` pattern: ml_mine (presets/ml_mine.yaml)" in clash.stderr
    )


def stored_tags(emulator, name):
    return next(p for p in emulator.presets("demo") if p["name"] == name)["settings"]["tags"]


# --------------------------------------------------------------------------- moderation meaning


def test_moderation_changes_per_category_with_meaning(applied, project_dir, emulator, sdk):
    # someone loosened and tightened thresholds in the Console
    sdk.update_upload_preset(
        "ugc-moderated",
        folder="ugc",
        tags="ugc,moderated",
        allowed_formats="jpg,png,webp",
        context="source=ugc",
        transformation=[{"crop": "limit", "width": 2000, "height": 2000}],
        notification_url="https://hooks.example.com/cloudinary/moderation",
        moderation="aws_rek:explicit_nudity:0.5:graphic_violence_or_gore:0.5:suggestive:0.6"
        ":violence:0.9|manual",
    )
    plan = plan_json(applied)
    assert pending(plan) == [("update", "ugc-moderated")]
    assert fields(by_name(plan, "ugc-moderated")) == {
        "settings.moderation.aws_rek.explicit_nudity": (0.5, 0.7, "less strict"),
        "settings.moderation.aws_rek.suggestive": (0.6, "ignore", "no longer moderated"),
        "settings.moderation.aws_rek.violence": (0.9, 0.8, "stricter"),
    }
    text = applied("plan")
    out = lines(text.stdout)
    # the thresholds sit under a settings.moderation heading, with the rest of their path
    heading = out.index("    settings.moderation:")
    assert out[heading + 1 : heading + 4] == [
        "        ~ aws_rek.explicit_nudity: 0.5 -> 0.7 (less strict)",
        '        ~ aws_rek.suggestive: 0.6 -> "ignore" (no longer moderated)',
        "        ~ aws_rek.violence: 0.9 -> 0.8 (stricter)",
    ]

    # the definition drops the person and a category: the chain and the default are named
    path = project_dir / "presets/ugc-moderated.yaml"
    path.write_text(
        path.read_text()
        .replace("        violence: 0.8\n", "")
        .replace(
            "    - manual                        # a person reviews what the machine approved\n", ""
        )
    )
    change = by_name(plan_json(applied), "ugc-moderated")
    got = fields(change)
    assert got["settings.moderation"] == ("aws_rek | manual", "aws_rek", "")
    assert got["settings.moderation.aws_rek.violence"] == (
        0.9,
        None,
        "back to the default 0.5, stricter",
    )


# --------------------------------------------------------------------------- security flags


def test_security_flags_for_unsigned_presets(applied, project_dir):
    product = project_dir / "presets/product-images.yaml"
    product.write_text(product.read_text().replace("settings:\n", "unsigned: true\nsettings:\n", 1))
    avatar = project_dir / "presets/avatar.yaml"
    avatar.write_text(
        "name: avatar\nunsigned: true\ndisallow_public_id: false\nsettings:\n"
        "  asset_folder: avatars\n  tags: [avatar]\n  transformation: c_fill,g_face,h_512,w_512\n"
    )

    plan = plan_json(applied)

    assert by_name(plan, "product-images")["security_flags"] == [
        "becomes unsigned: anyone who knows the name can upload",
    ]
    assert by_name(plan, "avatar")["security_flags"] == [  # in field order
        "unsigned preset lets uploaders choose public IDs again",
        "unsigned preset loses allowed_formats: any file type is accepted",
        "unsigned preset loses moderation: anonymous uploads go unreviewed",
    ]
    text = lines(applied("plan").stdout)
    assert "    ! security: becomes unsigned: anyone who knows the name can upload" in text
    assert (
        "    ! security: unsigned preset loses allowed_formats: any file type is accepted" in text
    )
    markdown = applied("plan", "--format", "markdown").stdout
    assert "> [!WARNING]" in markdown
    assert (
        "> - `avatar`: unsigned preset loses moderation: anonymous uploads go unreviewed"
        in markdown
    )
    assert "<summary><code>~ avatar</code> update, 3 field(s) ⚠️ security" in markdown


# --------------------------------------------------------------------------- redaction

SECRETS = ("tok-SECRET-1", "hdr-SECRET-2", "js-SECRET-3", "js-SECRET-4", "tok-SECRET-5")
HOOKED = """\
name: hooked
settings:
  folder: hooks
  notification_url: https://hooks.example.com/n?token=tok-SECRET-1&v=2
  eager_notification_url: https://hooks.example.com/e?sig=tok-SECRET-5
  headers:
    Authorization: Bearer hdr-SECRET-2
  eval: "upload_options['context'] = 'js-SECRET-3'"
  on_success: "current_asset.update({context: {k: 'js-SECRET-4'}})"
"""


def test_code_headers_and_url_secrets_are_redacted_everywhere(project_dir, remote_cli, emulator):
    write(project_dir, "hooked", HOOKED)
    outputs = {fmt: remote_cli("plan", "--format", fmt) for fmt in ("text", "markdown", "json")}
    saved = remote_cli("plan", "--out", "plan.json")
    for fmt, result in outputs.items():
        assert result.exit_code == 0, result.output
        for secret in SECRETS:
            assert secret not in result.output, (fmt, secret)
    plan_file = (project_dir / "plan.json").read_text()
    for secret in SECRETS:
        assert secret not in plan_file
        assert secret not in saved.output

    created = fields(by_name(json.loads(outputs["json"].stdout), "hooked"))
    eval_code = "upload_options['context'] = 'js-SECRET-3'"
    assert re.fullmatch(
        rf"\(JavaScript, {len(eval_code)} chars, sha256:[0-9a-f]{{12}}\)",
        created["settings.eval"][1],
    )
    assert created["settings.on_success"][1].startswith("(JavaScript, ")
    assert created["settings.headers"][1] == {"Authorization": "***"}
    assert created["settings.notification_url"][1].startswith("https://hooks.example.com/n?token=")
    assert "v=" in created["settings.notification_url"][1]

    # what is applied is the real thing: only the display is redacted
    assert remote_cli("apply", "--yes").exit_code == 0
    hooked = next(p for p in emulator.presets("demo") if p["name"] == "hooked")["settings"]
    assert hooked["eval"] == eval_code
    assert hooked["notification_url"] == "https://hooks.example.com/n?token=tok-SECRET-1&v=2"

    # an edited script: both sides redacted, and flagged
    path = project_dir / "presets/hooked.yaml"
    path.write_text(path.read_text().replace("js-SECRET-3", "js-SECRET-6"))
    result = remote_cli("plan")
    assert "js-SECRET" not in result.output
    assert "    ! security: eval JavaScript changes (runs on every upload)" in lines(result.stdout)
    assert re.search(
        r"~ settings\.eval: \"\(JavaScript, \d+ chars, sha256:[0-9a-f]{12}\)\" -> "
        r"\"\(JavaScript, \d+ chars, sha256:[0-9a-f]{12}\)\"",
        result.stdout,
    )


# --------------------------------------------------------------------------- formats


def test_every_format_names_the_target_first(project_dir, remote_cli, emulator):
    text = remote_cli("plan")
    assert text.stdout.splitlines()[0].startswith("Target: cloud 'demo' at http://127.0.0.1:")
    assert text.stderr == ""
    assert (
        text.stdout.splitlines()[-2] == "Plan: 3 to create, 0 to update, 0 to delete. 0 unchanged."
    )

    as_json = remote_cli("plan", "--format", "json")
    target_line = as_json.stderr.splitlines()[0]
    assert target_line == text.stdout.splitlines()[0]
    data = json.loads(as_json.stdout)  # stdout is nothing but the document
    assert data["format_version"] == 2
    assert data["target"]["cloud_name"] == "demo"
    assert data["target"]["emulator"] is False
    assert f"Target: {data['target']['description']}" == target_line
    assert data["summary"]["create"] == 3

    markdown = remote_cli("plan", "--format", "markdown", "--out", "plan.json")
    assert markdown.stderr.splitlines()[0] == target_line
    body = markdown.stdout.splitlines()
    assert body[0].startswith("### Preset plan for cloud 'demo' at http://127.0.0.1:")
    assert "| 3 | 0 | 0 | 0 | 0 |" in body
    assert (
        "<summary><code>+ ugc-moderated</code> create, 13 field(s) — "
        "`presets/ugc-moderated.yaml`</summary>" in body
    )
    moderation = body.index('+ settings.moderation: "aws_rek | manual" (moderation added)')
    assert body[moderation + 1] == "+   aws_rek.explicit_nudity: 0.7"
    assert "**Plan: 3 to create, 0 to update, 0 to delete. 0 unchanged.**" in body
    assert re.search(r"Plan checksum `sha256:[0-9a-f]{64}`", markdown.stdout)
    # the comment a reviewer reads names the checksum of the file that will be applied
    saved = json.loads((project_dir / "plan.json").read_text())
    assert f"Plan checksum `{saved['checksum']}`" in markdown.stdout
    assert saved["changes"] == data["changes"]

    assert remote_cli("plan", "--format", "xml").exit_code == 64
    assert emulator.presets("demo") == []


def test_plan_ends_with_counts_and_api_cost(applied, project_dir, emulator):
    result = applied("plan")
    quota = emulator.quota("demo")
    last = result.stdout.splitlines()[-1]
    assert (
        result.stdout.splitlines()[-2]
        == "No changes. The remote matches the definitions. 3 unchanged."
    )
    assert last.startswith(
        "Admin API: this plan read 1 list page(s); "
        f"quota {quota['remaining']}/{quota['limit']} remaining, resets "
    )
    assert "apply will make" not in last

    (project_dir / "presets/avatar.yaml").unlink()
    result = applied("plan", "--prune")
    quota = emulator.quota("demo")
    assert (
        result.stdout.splitlines()[-2]
        == "Plan: 0 to create, 0 to update, 1 to delete. 2 unchanged."
    )
    assert result.stdout.splitlines()[-1].startswith(
        "Admin API: this plan read 1 list page(s); apply will make 2 call(s); "
        f"quota {quota['remaining']}/{quota['limit']} remaining"
    )


# --------------------------------------------------------------------------- exit codes


def test_detailed_exitcode_is_0_2_1(project_dir, remote_cli, emulator, cloudinary_url):
    changes = remote_cli("plan", "--detailed-exitcode")
    assert changes.exit_code == 2, changes.output
    assert remote_cli("plan").exit_code == 0  # without the flag, changes are not an error
    assert remote_cli("apply", "--yes").exit_code == 0
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0

    wrong = cloudinary_url.replace(f":{emulator.clouds[0].api_secret}@", ":not-the-secret@")
    assert wrong != cloudinary_url
    denied = remote_cli("plan", "--detailed-exitcode", env={"CLOUDINARY_URL": wrong})
    assert denied.exit_code == 1
    assert "HTTP 401" in denied.stderr
    assert "not-the-secret" not in denied.output

    write(project_dir, "broken", "name: broken\nsettings:\n  unsigned_typo: true\n")
    before = emulator.stats()["admin_calls"]
    invalid = remote_cli("plan", "--detailed-exitcode")
    assert invalid.exit_code == 1
    assert "presets/broken.yaml:3:3: error:" in invalid.stderr
    assert emulator.stats()["admin_calls"] == before, "invalid definitions: nothing is read"


# --------------------------------------------------------------------------- --only


def test_only_limits_plan_and_apply(project_dir, remote_cli, emulator):
    emulator.seed_presets("demo", [{"name": "legacy", "folder": "old"}])
    plan = plan_json(remote_cli, "--only", "ugc-*", "--only", "avatar", "--prune")
    assert pending(plan) == [("create", "avatar"), ("create", "ugc-moderated")]
    assert plan["options"] == {"prune": True, "only": ["ugc-*", "avatar"]}

    result = remote_cli("apply", "--yes", "--only", "ugc-*", "--prune")
    assert result.exit_code == 0, result.output
    assert names(emulator) == ["legacy", "ugc-moderated"]
    rest = plan_json(remote_cli, "--prune")
    assert pending(rest) == [
        ("create", "avatar"),
        ("create", "product-images"),
        ("delete", "legacy"),
    ]


# --------------------------------------------------------------------------- --out


def test_out_is_private_atomic_and_free_of_credentials(project_dir, remote_cli, emulator):
    write(project_dir, "hooked", HOOKED)
    target = project_dir / "plan.json"
    target.write_text("old")
    os.chmod(target, 0o644)

    result = remote_cli("plan", "--out", "plan.json")

    assert result.exit_code == 0, result.output
    assert "saved the plan to plan.json (apply it with `presets apply plan.json`)" in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in project_dir.iterdir() if p.name.startswith(".plan")) == []
    raw = target.read_bytes()
    account = emulator.clouds[0]
    credentials = f"{account.api_key}:{account.api_secret}".encode()
    for forbidden in (
        account.api_secret.encode(),
        account.api_key.encode(),
        base64.b64encode(credentials),
        b"Authorization: Basic",
        b"signature",
        *(s.encode() for s in SECRETS),
    ):
        assert forbidden not in raw, forbidden
    data = json.loads(raw)
    assert data["summary"]["create"] == 4
    assert data["target"]["key_fingerprint"].startswith("sha256:")

    missing = remote_cli("plan", "--out", "no/such/dir/plan.json")
    assert missing.exit_code == 1
    assert "cannot write the plan to no/such/dir/plan.json" in missing.stderr
    assert not (project_dir / "no").exists()
    assert json.loads(target.read_bytes()) == data, "a failed write leaves the old plan intact"
    assert emulator.presets("demo") == []
