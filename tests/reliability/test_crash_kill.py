"""Crashes: ``presets apply`` killed with SIGKILL at random moments, many times; rerunning
it always converges, and nothing outside the plan is ever touched.

The apply runs as a real process (``python -m cloudinary_presets apply --yes``) against
the emulator in this process, which answers preset calls after a seeded 40-120 ms so there
is something to interrupt: start-up, the plan's listing, parallel creates and updates,
deletes, the verifying re-read. Kill points are drawn from a seeded random stream: a
random moment in the first 0.8 s, or a random number of completed writes plus a random
delay (so kills land inside the write phase, not only before it). After every kill:
the apply lock is free (it is an ``flock``, released by the kernel when the process
dies), the unchanged and ignored presets are byte-for-byte what they were, and no preset
was created twice. After the last kill of a round, one more apply runs to completion
(exit 0, never 3: a dead apply never blocks the next) and the next plan is empty.

The subprocesses are not measured for coverage (their environment drops the coverage
variables, and a killed process could not save its data anyway).
"""

from __future__ import annotations

import fcntl
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    PRESET_PATHS,
    ChangeSet,
    CreateLog,
    assert_converged,
    child_env,
    pending_writes,
    stored_presets,
)

from secret_scan import record

pytestmark = [pytest.mark.crash, pytest.mark.slow]

ROUNDS = 7
KILLS_PER_ROUND = 2
SEED = 20251125
#: every preset call waits 40-120 ms, so one apply of the change set lasts about a second
SLOW_CALLS = [{"kind": "latency", "path": PRESET_PATHS, "latency_ms": 40, "jitter_ms": 80}]


def spawn_apply(root: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudinary_presets", "apply", "--yes"],
        cwd=root,
        env=child_env(url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes], timeout: float = 60) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    record(out + err, "apply subprocess output")
    return proc.returncode, (out + err).decode("utf-8", "replace")


def kill_at_random_point(
    proc: subprocess.Popen[bytes], emulator: Any, rng: random.Random, max_writes: int
) -> bool:
    """SIGKILL ``proc`` at a random point; False if it finished first."""
    if rng.random() < 0.3:
        deadline = time.monotonic() + rng.uniform(0.2, 0.8)  # start-up, listing, first writes
    else:
        target = emulator.stats()["writes"] + rng.randint(0, max_writes)
        stop = time.monotonic() + 20
        while (
            emulator.stats()["writes"] < target and proc.poll() is None and time.monotonic() < stop
        ):
            time.sleep(0.002)
        deadline = time.monotonic() + rng.uniform(0.0, 0.12)
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        return True


def assert_lock_free(root: Path) -> None:
    """The kernel released the dead apply's flock: this process can take it at once."""
    path = root / ".presets" / "apply.lock"
    if not path.exists():
        return  # killed before it took the lock
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.fail("a killed apply left its lock held")
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def assert_nothing_outside_the_plan(
    changeset: ChangeSet, emulator: Any, creates: CreateLog
) -> None:
    now = stored_presets(emulator)
    for name in changeset.untouchable:
        assert now.get(name) == changeset.seeded[name], f"{name} was touched: {now.get(name)}"
    for spec in changeset.update_new:
        if spec.name in now:
            assert now[spec.name]["external_id"] == changeset.seeded[spec.name]["external_id"]
    allowed = set(changeset.desired) | {s.name for s in [*changeset.delete, *changeset.unmanaged]}
    assert set(now) <= allowed, f"presets outside the plan: {sorted(set(now) - allowed)}"
    assert not creates.duplicates(), creates.duplicates()
    assert set(creates.names) <= {s.name for s in changeset.create}, creates.names


def test_apply_killed_at_random_moments_always_converges(changeset, emulator, remote_cli, creates):
    rng = random.Random(SEED)
    url = emulator.cloudinary_url("demo")
    kills = finished_early = 0
    for round_ in range(ROUNDS):
        if round_:
            emulator.reset()
            creates.clear()
            changeset.seed(emulator)
        emulator.set_faults(SLOW_CALLS, seed=SEED + round_)
        for attempt in range(KILLS_PER_ROUND):
            proc = spawn_apply(changeset.root, url)
            kills += kill_at_random_point(proc, emulator, rng, 14 if attempt == 0 else 4)
            code, output = finish(proc)
            time.sleep(0.2)  # requests the emulator had already received land first
            if code != -signal.SIGKILL:
                finished_early += 1
                assert code == 0, output  # finished before the kill: it must have succeeded
            assert "Traceback" not in output
            assert_lock_free(changeset.root)
            assert_nothing_outside_the_plan(changeset, emulator, creates)
        # the next apply, at once: not blocked by the dead one's lock, and it converges
        code, output = finish(spawn_apply(changeset.root, url))
        assert code == 0, output
        emulator.clear_faults()
        final = remote_cli("plan", "--detailed-exitcode")
        assert final.exit_code == 0, final.output
        assert_converged(changeset, emulator, creates)
    assert kills >= 10, f"only {kills} kill(s) landed ({finished_early} applies finished first)"


def test_a_kill_during_the_writes_leaves_exactly_the_remaining_work(
    changeset, emulator, remote_cli, creates
):
    """A kill while writes are in flight: the next plan is the unfinished part of this one."""
    emulator.set_faults(SLOW_CALLS, seed=SEED)
    url = emulator.cloudinary_url("demo")
    proc = spawn_apply(changeset.root, url)
    deadline = time.monotonic() + 30
    while emulator.stats()["writes"] < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    code, _ = finish(proc)
    assert code == -signal.SIGKILL
    time.sleep(0.2)  # requests the emulator had already received land first
    emulator.clear_faults()
    written = emulator.stats()["writes"]
    assert 3 <= written < len(changeset.expected_writes)
    pending = pending_writes(remote_cli)
    assert pending < changeset.expected_writes
    assert len(pending) == len(changeset.expected_writes) - written
    assert_nothing_outside_the_plan(changeset, emulator, creates)
    assert_lock_free(changeset.root)
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0
    assert_converged(changeset, emulator, creates)
