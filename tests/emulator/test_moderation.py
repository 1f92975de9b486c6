"""Moderation decisions: Rekognition thresholds through moderation_rules.decide, the
chain statuses, add-ons, and the three ways to register labels.

These tests are about *what* is decided, so they run the emulator with
``moderation_timing="sync"`` (the decisions are in the upload response, as older
Cloudinary docs show); *when* decisions land (the default, asynchronous) is tested in
``test_moderation_async.py``."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import cloudinary.api as api
import cloudinary.uploader as uploader
import pytest
from cloudinary.exceptions import BadRequest

from cloudinary_presets.emulator import Emulator
from cloudinary_presets.emulator.moderation import parse_moderation

SUGGESTIVE_62 = [
    {"name": "Suggestive", "parent_name": "", "confidence": 62.0},
    {"name": "Female Swimwear Or Underwear", "parent_name": "Suggestive", "confidence": 62.0},
]


def _statuses(result: dict[str, object]) -> list[tuple[object, object]]:
    entries = result["moderation"]
    assert isinstance(entries, list)
    return [(e["kind"], e["status"]) for e in entries]


def _labels_response(labels: list[dict[str, object]]) -> dict[str, object]:
    """An aws_rek entry's ``response`` as the recorded 2026 responses show it."""
    return {"moderation_labels": labels, "moderation_model_version": "7.0", "content_types": []}


@pytest.fixture
def sdk(sdk: Emulator) -> Emulator:
    """The SDK against an emulator whose upload responses carry the decisions."""
    sdk.configure(moderation_timing="sync")
    return sdk


def test_same_labels_two_thresholds(sdk: Emulator, files) -> None:
    content = files.png(note="beach")
    sdk.register_labels(content, labels=SUGGESTIVE_62)
    api.create_upload_preset(name="lenient", moderation="aws_rek:suggestive:0.7")
    api.create_upload_preset(name="strict", moderation="aws_rek:suggestive:0.6")

    lenient = uploader.upload(content, upload_preset="lenient")
    assert lenient["moderation_status"] == "approved"
    assert _statuses(lenient) == [("aws_rek", "approved")]
    assert lenient["moderation"][0]["response"] == _labels_response(SUGGESTIVE_62)
    assert lenient["placeholder"] is False

    strict = uploader.upload(content, upload_preset="strict")
    assert strict["moderation_status"] == "rejected"
    assert _statuses(strict) == [("aws_rek", "rejected")]
    assert strict["placeholder"] is True  # a rejected image comes back as a placeholder


def test_ignore_child_entry_and_default_threshold(sdk: Emulator, files) -> None:
    content = files.png(note="x")
    sdk.register_labels(content, labels=[{"name": "Suggestive", "confidence": 99.0}])
    ignored = uploader.upload(content, moderation="aws_rek:suggestive:ignore")
    assert ignored["moderation_status"] == "approved"
    half = files.png(note="half")
    sdk.register_labels(half, labels=[{"name": "Drugs", "parent_name": "", "confidence": 50.0}])
    assert uploader.upload(half, moderation="aws_rek")["moderation_status"] == "rejected"
    assert uploader.upload(half, moderation="aws_rek:drugs:0.51")["moderation_status"] == "approved"


def test_a_child_label_uses_its_own_entry_before_its_parent(sdk: Emulator, files) -> None:
    content = files.png(note="child")
    sdk.register_labels(
        content,
        labels=[{"name": "Revealing Clothes", "parent_name": "Suggestive", "confidence": 40}],
    )
    by_parent = uploader.upload(content, moderation="aws_rek:suggestive:0.3")
    by_child = uploader.upload(content, moderation="aws_rek:suggestive:0.3:revealing_clothes:0.9")
    assert by_parent["moderation_status"] == "rejected"
    assert by_child["moderation_status"] == "approved"


def test_no_labels_means_approved(sdk: Emulator, files) -> None:
    result = uploader.upload(files.png(note="unknown"), moderation="aws_rek:explicit_nudity:0.1")
    assert result["moderation_status"] == "approved"
    assert result["moderation"][0]["response"] == _labels_response([])


@pytest.mark.parametrize(
    ("moderation", "statuses", "overall"),
    [
        (
            "aws_rek:suggestive:0.6|webpurify|manual",
            [("aws_rek", "rejected"), ("webpurify", "aborted"), ("manual", "aborted")],
            "rejected",
        ),
        (
            "aws_rek:suggestive:0.9|webpurify|manual",
            [("aws_rek", "approved"), ("webpurify", "approved"), ("manual", "pending")],
            "pending",
        ),
        ("manual|webpurify", [("manual", "pending"), ("webpurify", "queued")], "pending"),
        (
            "duplicate:0.9|perception_point",
            [("duplicate", "approved"), ("perception_point", "approved")],
            "approved",
        ),
    ],
)
def test_chains(
    sdk: Emulator, files, moderation: str, statuses: list[tuple[str, str]], overall: str
) -> None:
    content = files.png(note="chain")
    sdk.register_labels(content, labels=SUGGESTIVE_62)
    result = uploader.upload(content, moderation=moderation)
    assert _statuses(result) == statuses
    assert result["moderation_status"] == overall
    for entry in result["moderation"]:  # decided: {kind, status, response, updated_at}
        decided = entry["status"] in ("approved", "rejected") and entry["kind"] != "manual"
        expected = {"kind", "status", "response", "updated_at"} if decided else None
        if expected:
            assert set(entry) == expected
        elif entry["status"] in ("pending", "queued"):
            assert set(entry) == {"kind", "status"}  # a waiting entry is just kind and status
        else:
            assert set(entry) == {"kind", "status", "updated_at"}  # aborted


