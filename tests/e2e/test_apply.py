"""`presets apply` over the CLI against the emulator.

Terraform's acceptance rule for every example and fixture preset: after `apply`, `plan`
is empty; it stays empty on a second read; and after the remote copy is deleted or
changed out of band (with the official SDK), plan shows the create/update, apply fixes
it, and plan is empty again. Then confirmation, ordering, parallelism, partial failure
(the next plan holds exactly the remaining work), retries and reconciliation, and the
verification of what Cloudinary stored.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from cloudinary.utils import encode_context
from e2e_helpers import (
    BAD_REQUEST,
    FIXTURE_PRESETS,
    PUT_READINGS,
    by_name,
    example_files,
    fields,
    fixture_files,
    names,
    only_presets,
    pending,
    plan_json,
    requests,
    run_on_terminal,
    simple,
    state,
    stored,
    write_requests,
)

ALL_PRESET_FILES = example_files() + fixture_files()


def _id(path):
    return f"{'fixture' if path.is_relative_to(FIXTURE_PRESETS) else 'example'}/{path.stem}"


# --------------------------------------------------------------------------- acceptance


@pytest.mark.parametrize("emulator", PUT_READINGS, indirect=True)
@pytest.mark.parametrize("source", ALL_PRESET_FILES, ids=_id)
def test_acceptance_apply_then_plan_is_empty_and_survives_out_of_band_changes(
    source, project_dir, remote_cli, emulator, sdk
):
    only_presets(project_dir, source)
    name = source.stem

    first = remote_cli("apply", "--yes")
    assert first.exit_code == 0, first.output
    assert f"created {name}" in first.stdout
    assert names(emulator) == [name]
    applied = state(emulator)

    # plan is empty, twice (a second read of the same remote changes nothing)
    for _ in range(2):
        again = remote_cli("plan", "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "No changes. The remote matches the definitions. 1 unchanged." in again.stdout
    writes = write_requests(emulator)
    idle = remote_cli("apply", "--yes")
    assert idle.exit_code == 0
    assert write_requests(emulator) == writes, "nothing to write"

    # disappears: deleted out of band -> plan shows the create; apply restores it exactly
    sdk.delete_upload_preset(name)
    plan = plan_json(remote_cli)
    assert pending(plan) == [("create", name)]
    assert remote_cli("apply", "--yes").exit_code == 0
    assert state(emulator) == applied
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0

    # changed out of band (a Console edit: it replaces the settings, or under the other
    # reading of PUT, changes these two and keeps the rest) -> update; apply restores
    sdk.update_upload_preset(name, folder="out-of-band", tags="oob")
    plan = plan_json(remote_cli)
    assert pending(plan) == [("update", name)]
    changed = fields(by_name(plan, name))
    assert changed["settings.tags"][0] == ["oob"]
    assert remote_cli("apply", "--yes").exit_code == 0
    assert state(emulator) == applied
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


def test_acceptance_for_the_whole_fixture_set_at_once(project_dir, remote_cli, emulator):
    only_presets(project_dir, *ALL_PRESET_FILES)
    result = remote_cli("apply", "--yes", "--parallelism", "8")
    assert result.exit_code == 0, result.output
    total = len(ALL_PRESET_FILES)
    assert f"Apply complete: applied {total}/{total} change(s)" in result.stdout
    assert names(emulator) == sorted(p.stem for p in ALL_PRESET_FILES)
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0

    # spot checks of what was stored: Cloudinary's wire forms, not our YAML
    sink = stored(emulator, "kitchen-sink")["settings"]
    assert sink["tags"] == "sink,all kinds,zeta,alpha"
    assert sink["context"] == encode_context({"source": "kitchen", "caption": "a=b|c", "alt": ""})
    # the official SDK's encoding is the oracle (lists: JSON, then = and | escaped)
    sdk_form = encode_context({"sku": "ABC-123", "colours": ["red", "green|blue", "a=b"]})
    assert sink["metadata"] == sdk_form
    assert sink["face_coordinates"] == "10,20,30,40|50,60,70,80"
    assert sink["transformation"] == "c_limit,h_3000,w_3000/f_auto,q_auto"
    assert (
        sink["eager"]
        == "c_fill,g_auto,h_300,w_300/webp|c_scale,w_1200/e_sharpen|c_thumb,g_face,h_100,w_100/png"
    )
    assert json.loads(sink["access_control"])[1]["access_type"] == "anonymous"
    assert json.loads(sink["responsive_breakpoints"])[0]["max_width"] == 2000
    assert sink["headers"].splitlines()[0] == "X-Robots-Tag: noindex"
    assert sink["future_flag"] is True
    assert sink["future_mode"] == "fancy"
    chain = stored(emulator, "moderation-chain")["settings"]["moderation"]
    assert (
        chain == "webpurify|aws_rek:explicit_nudity:0.7:suggestive:ignore:violence:0.85"
        "|duplicate:0.9|perception_point|manual"
    )


def test_update_and_prune_change_the_remote(project_dir, remote_cli, emulator):
    assert remote_cli("apply", "--yes").exit_code == 0
    avatar = project_dir / "presets/avatar.yaml"
    avatar.write_text(avatar.read_text().replace("tags: [avatar]", "tags: [avatar, profile]"))
    (project_dir / "presets/product-images.yaml").unlink()

    result = remote_cli("apply", "--yes", "--prune")

    assert result.exit_code == 0, result.output
    assert "updated avatar" in result.stdout
    assert "deleted product-images" in result.stdout
    assert "Apply complete: applied 2/2 change(s)" in result.stdout
    assert names(emulator) == ["avatar", "ugc-moderated"]
    assert stored(emulator, "avatar")["settings"]["tags"] in ("avatar,profile", "profile,avatar")
    counts = requests(emulator)
    assert (counts["PUT /upload_presets/{name}"], counts["DELETE /upload_presets/{name}"]) == (1, 1)
    assert remote_cli("plan", "--prune", "--detailed-exitcode").exit_code == 0


# --------------------------------------------------------------------------- confirmation


def test_no_terminal_and_no_yes_refuses(project_dir, remote_cli, emulator):
    result = remote_cli("apply")
    assert result.exit_code == 1
    assert "Plan: 3 to create" in result.stdout, "the plan is shown before refusing"
    assert "refusing to apply without confirmation: stdin is not a terminal" in result.stderr
    assert write_requests(emulator) == 0
    assert emulator.presets("demo") == []


@pytest.mark.parametrize(
    ("answer", "applies"), [("yes", True), ("no", False), ("y", False), ("", False)]
)
def test_terminal_confirmation_accepts_only_yes(
    answer, applies, project_dir, cloudinary_url, emulator, monkeypatch
):
    monkeypatch.setenv("CLOUDINARY_URL", cloudinary_url)
    result = run_on_terminal(monkeypatch, ["apply"], answer)
    assert "Apply 3 change(s) to cloud 'demo'" in result.stdout
    if applies:
        assert result.exit_code == 0, result.output
        assert names(emulator) == ["avatar", "product-images", "ugc-moderated"]
    else:
        assert result.exit_code == 1
        assert "Apply cancelled; nothing was written." in result.stdout
        assert write_requests(emulator) == 0


def test_nothing_to_apply(project_dir, remote_cli, emulator):
    assert remote_cli("apply", "--yes").exit_code == 0
    writes = write_requests(emulator)
    result = remote_cli("apply")  # no --yes needed when there is nothing to confirm
    assert result.exit_code == 0, result.output
    assert "No changes. The remote matches the definitions." in result.stdout
    assert write_requests(emulator) == writes


# --------------------------------------------------------------------------- order, parallelism


def test_creates_and_updates_go_before_deletes(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    simple(project_dir, [f"keep{i}" for i in range(4)])
    emulator.seed_presets("demo", [{"name": f"old{i}", "folder": "o"} for i in range(4)])
    emulator.seed_presets("demo", [{"name": "keep0", "folder": "stale"}])

    result = remote_cli("apply", "--yes", "--prune", "--parallelism", "8", "--force")

    assert result.exit_code == 0, result.output
    events = [
        line.split()[0]
        for line in result.stdout.splitlines()
        if re.match(r"(created|updated|deleted) ", line)
    ]
    assert sorted(events) == ["created"] * 3 + ["deleted"] * 4 + ["updated"]
    assert events.index("deleted") == 4
    assert set(events[4:]) == {"deleted"}
    assert names(emulator) == [f"keep{i}" for i in range(4)]


def test_parallelism_overlaps_writes(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    slow = {"kind": "latency", "method": "POST", "path": "*/upload_presets", "latency_ms": 200}
    timings = {}
    for parallelism in ("1", "6"):
        emulator.reset()
        emulator.set_faults([slow])
        simple(project_dir, [f"p{i}" for i in range(6)])
        started = time.monotonic()
        result = remote_cli("apply", "--yes", "--parallelism", parallelism)
        timings[parallelism] = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert requests(emulator)["POST /upload_presets"] == 6
    assert timings["1"] >= 6 * 0.2  # one at a time
    assert timings["6"] < timings["1"] / 2, timings  # about one latency for all six


# --------------------------------------------------------------------------- partial failure

N = 5
PRESETS = [f"p{i}" for i in range(1, N + 1)]


@pytest.mark.parametrize("k", [0, 2, 4])
def test_failed_create_at_write_k_plus_1_leaves_exactly_n_minus_k(
    k, project_dir, remote_cli, emulator
):
    only_presets(project_dir)
    simple(project_dir, PRESETS)
    emulator.set_faults(
        [{**BAD_REQUEST, "method": "POST", "path": "*/upload_presets", "nth": [k + 1]}]
    )

    result = remote_cli("apply", "--yes", "--parallelism", "1")

    assert result.exit_code == 1, result.output
    failed = PRESETS[k]
    skipped = PRESETS[k + 1 :]
    assert names(emulator) == PRESETS[:k]
    for done in PRESETS[:k]:
        assert f"created {done}" in result.stdout
    assert (
        f"FAILED create {failed}: POST /v1_1/demo/upload_presets HTTP 400: "
        "Injected: invalid parameter" in result.stdout
    )
    summary = f"error: applied {k}/{N} change(s)"
    assert summary in result.stderr
    assert "; 1 failed" in result.stderr
    assert (f"; {len(skipped)} not attempted" in result.stderr) == bool(skipped)
    assert f"  failed: create {failed}: " in result.stderr
    if skipped:
        listed = ", ".join(skipped)
        assert f"  not attempted: {len(skipped)} create(s): {listed}\n" in result.stderr
    assert "hint: run `presets plan` to see exactly the remaining work" in result.stderr
    assert requests(emulator)["POST /upload_presets"] == k + 1, "stops at the first failure"

    emulator.clear_faults()
    remaining = pending(plan_json(remote_cli))
    assert remaining == [("create", name) for name in PRESETS[k:]]
    assert len(remaining) == N - k

    assert remote_cli("apply", "--yes").exit_code == 0
    assert names(emulator) == PRESETS
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("k", [1, 3])
def test_failed_update_at_write_k_plus_1_leaves_exactly_n_minus_k(
    k, project_dir, remote_cli, emulator
):
    only_presets(project_dir)
    simple(project_dir, PRESETS, folder="old")
    assert remote_cli("apply", "--yes").exit_code == 0
    simple(project_dir, PRESETS, folder="new")
    emulator.set_faults(
        [{**BAD_REQUEST, "method": "PUT", "path": "*/upload_presets/*", "nth": [k + 1]}]
    )

    result = remote_cli("apply", "--yes", "--parallelism", "1")

    assert result.exit_code == 1, result.output
    assert f"error: applied {k}/{N} change(s)" in result.stderr
    folders = {name: stored(emulator, name)["settings"]["folder"] for name in PRESETS}
    assert folders == {
        name: ("new" if i < k else "old") + f"-{name}" for i, name in enumerate(PRESETS)
    }
    emulator.clear_faults()
    assert pending(plan_json(remote_cli)) == [("update", name) for name in PRESETS[k:]]


def test_a_failed_create_leaves_the_deletes_not_attempted(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    simple(project_dir, ["a1", "a2"])
    emulator.seed_presets("demo", [{"name": "z1", "folder": "z"}, {"name": "z2", "folder": "z"}])
    emulator.set_faults([{**BAD_REQUEST, "method": "POST", "path": "*/upload_presets", "nth": [2]}])

    result = remote_cli("apply", "--yes", "--prune", "--parallelism", "1")

    assert result.exit_code == 1, result.output
    assert "error: applied 1/4 change(s)" in result.stderr
    assert "  not attempted: 2 delete(s): z1, z2\n" in result.stderr
    assert requests(emulator)["DELETE /upload_presets/{name}"] == 0
    assert names(emulator) == ["a1", "z1", "z2"]
    emulator.clear_faults()
    assert pending(plan_json(remote_cli, "--prune")) == [
        ("create", "a2"),
        ("delete", "z1"),
        ("delete", "z2"),
    ]


def test_continue_on_error_does_the_rest(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    simple(project_dir, PRESETS, folder="old")
    assert remote_cli("apply", "--yes").exit_code == 0
    simple(project_dir, PRESETS, folder="new")
    emulator.set_faults([{**BAD_REQUEST, "method": "PUT", "path": "*/upload_presets/p3"}])

    result = remote_cli("apply", "--yes", "--continue-on-error")

    assert result.exit_code == 1, result.output
    assert f"error: applied {N - 1}/{N} change(s)" in result.stderr
    assert "; 1 failed" in result.stderr
    assert "not attempted" not in result.stderr
    assert stored(emulator, "p3")["settings"]["folder"] == "old-p3"
    assert all(
        stored(emulator, n)["settings"]["folder"] == f"new-{n}" for n in PRESETS if n != "p3"
    )
    assert pending(plan_json(remote_cli)) == [("update", "p3")]


# ------------------------------------------------------------------ retries, reconciliation


def test_persistent_500_on_create_is_reconciled_then_reported(
    project_dir, remote_cli, emulator, fast_retries
):
    only_presets(project_dir)
    simple(project_dir, PRESETS)
    emulator.set_faults(
        [
            {
                "kind": "status",
                "status": 500,
                "method": "POST",
                "path": "*/upload_presets",
                "count": 3,
            }
        ]
    )

    result = remote_cli("apply", "--yes", "--parallelism", "1")

    assert result.exit_code == 1, result.output
    counts = requests(emulator)
    # never a blind retry: each failed POST is followed by a GET that finds it absent
    assert counts["POST /upload_presets"] == 3
    assert counts["GET /upload_presets/{name}"] == 3
    assert "FAILED create p1: POST /v1_1/demo/upload_presets HTTP 500" in result.stdout
    assert "still absent after 3 create attempts" in result.stdout
    assert f"error: applied 0/{N} change(s)" in result.stderr
    assert names(emulator) == []
    assert pending(plan_json(remote_cli)) == [("create", name) for name in PRESETS]


def test_a_lost_create_response_is_reconciled_without_a_duplicate(
    project_dir, remote_cli, emulator
):
    only_presets(project_dir)
    simple(project_dir, PRESETS)
    emulator.set_faults(
        [
            {
                "kind": "status",
                "status": 500,
                "when": "after",
                "method": "POST",
                "path": "*/upload_presets",
                "nth": [2],
            }
        ]
    )

    result = remote_cli("apply", "--yes", "--parallelism", "1")

    assert result.exit_code == 0, result.output
    assert "(reconciled after a lost response, no duplicate created: p2)" in result.stdout
    assert names(emulator) == PRESETS
    assert requests(emulator)["POST /upload_presets"] == N
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


def test_put_is_retried_on_5xx_and_fails_only_when_it_persists(
    project_dir, remote_cli, emulator, fast_retries
):
    only_presets(project_dir)
    simple(project_dir, PRESETS, folder="old")
    assert remote_cli("apply", "--yes").exit_code == 0
    simple(project_dir, PRESETS, folder="new")
    emulator.set_faults(
        [
            {
                "kind": "status",
                "status": 503,
                "method": "PUT",
                "path": "*/upload_presets/p1",
                "nth": [1, 2],
            },
            {"kind": "status", "status": 500, "method": "PUT", "path": "*/upload_presets/p4"},
        ]
    )

    result = remote_cli("apply", "--yes", "--continue-on-error")

    assert result.exit_code == 1, result.output
    assert "  failed: update p4: PUT /v1_1/demo/upload_presets/p4 HTTP 500" in result.stderr
    assert stored(emulator, "p1")["settings"]["folder"] == "new-p1", "a transient 503 is retried"
    assert stored(emulator, "p4")["settings"]["folder"] == "old-p4"
    assert (
        requests(emulator)["PUT /upload_presets/{name}"] == 3 + 3 + 5
    )  # p1: 3, others: 1 each, p4: 5
    emulator.clear_faults()
    assert pending(plan_json(remote_cli)) == [("update", "p4")]


# --------------------------------------------------------------------------- verification


def test_verification_names_each_field_cloudinary_did_not_store(project_dir, remote_cli, emulator):
    emulator.set_addons("demo", enabled=[])  # no Rekognition: moderation is silently dropped

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 1, result.output
    assert "created avatar" in result.stdout
    err = result.stderr.splitlines()
    assert err[0].startswith("error: applied 3/3 change(s)")
    assert "  avatar: Cloudinary stored something other than what was sent:" in err
    assert "    settings.moderation: sent 'aws_rek', stored None" in err
    assert "  ugc-moderated: Cloudinary stored something other than what was sent:" in err
    assert "    settings.moderation.aws_rek.explicit_nudity: sent 0.7, stored None" in err
    assert "    settings.moderation.aws_rek.violence: sent 0.8, stored None" in err
    assert not any("product-images" in line for line in err)
    assert "moderation added" not in result.stderr, "a plan's note would say the opposite here"
    assert "moderation" not in stored(emulator, "avatar")["settings"]

    # the remaining work is exactly the dropped moderation, until the add-on is enabled
    plan = plan_json(remote_cli)
    assert pending(plan) == [("update", "avatar"), ("update", "ugc-moderated")]
    assert list(fields(by_name(plan, "avatar"))) == ["settings.moderation"]
    emulator.set_addons("demo", enabled=None)
    assert remote_cli("apply", "--yes").exit_code == 0
    assert stored(emulator, "avatar")["settings"]["moderation"] == "aws_rek"
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


def test_a_failed_verification_still_reports_what_was_written(
    project_dir, remote_cli, emulator, fast_retries
):
    # the plan's list call is the 1st GET; the verifying list pass after the writes fails
    emulator.set_faults(
        [
            {
                "kind": "status",
                "status": 500,
                "method": "GET",
                "path": "*/upload_presets",
                "nth": [2, 3, 4, 5, 6],
            }
        ]
    )

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 1, result.output
    assert names(emulator) == ["avatar", "product-images", "ugc-moderated"]
    assert "error: applied 3/3 change(s)" in result.stderr
    assert (
        "  could not verify what Cloudinary stored: GET /v1_1/demo/upload_presets HTTP 500"
        in result.stderr
    )
