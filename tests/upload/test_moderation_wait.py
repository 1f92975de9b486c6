"""Waiting for verdicts against the emulator, under both readings of Cloudinary's timing.

``moderation_timing=async`` (current docs, the emulator's default): the upload answers
``pending``/``queued`` and the decisions land later, so waiting polls the resource
details. ``sync`` (older docs): the upload response already has them, so waiting from an
upload result costs no call at all. Every test counts the Admin API calls spent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from upload_helpers import admin_calls, png, resource_details, set_explicit_nudity, statuses_of

from cloudinary_presets import ModerationState, ModerationTimeout, NotFound, Uploader
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.model.moderation_rule import Label

NUDITY_62 = [
    {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 62.0},
    {"name": "Explicit Nudity", "parent_name": "", "confidence": 62.0},
]
TIMINGS = ["async", "sync"]


@pytest.fixture(params=TIMINGS)
def timing(request: pytest.FixtureRequest, applied: Emulator) -> str:
    applied.configure(moderation_timing=request.param)
    return str(request.param)


@pytest.fixture
def strict(applied: Emulator, remote_cli: Any, project_dir: Path) -> Emulator:
    """ugc-moderated with explicit_nudity at 0.5: NUDITY_62 is rejected."""
    set_explicit_nudity(project_dir, "0.5")
    assert remote_cli("apply", "--yes").exit_code == 0
    return applied


def labelled(emulator: Emulator, note: str) -> bytes:
    content = png(note)
    emulator.register_labels(content, labels=NUDITY_62)
    return content


def test_a_rejection_is_waited_for_in_one_call(
    strict: Emulator, uploader: Uploader, timing: str
) -> None:
    result = uploader.upload(labelled(strict, "beach"), preset="ugc-moderated")
    before = admin_calls(strict)

    verdict = uploader.wait_for_moderation(result)

    assert isinstance(verdict, ModerationState)
    assert verdict.status == "rejected"
    assert verdict.settled
    assert [(s.kind, s.status) for s in verdict.steps] == [
        ("aws_rek", "rejected"),
        ("manual", "aborted"),
    ]
    assert verdict.labels == (
        Label("nudity", "explicit_nudity", 0.62, version="v7"),
        Label("explicit_nudity", "explicit", 0.62, version="v7"),  # v7: under Explicit
    )
    assert verdict.describe() == "rejected (aws_rek)"
    # async: the response was the first reading, one poll after 0.5 s; sync: none
    assert admin_calls(strict) - before == (1 if timing == "async" else 0)
    details = resource_details(strict, result.public_id)
    assert statuses_of(details) == [("aws_rek", "rejected"), ("manual", "aborted")]
    assert details["moderation_status"] == "rejected"


def test_an_approval_leaves_the_asset_waiting_for_a_person(
    applied: Emulator, uploader: Uploader, timing: str
) -> None:
    result = uploader.upload(labelled(applied, "beach"), preset="ugc-moderated")
    verdict = uploader.wait_for_moderation(result)
    assert verdict.status == "pending"
    assert verdict.waiting_for == "manual"
    assert verdict.describe() == "pending (manual review)"
    assert [(s.kind, s.status) for s in verdict.steps] == [
        ("aws_rek", "approved"),
        ("manual", "pending"),
    ]


def test_waiting_by_public_id_reads_first(
    applied: Emulator, uploader: Uploader, timing: str
) -> None:
    applied.configure(moderation_delay=0.25)
    result = uploader.upload(labelled(applied, "id"), preset="ugc-moderated")
    before = admin_calls(applied)

    verdict = uploader.wait_for_moderation(result.public_id)

    assert verdict.status == "pending"
    assert verdict.waiting_for == "manual"
    # async: read at once (pending), then after 0.5 s (decided at 0.25 s)
    assert admin_calls(applied) - before == (2 if timing == "async" else 1)


def test_moderation_is_one_call_and_an_unknown_asset_is_not_found(
    applied: Emulator, uploader: Uploader
) -> None:
    applied.configure(moderation_delay=3600)
    result = uploader.upload(labelled(applied, "one"), preset="ugc-moderated")
    before = admin_calls(applied)
    now = uploader.moderation(result.public_id)
    assert admin_calls(applied) - before == 1
    assert (now.status, now.settled, now.waiting_for) == ("pending", False, "aws_rek")
    with pytest.raises(NotFound, match="ugc/nope"):
        uploader.moderation("ugc/nope")


def test_a_timeout_names_the_moderator_and_the_calls_spent(
    applied: Emulator, uploader: Uploader
) -> None:
    applied.configure(moderation_delay=3600)
    result = uploader.upload(labelled(applied, "slow"), preset="ugc-moderated")
    before = admin_calls(applied)
    with pytest.raises(ModerationTimeout) as caught:
        uploader.wait_for_moderation(result, timeout=0.7)
    assert caught.value.waiting_for == "aws_rek"
    assert caught.value.calls == admin_calls(applied) - before == 2  # at 0.5 s and 0.7 s
    assert f"{result.public_id}: aws_rek had not decided after 0.7 s" in str(caught.value)


def test_an_unmoderated_upload_has_no_verdict_to_wait_for(
    applied: Emulator, uploader: Uploader
) -> None:
    result = uploader.upload(png("plain"), preset="product-images")
    before = admin_calls(applied)
    verdict = uploader.wait_for_moderation(result)
    assert (verdict.status, verdict.steps, verdict.describe()) == (None, (), "not moderated")
    assert admin_calls(applied) == before


# --------------------------------------------------------------------------- presets upload --wait


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " -> " in line]


def test_upload_wait_prints_each_verdict_and_exits_1_on_a_rejection(
    strict: Emulator, remote_cli: Any, project_dir: Path, timing: str
) -> None:
    beach = project_dir / "beach.png"
    beach.write_bytes(labelled(strict, "beach"))
    sunset = project_dir / "sunset.png"
    sunset.write_bytes(png("sunset"))
    before = admin_calls(strict)

    result = remote_cli("upload", str(beach), str(sunset), "--preset", "ugc-moderated", "--wait")

    assert result.exit_code == 1, result.output
    assets = {a["original_filename"]: a for a in strict.assets("demo")}
    shown = {line.split(" -> ")[0]: line for line in lines(result.stdout)}
    assert shown[str(beach)].endswith(
        "moderation: aws_rek rejected, manual aborted  verdict: rejected (aws_rek)"
    )
    assert shown[str(sunset)].endswith(
        "moderation: aws_rek approved, manual pending  verdict: pending (manual review)"
    )
    assert assets["beach"]["public_id"] in shown[str(beach)]
    assert assets["beach"]["moderation_status"] == "rejected"
    assert assets["sunset"]["moderation_status"] == "pending"
    assert "2/2 uploaded; 1 rejected by moderation; 0 failed" in result.stderr
    assert "waiting for moderation" not in result.stderr  # not a terminal: no progress line
    assert admin_calls(strict) - before == (2 if timing == "async" else 0)

    allowed = remote_cli(
        "upload", str(sunset), "--preset", "ugc-moderated", "--wait", "--allow-rejected"
    )
    assert allowed.exit_code == 0, allowed.output


def test_upload_wait_json_carries_the_verdict(
    applied: Emulator, remote_cli: Any, project_dir: Path
) -> None:
    path = project_dir / "x.png"
    path.write_bytes(png("json"))
    result = remote_cli("upload", str(path), "--preset", "ugc-moderated", "--wait", "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry["moderation_status"] == "pending"  # the upload response
    assert entry["verdict"]["status"] == "pending"
    assert entry["verdict"]["waiting_for"] == "manual"
    assert entry["verdict"]["steps"][0]["status"] == "approved"


def test_upload_wait_gives_up_with_the_file_undecided(
    applied: Emulator, remote_cli: Any, project_dir: Path
) -> None:
    applied.configure(moderation_delay=3600)
    path = project_dir / "x.png"
    path.write_bytes(png("late"))
    result = remote_cli(
        "upload", str(path), "--preset", "ugc-moderated", "--wait", "--wait-timeout", "0.3"
    )
    assert result.exit_code == 1
    [line] = lines(result.output)
    assert "verdict: undecided (" in line
    assert "aws_rek had not decided after 0.3 s" in line
    assert "1/1 uploaded; 0 rejected by moderation; 0 failed; 1 undecided" in result.stderr
    assert len(applied.assets("demo")) == 1


def test_the_waiting_line_is_drawn_on_a_terminal(
    applied: Emulator, remote_cli: Any, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudinary_presets.cli import uploads

    monkeypatch.setattr(uploads, "_stderr_is_tty", lambda: True)
    applied.configure(moderation_delay=0.4)
    path = project_dir / "slow.png"
    path.write_bytes(png("tty"))
    result = remote_cli("upload", str(path), "--preset", "ugc-moderated", "--wait")
    assert result.exit_code == 0, result.output
    # redrawn in place (click drops the erase-line escape when the stream is not a real TTY)
    drawn = re.findall(r"\r(?:\x1b\[K)?(waiting for moderation[^\r]*)", result.stderr)
    assert drawn
    assert set(drawn) == {"waiting for moderation (0 s): slow.png (aws_rek)"}
    assert result.stderr.endswith("\r1/1 uploaded; 0 rejected by moderation; 0 failed\n")
    assert result.stdout.count(" -> ") == 1  # the verdict line itself is not redrawn