def test_request_level_moderation_needs_the_addon(sdk: Emulator, files) -> None:
    sdk.set_addons("demo", ["webpurify"])
    with pytest.raises(BadRequest, match="Moderation kind aws_rek not supported"):
        uploader.upload(files.png(), moderation="aws_rek")
    assert uploader.upload(files.png(), moderation="manual")["moderation_status"] == "pending"
    assert sdk.assets("demo")[0]["moderation_status"] == "pending"


def test_labels_in_rekognition_shape_are_stored_in_cloudinary_shape(sdk: Emulator, files) -> None:
    content = files.png(note="rek")
    sdk.register_labels(
        content, labels=[{"Name": "Smoking", "ParentName": "Tobacco", "Confidence": 81.5}]
    )
    result = uploader.upload(content, moderation="aws_rek:tobacco:0.8")
    assert result["moderation_status"] == "rejected"
    assert result["moderation"][0]["response"]["moderation_labels"] == [
        {"name": "Smoking", "parent_name": "Tobacco", "confidence": 81.5}
    ]


def test_labels_registered_over_the_control_api(sdk: Emulator, client, files) -> None:
    content = files.png(note="ctl")
    body = {"content_base64": base64.b64encode(content).decode(), "labels": SUGGESTIVE_62}
    response = client.control("POST", "/labels", json=body)
    assert response.json() == {"sha256": hashlib.sha256(content).hexdigest()}
    assert (
        uploader.upload(content, moderation="aws_rek:suggestive:0.5")["moderation_status"]
        == "rejected"
    )
    bad = client.control("POST", "/labels", json={"sha256": "abc", "labels": []})
    assert bad.status_code == 400


def test_labels_file(tmp_path: Path, files, make_client) -> None:
    beach, street = files.png(note="beach"), files.png(note="street")
    lines = [
        "# sha256 or content_base64, one entry per line",
        json.dumps({"sha256": hashlib.sha256(beach).hexdigest(), "labels": SUGGESTIVE_62}),
        "",
        json.dumps(
            {
                "content_base64": base64.b64encode(street).decode(),
                "labels": [{"name": "Weapons", "parent_name": "Violence", "confidence": 90}],
            }
        ),
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with Emulator(labels_file=path, moderation_timing="sync") as emu:
        client = make_client(emu)
        params = {"moderation": "aws_rek:suggestive:0.5"}
        assert client.upload(params, beach).json()["moderation_status"] == "rejected"
        assert client.upload(params, street).json()["moderation_status"] == "rejected"
        emu.reset()  # labels from the file come back after a reset
        assert client.upload(params, beach).json()["moderation_status"] == "rejected"


def test_a_bad_labels_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"sha256": "' + "0" * 64 + '", "labels": [{"name": "X"}]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.jsonl:1: label 'X': 'confidence'"):
        Emulator(labels_file=path)


def test_register_labels_validation(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="exactly one of content or sha256"):
        emu.register_labels(b"x", sha256="0" * 64, labels=[])
    with pytest.raises(ValueError, match="64 hex digits"):
        emu.register_labels(sha256="xyz", labels=[])
    with pytest.raises(ValueError, match=r"outside 0\.\.100"):
        emu.register_labels(b"x", labels=[{"name": "Drugs", "confidence": 101}])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("aws_rek:explicit_nudity", "pairs"),
        ("aws_rek:explicit_nudity:1.5", "from 0 to 1"),
        ("aws_rek::0.5", "empty category"),
        ("manual:now", "takes no arguments"),
        ("duplicate:2", "from 0 to 1"),
        ("aws_rek||manual", "Invalid moderation kind ''"),
        ("metascan:now", "takes no arguments"),
        ("virustotal", "Invalid moderation kind 'virustotal'"),
    ],
)
def test_parse_moderation_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_moderation(text)


def test_the_legacy_metascan_kind_is_accepted_as_cloudinary_still_lists_it() -> None:
    assert [m.kind for m in parse_moderation("metascan|manual")] == ["metascan", "manual"]


def test_parse_moderation_chain() -> None:
    chain = parse_moderation("aws_rek:explicit_nudity:0.7:suggestive:ignore|duplicate:0|manual")
    assert [m.kind for m in chain] == ["aws_rek", "duplicate", "manual"]
    assert chain[0].thresholds == {"explicit_nudity": 0.7, "suggestive": None}
    assert chain[1].argument == "0"
