"""Faults: under every fault the emulator can inject, applying a realistic change set
converges.

For each fault kind (latency beyond the client's read timeout, 500/502/503 rates, 420/429
bursts with reset headers, connection resets, truncated bodies; each before the request
is processed and after it committed) and for seeded mixes of them, ``apply`` is run until
it succeeds, with the faults active the whole time. After every failed run the remote
(the state) must agree with what the run reported: everything still to do was reported
failed or not attempted, nothing reported done is still to do, and a run that failed
before writing wrote nothing. At the end the next plan is empty, every desired preset
exists once with the desired settings, the unchanged and ignored presets are untouched
byte for byte, updated presets were updated in place, and no preset was created twice.

The CLI runs in-process (exit codes and printed reports are part of the contract). The
latency cases drive the library (``workflow.apply_interactive``) with a short read
timeout, which the CLI does not expose.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    FAST_RETRY,
    PRESET_PATHS,
    ChangeSet,
    CreateLog,
    Outcome,
    assert_converged,
    assert_failure_reported,
    outcome_from_cli,
    outcome_from_library,
    pending_writes,
)

from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.operations.target import Target, open_target
from cloudinary_presets.operations.workflow import apply_interactive

pytestmark = pytest.mark.faults

P = PRESET_PATHS
MAX_RUNS = 10
#: the client's read timeout in the latency cases, and latencies well beyond it
READ_TIMEOUT = 0.25
SLOW_MS = 600


def _after(kind: str, method: str, rate: float, **kw: Any) -> dict[str, Any]:
    """A fault that hits the response of a request the emulator processed and committed."""
    return {"kind": kind, "when": "after", "method": method, "path": P, "rate": rate, **kw}


SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "http-500": [
        {"kind": "status", "status": 500, "path": P, "rate": 0.25},
        _after("status", "POST", 0.35, status=500),
        _after("status", "PUT", 0.35, status=502),
        _after("status", "DELETE", 0.35, status=500),
    ],
    "http-503": [
        {"kind": "status", "status": 503, "path": P, "rate": 0.25},
        {"kind": "status", "status": 503, "path": P, "rate": 0.04, "retry_after": 1},
        _after("status", "POST", 0.35, status=503),
        _after("status", "DELETE", 0.35, status=503),
    ],
    "rate-limit-bursts": [
        {"kind": "status", "status": 429, "path": P, "nth": [2, 3, 4, 5], "reset_seconds": 1},
        {"kind": "status", "status": 420, "path": P, "nth": [12, 13], "reset_seconds": 1},
        {"kind": "status", "status": 429, "path": P, "nth": [17], "retry_after": 1},
        # a reset an hour away is beyond any wait: that call fails and says until when
        {"kind": "status", "status": 420, "path": P, "nth": [22], "reset_seconds": 3600},
    ],
    "connection-reset": [
        {"kind": "reset", "path": P, "rate": 0.2},
        _after("reset", "POST", 0.35),
        _after("reset", "PUT", 0.35),
        _after("reset", "DELETE", 0.35),
    ],
    "truncated-body": [
        {"kind": "truncate", "path": P, "rate": 0.2},
        _after("truncate", "POST", 0.35),
        _after("truncate", "PUT", 0.35),
        _after("truncate", "GET", 0.15),
        _after("truncate", "DELETE", 0.35),
    ],
}

LATENCY: list[dict[str, Any]] = [
    # processed only after the client gave up (and maybe after its retry landed)
    {"kind": "latency", "path": P, "rate": 0.2, "latency_ms": SLOW_MS},
    # processed and committed, the answer arrives too late
    {"kind": "latency", "when": "after", "path": P, "rate": 0.15, "latency_ms": SLOW_MS},
]

MIX: list[dict[str, Any]] = [
    {"kind": "latency", "path": P, "rate": 0.3, "latency_ms": 5, "jitter_ms": 30},
    {"kind": "latency", "path": P, "rate": 0.08, "latency_ms": SLOW_MS},
    {
        "kind": "latency",
        "when": "after",
        "method": "POST",
        "path": P,
        "rate": 0.1,
        "latency_ms": SLOW_MS,
    },
    {"kind": "status", "status": 500, "path": P, "rate": 0.08},
    {"kind": "status", "status": 503, "path": P, "rate": 0.05},
    {"kind": "status", "status": 429, "path": P, "nth": [3, 9], "reset_seconds": 1},
    {"kind": "reset", "path": P, "rate": 0.06},
    _after("reset", "POST", 0.2),
    {"kind": "truncate", "path": P, "rate": 0.06},
    _after("truncate", "PUT", 0.2),
    _after("status", "DELETE", 0.2, status=500),
]


@dataclass
class Tuned(Target):
    """A target whose transports time out after :data:`READ_TIMEOUT` and retry fast."""

    def transport(
        self, *, timeout: tuple[float, float] = (5.0, 30.0), retry: RetryPolicy | None = None
    ) -> Transport:
        return super().transport(timeout=(2.0, READ_TIMEOUT), retry=FAST_RETRY)


def library_apply(root: Path, url: str) -> Outcome:
    """One ``apply --yes`` through the library, with the short read timeout."""
    project = Project.open(root)
    plain = open_target(root=root, environ={"CLOUDINARY_URL": url}, home=root)
    with Tuned(plain.credentials, plain.info) as target:
        return outcome_from_library(
            lambda: apply_interactive(
                project, project.environment(None), target, {}, confirm=lambda plan: True
            )
        )


def converge(
    apply_once: Any,
    rules: list[dict[str, Any]],
    seed: int,
    changeset: ChangeSet,
    emulator: Any,
    remote_cli: Any,
    creates: CreateLog,
    *,
    settle: float = 0.0,
) -> list[Outcome]:
    """Apply until it succeeds (faults active throughout), checking every failure."""
    outcomes: list[Outcome] = []
    for run in range(MAX_RUNS):
        emulator.set_faults(rules, seed=seed * 100 + run)
        writes_before = emulator.stats()["writes"]
        outcome = apply_once()
        outcomes.append(outcome)
        emulator.clear_faults()
        time.sleep(settle)  # requests delayed on the server side land before we look
        if run == 0 and outcome.planned:
            assert outcome.planned == changeset.expected_writes, outcome.text
        if outcome.code == 0:
            assert outcome.applied == bool(outcome.planned), outcome.text
            assert outcome.done == outcome.planned, outcome.text
            break
        writes = emulator.stats()["writes"] - writes_before
        assert_failure_reported(outcome, pending_writes(remote_cli), writes)
    else:
        summary = "\n---\n".join(o.text[-1500:] for o in outcomes)
        pytest.fail(f"apply did not converge in {MAX_RUNS} runs under {rules}:\n{summary}")
    final = remote_cli("plan", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    assert "No changes" in final.stdout
    assert_converged(changeset, emulator, creates)
    return outcomes


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_apply_converges_under_faults(
    scenario, seed, changeset, emulator, remote_cli, creates, fast_retries
):
    def apply_once() -> Outcome:
        result = remote_cli("apply", "--yes")
        return outcome_from_cli(result.exit_code, result.stdout, result.stderr)

    outcomes = converge(
        apply_once, SCENARIOS[scenario], seed, changeset, emulator, remote_cli, creates
    )
    assert emulator.stats()["faults_injected"] > 0, "the scenario injected nothing"
    if scenario == "rate-limit-bursts":
        # the short bursts were waited out; the hour-long reset failed the first run at
        # once, saying until when (not slept through), and the next run finished the job
        assert outcomes[0].code == 1, outcomes[0].text
        assert "rate limited until" in outcomes[0].text, outcomes[0].text
        assert len(outcomes) >= 2


HEAVY: list[dict[str, Any]] = [
    {"kind": "status", "status": 500, "path": P, "rate": 0.5},
    {"kind": "reset", "path": P, "rate": 0.15},
    _after("truncate", "POST", 0.5),
    _after("status", "PUT", 0.5, status=503),
]


@pytest.mark.parametrize("continue_on_error", [False, True], ids=["stop", "continue-on-error"])
def test_apply_converges_under_heavy_faults(
    continue_on_error, changeset, emulator, remote_cli, creates, fast_retries
):
    """Half the calls fail: several runs fail part-way, each says exactly what is left.

    One write at a time: with the seeded faults, the same requests fail on every run of the
    suite (in parallel, thread timing decides which request meets which fault).
    """
    extra = ["--parallelism", "1", *(["--continue-on-error"] if continue_on_error else [])]

    def apply_once() -> Outcome:
        result = remote_cli("apply", "--yes", *extra)
        return outcome_from_cli(result.exit_code, result.stdout, result.stderr)

    outcomes = converge(apply_once, HEAVY, 7, changeset, emulator, remote_cli, creates)
    assert len(outcomes) > 1, "no run failed: the scenario tests nothing"


@pytest.mark.parametrize("seed", [1, 2])
def test_apply_converges_when_answers_come_after_the_read_timeout(
    seed, changeset, emulator, remote_cli, creates
):
    url = emulator.cloudinary_url("demo")
    outcomes = converge(
        lambda: library_apply(changeset.root, url),
        LATENCY,
        seed,
        changeset,
        emulator,
        remote_cli,
        creates,
        settle=SLOW_MS / 1000 + 0.2,
    )
    assert emulator.stats()["faults_injected"] > 0, "the scenario injected nothing"
    failed = [o for o in outcomes if o.code]
    assert all("request time limit" in o.text or "gave up" in o.text for o in failed), failed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_apply_converges_under_a_mix_of_faults(seed, changeset, emulator, remote_cli, creates):
    url = emulator.cloudinary_url("demo")
    converge(
        lambda: library_apply(changeset.root, url),
        MIX,
        seed,
        changeset,
        emulator,
        remote_cli,
        creates,
        settle=SLOW_MS / 1000 + 0.2,
    )


def test_the_change_set_is_realistic(changeset, emulator, remote_cli, creates):
    """Without faults: one apply does the whole change set (and the checks can fail)."""
    plan = pending_writes(remote_cli)
    assert plan == changeset.expected_writes
    assert len(plan) == 21
    assert len(changeset.desired) == 22
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0
    assert_converged(changeset, emulator, creates)
    # the convergence check notices a preset touched outside the plan
    emulator.seed_presets("demo", [{"name": "legacy_e", "folder": "x"}])
    with pytest.raises(AssertionError, match="legacy_e"):
        assert_converged(changeset, emulator, creates)
