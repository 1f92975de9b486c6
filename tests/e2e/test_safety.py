"""Safety guards of `presets apply`: octoDNS-style thresholds and `--force`, the quota
check, the local lock, and protected presets. A refusal exits 3 and writes nothing."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
import time

import pytest
from e2e_helpers import (
    config,
    names,
    only_presets,
    pending,
    plan_json,
    requests,
    simple,
    state,
    stored,
    write,
    write_requests,
)

from cloudinary_presets.cloudinary import transport
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.operations.lock import apply_lock

TEN = [f"p{i:02d}" for i in range(10)]


@pytest.fixture
def ten(project_dir, remote_cli, emulator):
    """Ten managed presets, applied."""
    only_presets(project_dir)
    simple(project_dir, TEN, folder="v1")
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    return remote_cli


def refused(result, emulator, writes, message):
    assert result.exit_code == 3, result.output
    assert f"error: {message}" in result.stderr
    assert write_requests(emulator) == writes


# --------------------------------------------------------------------------- thresholds


def test_updates_at_30_percent_pass_and_over_it_need_force(ten, project_dir, emulator):
    simple(project_dir, TEN[:3], folder="v2")
    result = ten("apply", "--yes")
    assert result.exit_code == 0, result.output  # 3/10 is not over 30 %
    assert stored(emulator, "p02")["settings"]["folder"] == "v2-p02"

    simple(project_dir, TEN[:4], folder="v3")
    writes, before = write_requests(emulator), state(emulator)
    result = ten("apply", "--yes")
    refused(
        result, emulator, writes, "too many updates: 40.00% is over 30.00% (4/10 managed presets)"
    )
    assert (
        "hint: review the plan; pass --force to apply it anyway, or raise "
        "safety.max_update_percent in cloudinary-presets.yaml" in result.stderr
    )
    assert state(emulator) == before

    forced = ten("apply", "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert stored(emulator, "p03")["settings"]["folder"] == "v3-p03"
    assert ten("plan", "--detailed-exitcode").exit_code == 0


def test_deletes_over_30_percent_need_force(ten, project_dir, emulator):
    for name in TEN[:4]:
        (project_dir / "presets" / f"{name}.yaml").unlink()
    writes = write_requests(emulator)
    result = ten("apply", "--yes", "--prune")
    refused(
        result, emulator, writes, "too many deletes: 40.00% is over 30.00% (4/10 managed presets)"
    )
    assert names(emulator) == TEN
    # the refused plan is shown first, so the person sees what was refused
    assert "- delete p00" in result.stdout
    assert "Plan: 0 to create, 0 to update, 4 to delete." in result.stdout

    write(project_dir, "p00", "name: p00\nsettings:\n  folder: v1-p00\n  tags: [t]\n")
    result = ten("apply", "--yes", "--prune")  # 3/10
    assert result.exit_code == 0, result.output
    assert names(emulator) == TEN[:1] + TEN[4:]


def test_thresholds_apply_only_from_ten_managed_presets(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    simple(project_dir, TEN[:9], folder="v1")
    assert remote_cli("apply", "--yes").exit_code == 0
    simple(project_dir, TEN[:9], folder="v2")  # 100 % of 9
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert requests(emulator)["PUT /upload_presets/{name}"] == 9


def test_creates_are_never_limited(ten, project_dir, emulator):
    simple(project_dir, [f"new{i:02d}" for i in range(25)])
    result = ten("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert len(names(emulator)) == 35


def test_thresholds_are_configurable(ten, project_dir, emulator):
    config(project_dir, "safety:\n  max_update_percent: 50\n  max_delete_percent: 0\n")
    simple(project_dir, TEN[:5], folder="v2")
    assert ten("apply", "--yes").exit_code == 0  # 5/10 = 50 %
    (project_dir / "presets/p09.yaml").unlink()
    writes = write_requests(emulator)
    refused(
        ten("apply", "--yes", "--prune"),
        emulator,
        writes,
        "too many deletes: 10.00% is over 0.00% (1/10 managed presets)",
    )


def test_a_saved_plan_is_held_to_the_thresholds_too(ten, project_dir, emulator):
    simple(project_dir, TEN[:4], folder="v2")
    planned = ten("plan", "--out", "plan.json")
    assert planned.exit_code == 3, planned.output  # saved all the same: --force may apply it
    assert (project_dir / "plan.json").exists()
    writes = write_requests(emulator)
    refused(
        ten("apply", "plan.json"),
        emulator,
        writes,
        "too many updates: 40.00% is over 30.00% (4/10 managed presets)",
    )
    forced = ten("apply", "plan.json", "--force")
    assert forced.exit_code == 0, forced.output
    assert write_requests(emulator) == writes + 4


def test_no_definitions_never_means_delete_everything(project_dir, remote_cli, emulator):
    assert remote_cli("apply", "--yes").exit_code == 0
    only_presets(project_dir)  # an empty presets folder (a wrong checkout, a bad glob...)
    writes = write_requests(emulator)
    result = remote_cli("apply", "--yes", "--prune")
    refused(
        result,
        emulator,
        writes,
        "no definitions were found, and the plan would delete all 3 remote preset(s)",
    )
    assert len(names(emulator)) == 3
    forced = remote_cli("apply", "--yes", "--prune", "--force")
    assert forced.exit_code == 0, forced.output
    assert names(emulator) == []


# --------------------------------------------------------------------------- quota


def test_not_enough_quota_is_refused(project_dir, remote_cli, emulator):
    emulator.set_quota("demo", remaining=4)  # the plan's list call leaves 3; apply needs 4

    plan = remote_cli("plan")
    assert "apply will make 4 call(s); quota 3/2000 remaining" in plan.stdout

    result = remote_cli("apply", "--yes")
    assert result.exit_code == 3, result.output
    assert (
        "error: not enough Admin API quota: this apply needs 4 call(s), 2 remain (resets "
        in result.stderr
    )
    assert "hint: wait for the reset, apply a part with --only, or pass --force" in result.stderr
    assert write_requests(emulator) == 0

    # --only makes it fit: 1 write + 1 verifying list = 2 calls, and 1 remains after the plan
    emulator.set_quota("demo", remaining=3)
    part = remote_cli("apply", "--yes", "--only", "avatar")
    assert part.exit_code == 0, part.output
    assert names(emulator) == ["avatar"]


def test_forcing_past_the_quota_reports_what_was_written(
    project_dir, remote_cli, emulator, monkeypatch
):
    # never wait for the hourly reset, however close it is (near the top of the hour the
    # client would rightly wait it out, and the verification would then succeed)
    monkeypatch.setattr(transport, "RetryPolicy", functools.partial(RetryPolicy, max_wait=0.0))
    emulator.set_quota("demo", remaining=4)  # plan 1, writes 3, then the verifying list is refused
    result = remote_cli("apply", "--yes", "--force")
    assert result.exit_code == 1, result.output
    assert names(emulator) == ["avatar", "product-images", "ugc-moderated"]
    assert "error: applied 3/3 change(s)" in result.stderr
    assert (
        "  could not verify what Cloudinary stored: GET /v1_1/demo/upload_presets HTTP 420"
        in result.stderr
    )
    emulator.set_quota("demo", remaining=2000)
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


# --------------------------------------------------------------------------- lock


def test_a_held_lock_refuses_apply_before_any_call(project_dir, remote_cli, emulator):
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    calls = emulator.stats()["admin_calls"]
    with apply_lock(project_dir / ".presets"):
        for args in (("apply", "--yes"), ("apply", "plan.json")):
            result = remote_cli(*args)
            assert result.exit_code == 3, result.output
            assert "error: another apply holds the lock of this checkout: " in result.stderr
            assert "(pid " in result.stderr
            assert (
                "hint: wait for it to finish, or pass --lock-timeout SECONDS to wait"
                in result.stderr
            )
        assert emulator.stats()["admin_calls"] == calls, "nothing is read or written"
        assert remote_cli("plan").exit_code == 0, "plan does not need the lock"
    assert emulator.presets("demo") == []
    assert remote_cli("apply", "--yes").exit_code == 0, "the lock is free again"


def test_lock_timeout_waits_for_the_other_apply(project_dir, remote_cli, emulator):
    held, release = threading.Event(), threading.Event()

    def other_apply():
        with apply_lock(project_dir / ".presets"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other_apply)
    thread.start()
    try:
        assert held.wait(5)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        result = remote_cli("apply", "--yes", "--lock-timeout", "5")
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(5)
    assert result.exit_code == 0, result.output
    assert waited >= 0.25
    assert len(names(emulator)) == 3


def test_a_failed_apply_releases_the_lock(project_dir, remote_cli, emulator):
    emulator.set_faults(
        [{"kind": "status", "status": 400, "method": "POST", "path": "*/upload_presets"}]
    )
    assert remote_cli("apply", "--yes").exit_code == 1
    emulator.clear_faults()
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- protect


def test_protected_globs_can_never_be_deleted(project_dir, remote_cli, emulator):
    emulator.seed_presets(
        "demo", [{"name": "legacy-1", "folder": "a"}, {"name": "old", "folder": "b"}]
    )
    config(project_dir, "protect: ['legacy-*']\n")

    plan = plan_json(remote_cli)  # without --prune nothing would be deleted anyway
    assert pending(plan) == [("create", n) for n in ("avatar", "product-images", "ugc-moderated")]

    for args in (("plan", "--prune"), ("plan", "--prune", "--force")):
        result = remote_cli(*args)
        assert result.exit_code == 3, result.output  # --force never overrides protection
        assert "- delete legacy-1" in result.stdout, "the refused plan is shown"
        assert (
            "error: apply would refuse this plan: the plan would delete protected preset(s): "
            "legacy-1" in result.stderr
        )
    result = remote_cli("apply", "--yes", "--prune", "--force")
    assert result.exit_code == 3, result.output
    assert "error: the plan would delete protected preset(s): legacy-1" in result.stderr
    assert write_requests(emulator) == 0
    assert names(emulator) == ["legacy-1", "old"]

    write(project_dir, "legacy-1", "name: legacy-1\nsettings:\n  folder: a\n")  # defined again
    result = remote_cli("apply", "--yes", "--prune")
    assert result.exit_code == 0, result.output
    assert "deleted old" in result.stdout
    assert "legacy-1" in names(emulator)


def test_protect_true_survives_deleting_the_file_in_a_pull_request(project_dir, cli):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=project_dir,
            check=True,
            capture_output=True,
        )

    avatar = project_dir / "presets/avatar.yaml"
    avatar.write_text(
        avatar.read_text().replace("unsigned: true\n", "unsigned: true\nprotect: true\n")
    )
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    avatar.unlink()
    (project_dir / "presets/product-images.yaml").unlink()

    result = cli("plan", "--base", "HEAD")

    assert result.exit_code == 3, result.output
    assert result.stdout.startswith(
        "Target: definitions at HEAD vs the work tree (no credentials used)"
    )
    assert (
        "error: apply would refuse this plan: the plan would delete protected preset(s): avatar"
        in result.stderr
    )
    assert "product-images" not in result.stderr
    assert not (project_dir / ".presets").exists(), "no emulator was started"


# --------------------------------------------------------------------------- judged at plan time


def test_plan_says_apply_would_refuse_in_every_format(ten, project_dir, emulator):
    for name in TEN[:4]:
        (project_dir / "presets" / f"{name}.yaml").unlink()
    reason = "too many deletes: 40.00% is over 30.00% (4/10 managed presets)"

    text = ten("plan", "--prune")
    assert text.exit_code == 3, text.output
    lines = text.stdout.splitlines()
    assert "- delete p00" in lines, "the plan is shown all the same"
    heading = lines.index("Safety: `presets apply` would refuse this plan:")
    assert lines[heading + 1] == f"  ! {reason} (--force overrides it)"
    assert lines[heading + 2].startswith("    hint: review the plan; pass --force")
    assert f"error: apply would refuse this plan: {reason}" in text.stderr

    detailed = ten("plan", "--prune", "--detailed-exitcode")
    assert detailed.exit_code == 3, "a refused plan is not merely 'changes present'"

    markdown = ten("plan", "--prune", "--format", "markdown")
    assert markdown.exit_code == 3
    assert "> [!CAUTION]\n> Safety: `presets apply` would refuse this plan:" in markdown.stdout
    assert f"> - **{reason} (--force overrides it)**" in markdown.stdout

    data = json.loads(ten("plan", "--prune", "--format", "json").stdout)
    assert data["safety"] == {
        "apply_would_refuse": True,
        "reasons": [
            {
                "check": "max_delete_percent",
                "message": reason,
                "hint": "review the plan; pass --force to apply it anyway, or raise "
                "safety.max_delete_percent in cloudinary-presets.yaml",
                "overridable": True,
                "refuses_plan": True,
            }
        ],
    }

    forced = ten("plan", "--prune", "--detailed-exitcode", "--force")
    assert forced.exit_code == 2, forced.output
    assert "Safety: `presets apply` would refuse this plan:" in forced.stdout
    assert forced.stderr == ""
    assert write_requests(emulator) == 10
    assert names(emulator) == TEN

    applied = ten("apply", "--yes", "--prune")  # plan and apply judge alike
    refused(applied, emulator, 10, reason)


def test_a_plan_within_the_thresholds_carries_no_safety_reasons(ten, project_dir):
    simple(project_dir, TEN[:3], folder="v2")
    result = ten("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "Safety" not in result.stdout
    data = json.loads(ten("plan", "--format", "json").stdout)
    assert data["safety"] == {"apply_would_refuse": False, "reasons": []}


def test_the_quota_is_only_a_warning_at_plan_time(project_dir, remote_cli, emulator):
    emulator.set_quota("demo", remaining=4)
    result = remote_cli("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert (
        "Safety: `presets apply` would refuse this plan if this is still so when applying:"
        in result.stdout
    )
    assert (
        "not enough Admin API quota: this apply needs 4 call(s), 3 remain (resets " in result.stdout
    )
    assert "(checked again when applying; --force overrides it)" in result.stdout
    data = json.loads(remote_cli("plan", "--format", "json").stdout)
    assert [r["check"] for r in data["safety"]["reasons"]] == ["quota"]
    assert data["safety"]["reasons"][0]["refuses_plan"] is False


def test_every_environment_is_judged_with_all_envs(project_dir, cli, cloudinary_url, emulator):
    config(
        project_dir,
        "protect: ['stg_legacy']\nenvironments:\n"
        "  staging: {name_prefix: stg_, credentials: {env: URL}, prune: true}\n"
        "  production: {credentials: {env: URL}}\n",
    )
    emulator.seed_presets("demo", [{"name": "stg_legacy", "folder": "x"}])
    cli.env["URL"] = cloudinary_url
    result = cli("plan", "--all-envs", "--detailed-exitcode")
    assert result.exit_code == 3, result.output
    assert (
        "error: environment staging: apply would refuse this plan: the plan would delete "
        "protected preset(s): stg_legacy" in result.stderr
    )
    assert "production" not in result.stderr
    data = json.loads(cli("plan", "--all-envs", "--format", "json").stdout)
    assert data["environments"]["staging"]["safety"]["apply_would_refuse"] is True
    assert data["environments"]["staging"]["safety"]["reasons"][0]["overridable"] is False
    assert data["environments"]["production"]["safety"]["apply_would_refuse"] is False
    forced = cli("plan", "--all-envs", "--force")
    assert forced.exit_code == 3, "--force never overrides protection"
    assert write_requests(emulator) == 0
