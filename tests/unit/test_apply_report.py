"""What an apply that did not fully succeed says: every preset by outcome, counted and
named (the message of ApplyFailed / ApplyInterrupted, read by people after a failure)."""

from __future__ import annotations

import pytest

from cloudinary_presets.model.changes import Mismatch
from cloudinary_presets.operations.apply import ApplyReport, _failure_message
from cloudinary_presets.planning.plan import Action, Change


def _changes(action: Action, *names: str) -> list[Change]:
    return [Change(action=action, name=n, remote_name=n) for n in names]


def test_an_interrupted_apply_names_every_preset_by_outcome() -> None:
    written = [f"w{i:02d}" for i in range(21)]
    report = ApplyReport(
        done=_changes(Action.CREATE, *written) + _changes(Action.DELETE, "d"),
        failed=[(_changes(Action.UPDATE, "f")[0], "HTTP 500")],
        not_attempted=_changes(Action.DELETE, "n1", "n2"),
        in_flight=_changes(Action.UPDATE, "i1", "i2"),
        mismatches={"w00": [Mismatch(path="settings.moderation", sent="manual", stored=None)]},
        verify_error="interrupted before the re-read finished",
        interrupted=True,
        seconds=1.25,
        calls=30,
    )
    assert not report.ok
    assert _failure_message(report).splitlines() == [
        "applied 22/27 change(s) in 1.2s (30 Admin API calls); 1 failed; "
        "2 in flight, outcome unknown; 2 not attempted",
        "  written: 21 create(s): " + ", ".join(written[:20]) + " and 1 more",
        "  written: 1 delete(s): d",
        "  failed: update f: HTTP 500",
        "  in flight, outcome unknown: 2 update(s): i1, i2",
        "  not attempted: 2 delete(s): n1, n2",
        "  could not verify what Cloudinary stored: interrupted before the re-read finished",
        "  w00: Cloudinary stored something other than what was sent:",
        "    settings.moderation: sent 'manual', stored None",
        "  (a setting that needs an add-on the environment has not enabled, such as "
        "moderation, is dropped silently by Cloudinary)",
    ]


def test_a_failed_apply_that_was_not_interrupted_does_not_list_the_written_ones() -> None:
    report = ApplyReport(
        done=_changes(Action.CREATE, "a"), failed=[(_changes(Action.CREATE, "b")[0], "boom")]
    )
    assert _failure_message(report).splitlines() == [
        "applied 1/2 change(s) in 0.0s (0 Admin API calls); 1 failed",
        "  failed: create b: boom",
    ]


@pytest.mark.parametrize(
    "outcome",
    [
        {"failed": [(Change(action=Action.CREATE, name="a", remote_name="a"), "x")]},
        {"not_attempted": _changes(Action.CREATE, "a")},
        {"in_flight": _changes(Action.CREATE, "a")},
        {"mismatches": {"a": []}},
        {"verify_error": "x"},
    ],
)
def test_an_apply_is_ok_only_when_everything_was_written_and_verified(outcome) -> None:
    assert ApplyReport(done=_changes(Action.CREATE, "b")).ok
    assert not ApplyReport(**outcome).ok
