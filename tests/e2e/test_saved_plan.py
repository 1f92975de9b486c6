"""`presets plan --out PLAN` then `presets apply PLAN`: exactly the reviewed plan, or
nothing (exit 3) when the remote, the definitions or the target changed since."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import (
    BAD_REQUEST,
    names,
    only_presets,
    pending,
    plan_json,
    requests,
    simple,
    state,
    stored,
    write_requests,
)

from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount, Emulator

EXAMPLES = ["avatar", "product-images", "ugc-moderated"]


def test_a_saved_plan_is_applied_exactly(project_dir, remote_cli, emulator):
    emulator.seed_presets("demo", [{"name": "legacy", "folder": "old"}])
    saved = remote_cli("plan", "--prune", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    before = requests(emulator)

    result = remote_cli("apply", "plan.json")  # no --yes: the plan file is the review

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Target: cloud 'demo' at http://127.0.0.1:")
    assert "Apply complete: applied 4/4 change(s)" in result.stdout
    assert names(emulator) == EXAMPLES
    after = requests(emulator)
    assert after["GET /upload_presets"] - before["GET /upload_presets"] == 2  # re-read, verify
    assert after["GET /upload_presets/{name}"] == 0
    assert after["POST /upload_presets"] == 3
    assert after["DELETE /upload_presets/{name}"] == 1
    assert remote_cli("plan", "--prune", "--detailed-exitcode").exit_code == 0

    again = remote_cli("apply", "plan.json")
    assert again.exit_code == 3, "a plan applied once is stale afterwards"
    assert write_requests(emulator) == 4


def test_a_saved_plan_with_nothing_to_do(project_dir, remote_cli, emulator):
    assert remote_cli("apply", "--yes").exit_code == 0
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    result = remote_cli("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert "No changes. The remote matches the definitions." in result.stdout
    assert write_requests(emulator) == 3


def test_unrelated_unmanaged_presets_neither_block_nor_get_touched(
    project_dir, remote_cli, emulator
):
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    emulator.seed_presets("demo", [{"name": "someone-elses", "folder": "x"}])
    result = remote_cli("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert names(emulator) == sorted([*EXAMPLES, "someone-elses"])
    assert stored(emulator, "someone-elses")["settings"] == {"folder": "x"}


@pytest.mark.parametrize("option", [("--only", "avatar"), ("--prune",), ("--no-prune",)])
def test_options_cannot_narrow_a_saved_plan(option, project_dir, remote_cli, emulator):
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    result = remote_cli("apply", "plan.json", *option)
    assert result.exit_code == 64, result.output
    assert "cannot change a saved plan" in result.output
    assert write_requests(emulator) == 0
    assert emulator.presets("demo") == []


# --------------------------------------------------------------------------- staleness


def _appeared(project_dir, emulator, sdk):
    sdk.create_upload_preset(name="avatar", folder="mine")
    return "avatar: appeared on the remote since the plan"


def _changed(project_dir, emulator, sdk):
    sdk.update_upload_preset("ugc-moderated", folder="ugc", tags="edited")
    return "ugc-moderated: changed on the remote since the plan (was sha256:"


def _deleted(project_dir, emulator, sdk):
    sdk.delete_upload_preset("ugc-moderated")
    return "ugc-moderated: was deleted from the remote since the plan"


def _definitions(project_dir, emulator, sdk):
    path = project_dir / "presets/avatar.yaml"
    path.write_text(path.read_text().replace("avatars", "avatars-2"))
    return "the definitions changed since the plan was made"


def _new_delete(project_dir, emulator, sdk):
    emulator.seed_presets("demo", [{"name": "intruder", "folder": "x"}])
    return "intruder: appeared on the remote since the plan; a plan made now would delete it"


@pytest.mark.parametrize(
    "event",
    [_appeared, _changed, _deleted, _definitions, _new_delete],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_stale_saved_plan_is_refused_with_exit_3(event, project_dir, remote_cli, emulator, sdk):
    # the remote has product-images and an outdated ugc-moderated; avatar is to be created
    assert (
        remote_cli(
            "apply", "--yes", "--only", "product-images", "--only", "ugc-moderated"
        ).exit_code
        == 0
    )
    sdk.update_upload_preset("ugc-moderated", folder="ugc", tags="ugc")
    saved = remote_cli("plan", "--prune", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    assert pending(json.loads((project_dir / "plan.json").read_text())) == [
        ("create", "avatar"),
        ("update", "ugc-moderated"),
    ]
    reason = event(project_dir, emulator, sdk)
    before, writes = state(emulator), write_requests(emulator)

    result = remote_cli("apply", "plan.json")

    assert result.exit_code == 3, result.output
    assert "error: plan is stale; nothing was written:" in result.stderr
    assert reason in result.stderr
    assert "hint: run `presets plan --out PLAN` again and review the new plan" in result.stderr
    assert write_requests(emulator) == writes
    assert state(emulator) == before


def test_a_changed_preset_says_what_differs(project_dir, remote_cli, emulator, sdk):
    assert remote_cli("apply", "--yes").exit_code == 0
    path = project_dir / "presets/avatar.yaml"
    path.write_text(path.read_text().replace("tags: [avatar]", "tags: [avatar, v2]"))
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    sdk.update_upload_preset(
        "avatar",
        unsigned=True,
        disallow_public_id=True,
        asset_folder="avatars",
        tags="avatar",
        allowed_formats="jpg,png,webp",
        moderation="aws_rek",
        transformation=[{"crop": "fill", "gravity": "face", "width": 512, "height": 512}],
        folder="sneaked-in",
    )
    result = remote_cli("apply", "plan.json")
    assert result.exit_code == 3
    assert result.stderr.count("avatar: changed on the remote since the plan") == 1
    assert "differs now in settings.folder, settings.tags" in result.stderr
    assert stored(emulator, "avatar")["settings"]["folder"] == "sneaked-in"


def test_a_partly_applied_saved_plan_is_stale_and_the_next_plan_is_the_rest(
    project_dir, remote_cli, emulator
):
    only_presets(project_dir)
    simple(project_dir, ["p1", "p2", "p3"])
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    emulator.set_faults([{**BAD_REQUEST, "method": "POST", "path": "*/upload_presets", "nth": [2]}])

    failed = remote_cli("apply", "plan.json", "--parallelism", "1")

    assert failed.exit_code == 1, failed.output
    assert "error: applied 1/3 change(s)" in failed.stderr
    assert names(emulator) == ["p1"]
    emulator.clear_faults()
    stale = remote_cli("apply", "plan.json")
    assert stale.exit_code == 3
    assert "p1: appeared on the remote since the plan" in stale.stderr
    assert pending(plan_json(remote_cli)) == [("create", "p2"), ("create", "p3")]


# --------------------------------------------------------------------------- other target


def test_a_plan_for_another_target_is_refused_before_any_call(project_dir, remote_cli, emulator):
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    with Emulator(":memory:") as other:
        result = remote_cli(
            "apply", "plan.json", env={"CLOUDINARY_URL": other.cloudinary_url("demo")}
        )
        assert result.exit_code == 3, result.output
        assert (
            result.stdout.splitlines()[0] == f"Target: cloud 'demo' at {other.url} "
            "(credentials from environment variable CLOUDINARY_URL)"
        )
        assert f"error: the plan was made for cloud 'demo' at {emulator.url}" in result.stderr
        assert f"(API host {emulator.url} vs {other.url})" in result.stderr
        assert other.stats()["admin_calls"] == 0
        assert other.presets("demo") == []
    assert emulator.presets("demo") == []


def test_a_plan_for_another_cloud_or_key_is_refused(project_dir, cli):
    second = CloudAccount("other", "200000000000002", "other-secret")
    with Emulator(":memory:", clouds=[DEMO_CLOUD, second]) as emu:
        cli.env["CLOUDINARY_URL"] = emu.cloudinary_url("demo")
        assert cli("plan", "--out", "plan.json").exit_code == 0
        result = cli("apply", "plan.json", env={"CLOUDINARY_URL": emu.cloudinary_url("other")})
        assert result.exit_code == 3
        assert "cloud 'demo' vs 'other'" in result.stderr
        assert "a different API key" in result.stderr
        assert emu.presets("demo") == []
        assert emu.presets("other") == []

        # the embedded emulator is another target too
        embedded = cli("apply", "plan.json", "--emulator")
        assert embedded.exit_code == 3
        assert "API host http://127.0.0.1:" in embedded.stderr
        assert "vs local-emulator" in embedded.stderr


# --------------------------------------------------------------------------- unusable plan files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "plan.json is not a complete plan file (invalid JSON"),
        ('{"changes": []}', "plan.json is not a plan file written by `presets plan --out`"),
        ('{"format_version": 3}', "plan.json uses plan format 3"),
        (
            '{"format_version": 2, "tool_version": "9.0.0"}',
            "plan.json was written by presets 9.0.0",
        ),
        (
            '{"format_version": 2, "tool_version": "0.1.0"}',
            "the plan file was altered after `presets plan --out` wrote it: its checksum is "
            "missing",
        ),
    ],
)
def test_an_unusable_plan_file_is_refused_without_any_call(
    content, message, project_dir, remote_cli, emulator
):
    (project_dir / "plan.json").write_text(content)
    result = remote_cli("apply", "plan.json")
    assert result.exit_code == 3
    assert message in result.stderr
    assert "nothing was written" in result.stderr
    assert emulator.stats()["admin_calls"] == 0


def test_a_missing_plan_file(project_dir, remote_cli, emulator):
    result = remote_cli("apply", "nope.json")
    assert result.exit_code == 1
    assert "cannot read the plan file nope.json" in result.stderr
    assert emulator.stats()["admin_calls"] == 0
