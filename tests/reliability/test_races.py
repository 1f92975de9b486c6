"""Races: concurrent applies and out-of-band edits are caught, never silently lost.

* Two checkouts with different definitions make saved plans against the same product
  environment, then apply them concurrently (real processes, the emulator answering
  after 40-120 ms so the applies overlap), with seeded start offsets. The stale-plan
  check refuses the later one (exit 3, nothing written) once the first one's writes are
  visible; when both start before either writes, the conflict is still reported. In every
  case at most one apply reports success, and the one that does is in effect (its next
  plan is empty).
* A Console-style edit (the official SDK) between ``plan --out`` and ``apply plan.json``
  of a preset the plan updates, deletes or creates, or of one it leaves unchanged: exit 3,
  "plan is stale", the preset named, zero writes.
* Two applies from the same checkout: the second is refused by the lock (exit 3).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from reliability_helpers import (
    CONFIG,
    PRESET_PATHS,
    ChangeSet,
    Spec,
    child_env,
    outcome_from_cli,
    pending_writes,
    stored_presets,
    write_project,
)

from secret_scan import record

pytestmark = [pytest.mark.race, pytest.mark.slow]

WRITES = ("create", "update", "delete")
SLOW_CALLS = [{"kind": "latency", "path": PRESET_PATHS, "latency_ms": 40, "jitter_ms": 80}]


def spawn(root: Path, url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudinary_presets", *args],
        cwd=root,
        env=child_env(url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    out, err = proc.communicate(timeout=120)
    record(out + err, "apply subprocess output")
    return proc.returncode, (out + err).decode("utf-8", "replace")


def other_checkout(changeset: ChangeSet, root: Path, *, updates_only: bool = False) -> None:
    """A second checkout of the same repository on another branch: other folders for the
    updated presets, other tags for the created ones, one preset of its own."""
    specs = []
    for spec in [*changeset.keep, *changeset.update_new, *changeset.create]:
        definition = {**spec.definition, "settings": dict(spec.definition["settings"])}
        if spec in changeset.update_new:
            definition["settings"]["folder"] += "-b"
        elif spec in changeset.create:
            if updates_only:
                continue
            definition["settings"]["tags"] = ["branch-b"]
        specs.append(Spec(spec.name, definition, {}))
    if not updates_only:
        specs.append(Spec("b-only", {"name": "b-only", "settings": {"folder": "b"}}, {}))
    write_project(
        root, specs, CONFIG.replace("prune: true", f"prune: {str(not updates_only).lower()}")
    )


def updates_only(changeset: ChangeSet) -> None:
    """Checkout A without its creates and deletes: both checkouts update the same presets."""
    specs = [*changeset.keep, *changeset.update_new]
    write_project(changeset.root, specs, CONFIG.replace("prune: true", "prune: false"))


def saved_plan(cli: Any, root: Path) -> tuple[Path, set[tuple[str, str]]]:
    out = root / "plan.json"
    result = cli("plan", "--root", str(root), "--out", str(out))
    assert result.exit_code == 0, result.output
    changes = json.loads(out.read_text(encoding="utf-8"))["changes"]
    writes = {(c["action"], c["remote_name"]) for c in changes if c["action"] in WRITES}
    return out, writes


# --------------------------------------------------------------------------- two checkouts


@pytest.mark.parametrize("shape", ["change-set", "updates-only"])
@pytest.mark.parametrize("offset", [0.0, 0.05, 0.15, 0.35, "after"])
def test_two_checkouts_applying_concurrently(
    shape, offset, changeset, emulator, remote_cli, tmp_path
):
    a, b = changeset.root, tmp_path / "checkout-b"
    if shape == "updates-only":
        updates_only(changeset)
    other_checkout(changeset, b, updates_only=shape == "updates-only")
    (plan_a, planned_a), (plan_b, planned_b) = saved_plan(remote_cli, a), saved_plan(remote_cli, b)
    url = emulator.cloudinary_url("demo")
    emulator.set_faults(SLOW_CALLS, seed=7)
    first = spawn(a, url, "apply", str(plan_a))
    if offset == "after":
        code_a, out_a = finish(first)
        code_b, out_b = finish(spawn(b, url, "apply", str(plan_b)))
    else:
        time.sleep(offset)
        second = spawn(b, url, "apply", str(plan_b))
        (code_a, out_a), (code_b, out_b) = finish(first), finish(second)
    time.sleep(0.25)  # requests the emulator already received land first
    emulator.clear_faults()
    runs = {
        "a": (a, planned_a, outcome_from_cli(code_a, out_a, "")),
        "b": (b, planned_b, outcome_from_cli(code_b, out_b, "")),
    }
    for name, (_, _, run) in runs.items():
        assert run.code in (0, 1, 3), f"checkout {name} exited {run.code}:\n{run.text}"
        assert "Traceback" not in run.text, run.text
        if run.code == 3:
            assert "plan is stale; nothing was written" in run.text, run.text
            assert not run.done, run.text
        if run.code == 1:  # both passed the check: the conflict is found writing or verifying
            assert "Cloudinary stored something other than what was sent" in run.text or (
                "exists with different settings" in run.text
            ), run.text
    winners = [name for name, (_, _, run) in runs.items() if run.code == 0]
    assert len(winners) <= 1, f"both applies reported success:\n{out_a}\n---\n{out_b}"
    for name in winners:
        # what the winner reported done is in effect; whatever else differs now, the
        # loser reported doing it (it passed the check before the winner wrote anything)
        root, planned, _ = runs[name]
        loser = runs["b" if name == "a" else "a"][2]
        pending = pending_writes(remote_cli, root)
        assert not pending & planned, (
            f"checkout {name}'s reported success was undone: {pending & planned}"
        )
        for action, preset in pending:
            undo = {"delete": "create", "create": "delete", "update": "update"}[action]
            assert (undo, preset) in loser.done, (
                f"{preset} changed, and nobody said so:\n{loser.text}"
            )
    if offset == "after":
        assert (code_a, code_b) == (0, 3), f"{out_a}\n---\n{out_b}"
        for spec in changeset.update_new:
            assert f"{spec.name}: changed on the remote since the plan" in out_b
        assert pending_writes(remote_cli, a) == set()
    # whatever happened, applying checkout A again converges
    assert remote_cli("apply", "--root", str(a), "--yes").exit_code == 0
    assert pending_writes(remote_cli, a) == set()


# --------------------------------------------------------------------------- Console edits


def _edit_updated(sdk: ModuleType, changeset: ChangeSet) -> str:
    sdk.update_upload_preset("upd-03", folder="edited/in/the/console")
    return "upd-03: changed on the remote since the plan"


def _edit_unchanged(sdk: ModuleType, changeset: ChangeSet) -> str:
    sdk.update_upload_preset("keep-02", tags="console")
    return "keep-02: changed on the remote since the plan"


def _delete_pruned(sdk: ModuleType, changeset: ChangeSet) -> str:
    sdk.delete_upload_preset("old-02")
    return "old-02: was deleted from the remote since the plan"


def _create_planned(sdk: ModuleType, changeset: ChangeSet) -> str:
    sdk.create_upload_preset(name="new-05", folder="made/by/hand")
    return "new-05: appeared on the remote since the plan"


EDITS = {
    "update": _edit_updated,
    "unchanged": _edit_unchanged,
    "delete": _delete_pruned,
    "create": _create_planned,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_console_edit_between_plan_and_apply_is_stale(edit, changeset, emulator, remote_cli, sdk):
    plan, _ = saved_plan(remote_cli, changeset.root)
    named = EDITS[edit](sdk, changeset)
    before = stored_presets(emulator)
    writes = emulator.stats()["writes"]
    result = remote_cli("apply", str(plan))
    assert result.exit_code == 3, result.output
    assert "plan is stale; nothing was written" in result.stderr
    assert named in result.stderr, result.stderr
    assert emulator.stats()["writes"] == writes
    assert stored_presets(emulator) == before
    # re-planning takes the edit into account, and applying that converges
    assert remote_cli("apply", "--yes").exit_code == 0
    assert pending_writes(remote_cli) == set()


# --------------------------------------------------------------------------- one checkout


def test_two_applies_from_the_same_checkout_the_second_is_refused_by_the_lock(
    changeset, emulator, remote_cli, tmp_path
):
    url = emulator.cloudinary_url("demo")
    emulator.set_faults([{"kind": "latency", "path": PRESET_PATHS, "latency_ms": 150}], seed=1)
    first = spawn(changeset.root, url, "apply", "--yes")
    lock = changeset.root / ".presets" / "apply.lock"
    deadline = time.monotonic() + 30
    while emulator.stats()["requests"]["GET /upload_presets"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # the first apply holds the lock once it lists the presets
    assert first.poll() is None, "the first apply ended before the second could race it"
    writes = emulator.stats()["writes"]
    second = remote_cli("apply", "--yes")
    assert second.exit_code == 3, second.output
    assert "another apply holds the lock of this checkout" in second.stderr
    assert f"pid {first.pid}" in second.stderr
    assert emulator.stats()["requests"]["GET /upload_presets"] == 1  # refused before reading
    code, out = finish(first)
    assert code == 0, out
    assert emulator.stats()["writes"] - writes <= len(changeset.expected_writes)
    assert lock.exists()
    emulator.clear_faults()
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0
    # a copy of the checkout elsewhere has its own lock: only a CI concurrency group helps
    copy = tmp_path / "copy"
    shutil.copytree(changeset.root, copy, ignore=shutil.ignore_patterns(".presets"))
    assert remote_cli("plan", "--root", str(copy), "--detailed-exitcode").exit_code == 0
