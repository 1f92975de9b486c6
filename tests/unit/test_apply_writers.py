"""The writer threads of an apply: as many as asked (never more), daemon threads (after a
second Ctrl-C the process must exit without waiting for a write in flight), named
``apply-N`` (what a thread dump or a debug log shows), and a change without its desired
preset is refused before anything is sent.

The remote here is a stand-in that records which thread made each write: the threads
are what is tested, not the HTTP (the e2e suite covers that against the emulator).
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from cloudinary_presets.errors import PlanError
from cloudinary_presets.operations.apply import (
    ApplyReport,
    Event,
    _notice,
    _record,
    _run_phase,
    _write,
)
from cloudinary_presets.operations.interruption import Interruption
from cloudinary_presets.planning.plan import Action, Change


class RecordingRemote:
    """Deletes that take a little while, each noting the thread that made it."""

    def __init__(self) -> None:
        self.transport = SimpleNamespace(quota=SimpleNamespace(remaining=None))
        self.threads: list[tuple[str, bool]] = []
        self._lock = threading.Lock()

    def delete(self, name: str) -> None:
        thread = threading.current_thread()
        with self._lock:
            self.threads.append((thread.name, thread.daemon))
        time.sleep(0.05)  # long enough for every idle writer to take the next change


def run(changes: int, parallelism: int) -> tuple[RecordingRemote, ApplyReport]:
    remote, report = RecordingRemote(), ApplyReport()
    deletes = [
        Change(action=Action.DELETE, name=f"p{i}", remote_name=f"p{i}") for i in range(changes)
    ]
    _run_phase(
        deletes,
        remote,  # type: ignore[arg-type]
        report,
        parallelism=parallelism,
        continue_on_error=False,
        on_event=lambda event: None,
        interruption=Interruption(),
    )
    return remote, report


def test_writers_are_daemon_threads_named_apply_n() -> None:
    remote, report = run(changes=3, parallelism=3)
    assert sorted(c.name for c in report.done) == ["p0", "p1", "p2"]
    assert sorted(remote.threads) == [("apply-0", True), ("apply-1", True), ("apply-2", True)]


def test_parallelism_one_writes_from_one_thread() -> None:
    remote, report = run(changes=4, parallelism=1)
    assert len(report.done) == 4
    assert {name for name, _ in remote.threads} == {"apply-0"}


def test_never_more_writers_than_changes() -> None:
    remote, _ = run(changes=2, parallelism=8)
    assert sorted(name for name, _ in remote.threads) == ["apply-0", "apply-1"]


def test_a_change_without_its_desired_preset_is_refused_before_any_call() -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            def call(*args: Any) -> None:
                raise AssertionError(f"{name} was called")

            return call

    change = Change(action=Action.CREATE, name="avatar", remote_name="stg_avatar")
    with pytest.raises(PlanError) as info:
        _write(NoCalls(), change)  # type: ignore[arg-type]
    assert str(info.value) == "stg_avatar: the change carries no desired preset"


# --------------------------------------------------------------------------- Ctrl-C


def notice_after(presses: int, noticed: str, in_flight: int) -> tuple[str, list[Event]]:
    """What the write loop says and remembers after ``presses`` Ctrl-C (1: stop starting
    writes; 2: stop waiting for them), having already said ``noticed``."""
    interruption = Interruption()
    if presses >= 1:
        interruption.stopping.set()
    if presses >= 2:
        interruption.abandoned.set()
    events: list[Event] = []
    flying = [
        Change(action=Action.DELETE, name=f"p{i}", remote_name=f"p{i}") for i in range(in_flight)
    ]
    return _notice(interruption, noticed, flying, events.append), events


def test_ctrl_c_is_announced_once_per_press_with_the_writes_in_flight() -> None:
    assert notice_after(0, "", 3) == ("", [])
    assert notice_after(1, "", 3) == (
        "stopping",
        [Event("stopping", message="3 write(s) in flight")],
    )
    assert notice_after(1, "stopping", 2) == ("stopping", [])
    assert notice_after(2, "stopping", 2) == (
        "abandoned",
        [Event("abandoned", message="2 write(s) still in flight")],
    )
    assert notice_after(2, "", 1) == (
        "abandoned",
        [Event("abandoned", message="1 write(s) still in flight")],
    )
    assert notice_after(2, "abandoned", 1) == ("abandoned", [])


def test_a_failed_write_is_recorded_with_a_message_people_can_read() -> None:
    report, events = ApplyReport(), []
    change = Change(action=Action.DELETE, name="p", remote_name="stg_p")
    _record(report, change, False, PlanError("stg_p: refused"), events.append)
    _record(report, change, False, ValueError("odd"), events.append)
    assert report.failed == [(change, "stg_p: refused"), (change, "ValueError('odd')")]
    assert [(e.kind, e.message) for e in events] == [
        ("failed", "stg_p: refused"),
        ("failed", "ValueError('odd')"),
    ]
    assert report.done == []
    assert report.reconciled == []
