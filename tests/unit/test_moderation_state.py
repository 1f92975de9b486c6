"""ModerationState reads both shapes; the polling schedule is frugal and quota-aware.

The polling loop runs here with a fake clock, a fake sleep and scripted readings, so the
exact number of reads (Admin API calls) and the delays between them are asserted; the
emulator tests (tests/upload/test_moderation_wait.py) check the same over HTTP.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudinary_presets.errors import ModerationTimeout
from cloudinary_presets.model.moderation_rule import Label
from cloudinary_presets.model.moderation_state import ModerationState
from cloudinary_presets.operations.moderation_wait import PollSchedule, wait_until_settled

REKOGNITION_RESPONSE = {
    "moderation_labels": [
        {"confidence": 62.0, "name": "Nudity", "parent_name": "Explicit Nudity"},
        {"confidence": 62.0, "name": "Explicit Nudity", "parent_name": ""},
    ],
    "moderation_model_version": "7.0",
    "content_types": [],
}


def state(*steps: tuple[str, str], status: str | None = None, **extra: Any) -> ModerationState:
    resource: dict[str, Any] = {
        "public_id": "ugc/x",
        "moderation": [{"kind": k, "status": s} for k, s in steps],
        **extra,
    }
    if status:
        resource["moderation_status"] = status
    return ModerationState.from_resource(resource)


@pytest.mark.parametrize(
    ("steps", "status", "settled", "waiting_for", "described"),
    [
        ((("aws_rek", "pending"), ("manual", "queued")), "pending", False, "aws_rek", None),
        ((("aws_rek", "approved"), ("manual", "pending")), "pending", True, "manual", None),
        ((("aws_rek", "rejected"), ("manual", "aborted")), "rejected", True, None, None),
        ((("aws_rek", "approved"),), "approved", True, None, "approved"),
        ((("manual", "pending"), ("aws_rek", "queued")), "pending", True, "manual", None),
        ((("webpurify", "approved"), ("aws_rek", "queued")), "pending", False, "aws_rek", None),
        ((), None, True, None, "not moderated"),
    ],
)
def test_settled_means_no_automatic_moderator_is_left_to_decide(
    steps: tuple[tuple[str, str], ...],
    status: str | None,
    settled: bool,
    waiting_for: str | None,
    described: str | None,
) -> None:
    read = state(*steps)  # no moderation_status: derived from the steps
    assert read.status == status
    assert read.settled is settled
    assert read.waiting_for == waiting_for
    assert [(s.kind, s.status) for s in read.steps] == list(steps)
    if described:
        assert read.describe() == described


def test_the_reported_status_wins_a_reviewer_overrides_a_machine() -> None:
    read = state(("aws_rek", "rejected"), ("manual", "approved"), status="approved")
    assert read.status == "approved"
    assert read.rejected_by == "aws_rek"
    assert read.describe() == "approved"
    assert state(("aws_rek", "rejected"), ("manual", "aborted")).describe() == "rejected (aws_rek)"
    assert state(("aws_rek", "approved"), ("manual", "pending")).describe() == (
        "pending (manual review)"
    )


def test_pending_without_the_moderator_list_is_not_settled() -> None:
    assert not ModerationState.from_resource({"moderation_status": "pending"}).settled
    assert ModerationState.from_resource({"moderation_status": "approved"}).settled


def test_labels_are_typed_in_both_shapes_and_unreadable_ones_are_skipped() -> None:
    aws = {
        "ModerationLabels": [
            {"Name": "Swimwear or Underwear", "ParentName": "", "Confidence": 97.5},
            {"Name": "", "Confidence": 3},  # unreadable: skipped, not fatal
        ]
    }
    read = ModerationState.from_resource(
        {
            "public_id": "a",
            "moderation": [
                {"kind": "aws_rek", "status": "rejected", "response": REKOGNITION_RESPONSE},
                {"kind": "aws_rek_video", "status": "approved", "response": aws},
                {"kind": "manual", "status": "aborted", "response": None},
            ],
        }
    )
    assert read.labels == (
        Label("nudity", "explicit_nudity", 0.62, version="v7"),
        Label("explicit_nudity", "explicit", 0.62, version="v7"),  # v7: under Explicit
        Label("swimwear_or_underwear", "", 0.975),
    )
    assert read.steps[0].labels == read.labels[:2]
    assert read.to_dict()["labels"][0] == {
        "name": "nudity",
        "parent": "explicit_nudity",
        "confidence": 0.62,
    }


class Script:
    """Readings in order, a fake clock and sleep; counts reads (Admin API calls)."""

    def __init__(self, *readings: ModerationState, quota: int | None = None) -> None:
        self.readings = list(readings)
        self.now = 0.0
        self.reads = 0
        self.sleeps: list[float] = []
        self.quota = quota

    def read(self) -> ModerationState:
        self.reads += 1
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def wait(self, **kw: Any) -> ModerationState:
        return wait_until_settled(
            self.read,
            public_id="ugc/x",
            sleep=self.sleep,
            clock=lambda: self.now,
            quota_remaining=lambda: self.quota,
            **kw,
        )


PENDING = state(("aws_rek", "pending"), ("manual", "queued"))
DECIDED = state(("aws_rek", "approved"), ("manual", "pending"))


def test_a_decision_that_is_already_there_costs_one_call() -> None:
    script = Script(DECIDED)
    assert script.wait() is DECIDED
    assert (script.reads, script.sleeps) == (1, [])


def test_polls_back_off_until_the_decision_lands() -> None:
    script = Script(PENDING, PENDING, PENDING, DECIDED)
    assert script.wait() is DECIDED
    assert script.reads == 4
    assert script.sleeps == [0.5, 0.75, 1.125]


def test_the_upload_response_is_the_first_reading() -> None:
    script = Script(DECIDED)
    assert script.wait(initial=PENDING) is DECIDED
    assert (script.reads, script.sleeps) == (1, [0.5])  # waits first, then asks once
    settled = Script(PENDING)
    assert settled.wait(initial=DECIDED) is DECIDED  # sync reading: no call at all
    assert settled.reads == 0


def test_the_delay_is_capped_and_at_the_cap_when_the_quota_runs_low() -> None:
    schedule = PollSchedule(first=1, factor=10, cap=5, low_quota=25)
    assert [d for d, _ in zip(schedule.delays(), range(4), strict=False)] == [1, 5, 5, 5]
    script = Script(PENDING, PENDING, DECIDED, quota=24)
    script.wait(schedule=schedule)
    assert script.sleeps == [5, 5]


def test_a_timeout_reads_once_more_at_the_deadline_then_says_what_was_deciding() -> None:
    script = Script(PENDING)
    polled: list[ModerationState] = []
    with pytest.raises(ModerationTimeout) as caught:
        script.wait(timeout=2.0, on_poll=polled.append)
    assert script.sleeps == [0.5, 0.75, 0.75]  # the last sleep ends at the deadline
    assert script.reads == 4
    assert len(polled) == 4
    error = caught.value
    assert (error.public_id, error.waiting_for, error.calls) == ("ugc/x", "aws_rek", 4)
    assert str(error).startswith(
        "ugc/x: aws_rek had not decided after 2.0 s (4 Admin API call(s) spent polling)"
    )
    assert "notification_url" in error.hint
