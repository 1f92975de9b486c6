"""The manual review queue and reviewers' decisions, in the library and the CLI.

Assets are uploaded to the emulator, left waiting for manual review once the automatic
moderator approved them, listed (paged with ``next_cursor``), approved and rejected; each
test checks what was printed and what the emulator then holds, and counts the calls.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from upload_helpers import admin_calls, png, resource_details, statuses_of

from cloudinary_presets import DecisionReport, QueueItem, RateLimited, Uploader
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.operations.moderation_queue import decide_all, infer_preset


@pytest.fixture
def waiting(applied: Emulator, uploader: Uploader) -> list[str]:
    """Three assets waiting for a person (ugc-moderated), one that is not (avatar), in
    upload order. The automatic decisions come with the upload responses (the synchronous
    reading): the queue does not depend on when they land, and no test waits for them."""
    applied.configure(moderation_timing="sync")
    results = [uploader.upload(png(n), preset="ugc-moderated") for n in ("one", "two", "three")]
    avatar = uploader.upload(png("avatar"), preset="avatar")
    assert avatar.moderation_state.status == "approved"
    assert all(r.moderation_state.waiting_for == "manual" for r in results)
    return [r.public_id for r in results]


def test_the_queue_lists_what_waits_for_a_person_oldest_first(
    applied: Emulator, uploader: Uploader, waiting: list[str]
) -> None:
    before = admin_calls(applied)
    items = list(uploader.moderation_queue())
    assert admin_calls(applied) - before == 1
    assert all(isinstance(i, QueueItem) for i in items)
    assert [i.public_id for i in items] == waiting
    assets = {a["public_id"]: a for a in applied.assets("demo")}
    for item in items:
        assert item.preset == "ugc-moderated"
        assert item.url == assets[item.public_id]["secure_url"]
        assert item.uploaded_at is not None
        assert (
            item.uploaded_at.isoformat().replace("+00:00", "Z")
            == assets[item.public_id]["created_at"]
        )
    assert list(uploader.moderation_queue(status="approved")) == []
    assert [i.public_id for i in uploader.moderation_queue(kind="aws_rek", status="approved")] == [
        *waiting,
        next(a for a in assets if a not in waiting),
    ]


def test_the_queue_follows_next_cursor_a_page_per_call(
    applied: Emulator, uploader: Uploader, waiting: list[str]
) -> None:
    from cloudinary_presets.operations.moderation_queue import iter_queue

    before = admin_calls(applied)
    items = iter_queue(
        uploader._resources,
        kind="manual",
        status="pending",
        resource_type="image",
        presets=uploader.definitions(),
        page_size=2,
    )
    first = next(items)
    assert admin_calls(applied) - before == 1  # lazily: one page so far
    assert [first.public_id, *(i.public_id for i in items)] == waiting
    assert admin_calls(applied) - before == 2


def test_approve_and_reject_change_the_asset_and_leave_the_queue(
    applied: Emulator, uploader: Uploader, waiting: list[str]
) -> None:
    seen: list[str] = []
    approved = uploader.approve(waiting[:2], on_result=lambda o: seen.append(o.public_id))
    rejected = uploader.reject(waiting[2:])

    assert isinstance(approved, DecisionReport)
    assert approved.ok
    assert rejected.ok
    assert sorted(seen) == sorted(waiting[:2])
    assert [o.state.status for o in approved.outcomes if o.state] == ["approved", "approved"]
    assert approved.summary() == "2/2 approved; 0 failed"
    assert rejected.outcomes[0].state is not None
    assert rejected.outcomes[0].state.describe() == "rejected (manual)"
    for public_id, verdict in zip(waiting, ["approved", "approved", "rejected"], strict=True):
        details = resource_details(applied, public_id)
        assert details["moderation_status"] == verdict
        assert statuses_of(details) == [("aws_rek", "approved"), ("manual", verdict)]
    assert list(uploader.moderation_queue()) == []


def test_a_failed_decision_is_an_outcome_not_the_end(
    applied: Emulator, uploader: Uploader, waiting: list[str]
) -> None:
    report = uploader.approve(["ugc/nope", waiting[0], waiting[0]])
    assert [o.public_id for o in report.outcomes] == ["ugc/nope", waiting[0]]  # once each
    assert not report.ok
    [failed] = report.failed
    assert "Resource not found - ugc/nope" in str(failed.error)
    assert resource_details(applied, waiting[0])["moderation_status"] == "approved"
    assert report.to_list()[0]["ok"] is False


def test_once_the_quota_is_spent_the_rest_are_not_attempted(
    applied: Emulator, uploader: Uploader, waiting: list[str]
) -> None:
    applied.set_quota("demo", remaining=1)
    report = uploader.approve(waiting, parallelism=1)
    assert [o.ok for o in report.outcomes] == [True, False, False]
    assert isinstance(report.outcomes[1].error, RateLimited)
    assert not report.outcomes[2].attempted
    assert report.to_list()[2]["error"] == "not attempted: the Admin API quota ran out"
    applied.set_quota("demo", remaining=100)
    statuses = [resource_details(applied, p)["moderation_status"] for p in waiting]
    assert statuses == ["approved", "pending", "pending"]


class _Concurrency:
    """A stand-in resources API that records how many decisions run at once."""

    def __init__(self, remaining: int | None) -> None:
        self.transport = type("T", (), {"quota": type("Q", (), {"remaining": remaining})()})()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def set_moderation_status(self, public_id: str, status: str, **kw: Any) -> dict[str, Any]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        return {"public_id": public_id, "moderation_status": status}


@pytest.mark.parametrize(("remaining", "most"), [(None, 4), (500, 4), (99, 2), (24, 1)])
def test_decisions_slow_down_as_the_quota_runs_low_like_apply(
    remaining: int | None, most: int
) -> None:
    api = _Concurrency(remaining)
    report = decide_all(api, [f"a{i}" for i in range(8)], "approved", parallelism=4)  # type: ignore[arg-type]
    assert report.ok
    assert api.most == most


def test_the_preset_is_inferred_only_when_one_definition_fits(uploader: Uploader) -> None:
    presets = uploader.definitions()
    assert infer_preset({"public_id": "ugc/x"}, "manual", presets) == "ugc-moderated"
    assert (
        infer_preset({"public_id": "x", "asset_folder": "avatars"}, "aws_rek", presets) == "avatar"
    )
    assert infer_preset({"public_id": "elsewhere/x"}, "manual", presets) is None
    assert (
        infer_preset({"public_id": "x", "upload_preset": "avatar"}, "manual", presets) == "avatar"
    )


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def queue_cli(remote_cli: Any, waiting: list[str]) -> Any:
    return remote_cli


def test_cli_queue_prints_one_line_per_asset(
    applied: Emulator, queue_cli: Any, waiting: list[str]
) -> None:
    result = queue_cli("moderation", "queue")
    assert result.exit_code == 0, result.output
    assets = {a["public_id"]: a for a in applied.assets("demo")}
    printed = result.stdout.splitlines()[1:]  # after the target line
    expected = []
    for public_id in waiting:
        created = assets[public_id]["created_at"].replace("T", " ").removesuffix("Z")
        expected.append(f"{public_id}  {created}  ugc-moderated  {assets[public_id]['secure_url']}")
    assert printed == expected
    assert "3 asset(s) in the manual queue (pending, image)" in result.stderr

    as_json = queue_cli("moderation", "queue", "--format", "json")
    assert as_json.exit_code == 0
    assert [i["public_id"] for i in json.loads(as_json.stdout)] == waiting
    assert json.loads(as_json.stdout)[0]["preset"] == "ugc-moderated"

    empty = queue_cli("moderation", "queue", "--status", "rejected", "--resource-type", "video")
    assert empty.exit_code == 0
    assert "the manual queue (rejected, video) is empty" in empty.stderr


def test_cli_approve_and_reject_print_each_outcome(
    applied: Emulator, queue_cli: Any, waiting: list[str]
) -> None:
    approved = queue_cli("moderation", "approve", waiting[0], waiting[1])
    assert approved.exit_code == 0, approved.output
    steps = "moderation: aws_rek approved, manual approved"
    for public_id in waiting[:2]:
        assert f"approved {public_id}  {steps}  verdict: approved" in approved.stdout
    assert "2/2 approved; 0 failed" in approved.stderr

    rejected = queue_cli("moderation", "reject", waiting[2], "ugc/missing", "--format", "json")
    assert rejected.exit_code == 1
    outcomes = json.loads(rejected.stdout)
    assert [(o["public_id"], o["ok"]) for o in outcomes] == [
        (waiting[2], True),
        ("ugc/missing", False),
    ]
    assert outcomes[0]["moderation"]["status"] == "rejected"
    assert "ugc/missing: FAILED: " in rejected.stderr
    assert "1/2 rejected; 1 failed" in rejected.stderr
    statuses = [resource_details(applied, p)["moderation_status"] for p in waiting]
    assert statuses == ["approved", "approved", "rejected"]
