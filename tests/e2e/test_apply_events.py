"""Applying through the library: each change is announced as it starts and as it ends
(done, or failed with the message the report keeps), and only a create is reconciled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import simple

from cloudinary_presets.definitions.project import Project
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.errors import ApplyFailed, ApplyInterrupted
from cloudinary_presets.operations.apply import ApplyReport, Event
from cloudinary_presets.operations.interruption import Interruption
from cloudinary_presets.operations.target import open_target
from cloudinary_presets.operations.workflow import apply_interactive


def _apply(
    project_dir: Path, cloudinary_url: str, events: list[Event], **options: Any
) -> ApplyReport | None:
    """Apply the presets `new` and `upd` (and nothing else), one write at a time."""
    for path in (project_dir / "presets").glob("*.yaml"):
        path.unlink()
    simple(project_dir, ["new", "upd"])
    target = open_target(root=project_dir, environ={"CLOUDINARY_URL": cloudinary_url},
                         home=project_dir)  # fmt: skip
    with target:
        project = Project.open(project_dir)
        _, report = apply_interactive(
            project, project.environment(None), target, {}, confirm=lambda plan: True,
            parallelism=1, **{"on_event": events.append, **options},
        )  # fmt: skip
    return report


def _seen(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.kind, e.change.remote_name) for e in events if e.change is not None]


def test_each_write_is_announced_as_it_starts_and_as_it_ends(
    project_dir: Path, emulator: Emulator, cloudinary_url: str
) -> None:
    emulator.seed_presets("demo", [{"name": "upd", "folder": "x"}, {"name": "old", "folder": "o"}])
    events: list[Event] = []
    report = _apply(project_dir, cloudinary_url, events, prune=True)
    assert _seen(events) == [
        ("start", "new"), ("done", "new"), ("start", "upd"), ("done", "upd"),
        ("start", "old"), ("done", "old"),
    ]  # fmt: skip
    assert report is not None
    assert [c.remote_name for c in report.done] == ["new", "upd", "old"]
    assert report.reconciled == []  # an update or a delete is never a reconciled create


def test_a_failed_write_is_announced_with_its_message(
    project_dir: Path, emulator: Emulator, cloudinary_url: str
) -> None:
    emulator.set_faults([{"kind": "status", "status": 400, "method": "POST",
                          "path": "/v1_1/*/upload_presets"}])  # fmt: skip
    events: list[Event] = []
    with pytest.raises(ApplyFailed) as caught:
        _apply(project_dir, cloudinary_url, events, continue_on_error=True)
    report = caught.value.report
    assert isinstance(report, ApplyReport)
    assert _seen(events) == [("start", "new"), ("failed", "new"), ("start", "upd"),
                             ("failed", "upd")]  # fmt: skip
    messages = [e.message for e in events if e.kind == "failed"]
    assert messages == [message for _, message in report.failed]
    assert all("400" in message for message in messages), messages


def test_one_ctrl_c_is_announced_once_while_the_write_in_flight_finishes(
    project_dir: Path, emulator: Emulator, cloudinary_url: str
) -> None:
    emulator.set_faults([{"kind": "latency", "method": "POST", "path": "/v1_1/*/upload_presets",
                          "latency_ms": 300}])  # fmt: skip
    interruption = Interruption()
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if event.kind == "start":
            interruption.press()  # during the writes: stop starting new ones

    with pytest.raises(ApplyInterrupted) as caught:
        _apply(project_dir, cloudinary_url, [], on_event=on_event, interruption=interruption)
    assert [e.kind for e in events].count("stopping") == 1
    assert _seen(events) == [("start", "new"), ("done", "new")]
    report = caught.value.report
    assert isinstance(report, ApplyReport)
    assert [c.remote_name for c in report.not_attempted] == ["upd"]
