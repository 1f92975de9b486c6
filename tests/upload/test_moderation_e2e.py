"""Moderation through real uploads: registered labels, thresholds from the definitions,
and the emulator's decisions for every sample against the hand-worked expectations.

The emulator and the simulator share one decision rule on purpose, so comparing one
with the other would compare the rule with itself: each is checked against decisions
worked out by hand from the sample file instead (``upload_helpers.REJECTED_AT_07``).

Moderation is asynchronous (the emulator's default, as Cloudinary's current docs
describe it): each upload answers ``pending``/``queued``, and the decisions are read from
the Admin API's resource details once they landed (``decided``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from upload_helpers import (
    FLIPS_AT_05,
    LABELS,
    REJECTED_AT_07,
    decided,
    png,
    set_explicit_nudity,
    statuses_of,
)

from cloudinary_presets.emulator import Emulator
from cloudinary_presets.operations.simulate import read_samples

NUDITY_62 = [
    {"Name": "Nudity", "ParentName": "Explicit Nudity", "Confidence": 62.0},
    {"Name": "Explicit Nudity", "ParentName": "", "Confidence": 62.0},
]


def statuses(result: Any) -> list[tuple[str, str]]:
    return [(m["kind"], m["status"]) for m in result.moderation]


def test_approved_under_one_threshold_rejected_under_a_stricter_one(
    applied: Emulator, uploader, remote_cli, project_dir, make_uploader, cloudinary_url
) -> None:
    content = png("beach")
    applied.register_labels(content, labels=NUDITY_62)
    first = uploader.upload(content, preset="ugc-moderated", public_id="beach-1")
    assert statuses(first) == [("aws_rek", "pending"), ("manual", "queued")]
    assert first.moderation_status == "pending"
    details = decided(applied, "ugc/beach-1")
    assert statuses_of(details) == [("aws_rek", "approved"), ("manual", "pending")]
    assert details["moderation_status"] == "pending"
    assert details["placeholder"] is False
    # the labels Cloudinary reports come back in the decision, in Cloudinary's shape
    assert details["moderation"][0]["response"] == {"moderation_labels": [
        {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 62.0},
        {"name": "Explicit Nudity", "parent_name": "", "confidence": 62.0},
    ], "moderation_model_version": "7.0", "content_types": []}  # fmt: skip

    set_explicit_nudity(project_dir, "0.6")
    assert remote_cli("apply", "--yes").exit_code == 0
    uploader = make_uploader(cloudinary_url)  # reads the changed definitions
    second = uploader.upload(content, preset="ugc-moderated", public_id="beach-2", verify=True)
    assert statuses(second) == [("aws_rek", "pending"), ("manual", "queued")]
    details = decided(applied, "ugc/beach-2")
    assert statuses_of(details) == [("aws_rek", "rejected"), ("manual", "aborted")]
    assert details["moderation_status"] == "rejected"
    assert details["placeholder"] is True  # a rejected image is replaced by a placeholder

    stored = {a["public_id"]: a["moderation_status"] for a in applied.assets("demo")}
    assert stored == {"ugc/beach-1": "pending", "ugc/beach-2": "rejected"}


@pytest.mark.parametrize(("confidence", "status"), [(49.99, "approved"), (50.0, "rejected")])
def test_the_default_threshold_applies_at_or_above(
    applied: Emulator, uploader, confidence, status
) -> None:
    content = png(f"alcohol-{confidence}")
    applied.register_labels(
        content, labels=[{"name": "Drinking", "parent_name": "Alcohol", "confidence": confidence}]
    )
    result = uploader.upload(content, preset="avatar")  # aws_rek with no thresholds: 0.5 for all
    assert statuses(result) == [("aws_rek", "pending")]
    assert statuses_of(decided(applied, result.public_id)) == [("aws_rek", status)]
    [asset] = applied.assets("demo")
    assert asset["moderation_status"] == status


def test_ignored_categories_are_not_moderated(applied: Emulator, uploader) -> None:
    content = png("swimwear")
    applied.register_labels(content, labels=[
        {"name": "Female Swimwear Or Underwear", "parent_name": "Suggestive", "confidence": 99.0},
        {"name": "Suggestive", "parent_name": "", "confidence": 99.0},
    ])  # fmt: skip
    lenient = uploader.upload(content, preset="ugc-moderated").public_id
    strict = uploader.upload(content, preset="avatar").public_id
    assert statuses_of(decided(applied, lenient))[0] == ("aws_rek", "approved")
    assert statuses_of(decided(applied, strict)) == [("aws_rek", "rejected")]


def _raw_labels(line: dict[str, Any]) -> list[dict[str, Any]]:
    """The labels of one sample line, read independently of the simulator."""
    if "moderation_labels" in line:
        return list(line["moderation_labels"])
    if "ModerationLabels" in line:
        return list(line["ModerationLabels"])
    [rekognition] = [m for m in line["moderation"] if m["kind"] == "aws_rek"]
    return list(rekognition["response"]["moderation_labels"])


def test_the_emulator_decides_every_sample_as_worked_out_by_hand(
    applied: Emulator, uploader, remote_cli, project_dir, make_uploader, cloudinary_url
) -> None:
    lines = [json.loads(text) for text in LABELS.read_text().splitlines()]
    samples = read_samples(LABELS)
    contents = []
    for index, line in enumerate(lines):
        content = png(f"sample-{index}")
        applied.register_labels(content, labels=_raw_labels(line))
        contents.append(content)

    def upload_all(uploader: Any, round_: str) -> list[bool]:
        results = [
            uploader.upload(content, preset="ugc-moderated", public_id=f"{round_}/{index}")
            for index, content in enumerate(contents)
        ]
        assert {r.moderation_status for r in results} == {"pending"}  # decided later
        return [
            dict(statuses_of(decided(applied, r.public_id)))["aws_rek"] == "rejected"
            for r in results
        ]

    before = upload_all(uploader, "at-0.7")
    set_explicit_nudity(project_dir, "0.5")
    assert remote_cli("apply", "--yes").exit_code == 0
    after = upload_all(make_uploader(cloudinary_url), "at-0.5")

    names = [sample.name for sample in samples]
    assert {name for name, rejected in zip(names, before, strict=True) if rejected} == (
        REJECTED_AT_07
    )
    assert {name for name, rejected in zip(names, after, strict=True) if rejected} == (
        REJECTED_AT_07 | set(FLIPS_AT_05)
    )
    flipped = [name for name, b, a in zip(names, before, after, strict=True) if a and not b]
    assert flipped == FLIPS_AT_05  # in the file's order
    assert len(applied.assets("demo")) == 2 * len(samples)
