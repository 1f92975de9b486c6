"""When moderation decisions land, the manual queue, reviewer decisions and notifications.

Cloudinary's current docs: the upload answers with the first moderator ``pending`` and
the rest ``queued``; automatic decisions land shortly after, visible in the Admin API's
resource details; reviewers list ``resources/<type>/moderations/<kind>/<status>`` and
decide with ``update(moderation_status=...)``; a ``notification_url`` gets signed
notifications. Everything here goes through the official SDK over HTTP.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api as api
import cloudinary.uploader as uploader
import cloudinary.utils
import pytest
from cloudinary.exceptions import BadRequest, NotFound

from cloudinary_presets.emulator import Emulator

SUGGESTIVE_62 = [
    {"name": "Suggestive", "parent_name": "", "confidence": 62.0},
    {"name": "Female Swimwear Or Underwear", "parent_name": "Suggestive", "confidence": 62.0},
]


def statuses(entries: Any) -> list[tuple[str, str]]:
    return [(e["kind"], e["status"]) for e in entries]


def test_the_upload_answers_pending_and_queued_then_decisions_land(
    sdk: Emulator, files, decided
) -> None:
    result = uploader.upload(files.png(note="a"), moderation="aws_rek|webpurify|manual")
    assert result["moderation"] == [  # a waiting entry is just kind and status
        {"kind": "aws_rek", "status": "pending"},
        {"kind": "webpurify", "status": "queued"},
        {"kind": "manual", "status": "queued"},
    ]
    assert (result["moderation_status"], result["placeholder"]) == ("pending", False)

    details = decided(result["public_id"])
    assert statuses(details["moderation"]) == [
        ("aws_rek", "approved"),
        ("webpurify", "approved"),
        ("manual", "pending"),
    ]
    rekognition = details["moderation"][0]
    assert set(rekognition) == {"kind", "status", "response", "updated_at"}
    assert rekognition["response"] == {
        "moderation_labels": [],
        "moderation_model_version": "7.0",
        "content_types": [],
    }
    assert details["moderation_status"] == "pending"
    assert details["moderation_kind"] == "manual"  # the moderator the asset waits for
    assert details["asset_id"] == result["asset_id"]
    assert "signature" not in details
    assert "api_key" not in details
    # the stored asset agrees with the Admin API
    [asset] = sdk.assets("demo")
    assert asset["moderation"] == details["moderation"]


def test_decisions_wait_for_the_delay(sdk: Emulator, files) -> None:
    sdk.configure(moderation_delay=30)
    result = uploader.upload(files.png(note="slow"), moderation="aws_rek")
    time.sleep(0.1)
    details = api.resource(result["public_id"])
    assert statuses(details["moderation"]) == [("aws_rek", "pending")]
    assert details["moderation_kind"] == "aws_rek"
    assert api.resources_by_moderation("aws_rek", "approved")["resources"] == []
    assert (
        api.resources_by_moderation("aws_rek", "pending")["resources"][0]["public_id"]
        == (result["public_id"])
    )


def test_a_rejection_aborts_the_rest_and_leaves_a_placeholder(
    sdk: Emulator, files, decided
) -> None:
    content = files.png(note="beach")
    sdk.register_labels(content, labels=SUGGESTIVE_62)
    result = uploader.upload(content, moderation="aws_rek:suggestive:0.6|webpurify|manual")
    assert statuses(result["moderation"]) == [
        ("aws_rek", "pending"),
        ("webpurify", "queued"),
        ("manual", "queued"),
    ]
    details = decided(result["public_id"])
    assert statuses(details["moderation"]) == [
        ("aws_rek", "rejected"),
        ("webpurify", "aborted"),
        ("manual", "aborted"),
    ]
    assert details["moderation"][0]["response"]["moderation_labels"] == SUGGESTIVE_62
    assert details["moderation_status"] == "rejected"
    assert details["moderation_kind"] == "aws_rek"
    assert details["placeholder"] is True
    assert (
        api.resources_by_moderation("manual", "aborted")["resources"][0]["public_id"]
        == (result["public_id"])
    )


def test_labels_registered_after_the_upload_still_decide(sdk: Emulator, files, decided) -> None:
    sdk.configure(moderation_delay=0.3)
    content = files.png(note="late labels")
    result = uploader.upload(content, moderation="aws_rek:suggestive:0.6")
    sdk.register_labels(content, labels=SUGGESTIVE_62)  # before the decision is due
    assert decided(result["public_id"])["moderation_status"] == "rejected"


def test_the_manual_queue_pages_and_reviewers_decide(sdk: Emulator, files) -> None:
    ids = [
        uploader.upload(files.png(note=str(n)), moderation="manual")["public_id"] for n in range(3)
    ]
    first = api.resources_by_moderation("manual", "pending", max_results=2)
    assert [r["public_id"] for r in first["resources"]] == [ids[2], ids[1]]  # newest first
    second = api.resources_by_moderation(
        "manual", "pending", max_results=2, next_cursor=first["next_cursor"]
    )
    assert [r["public_id"] for r in second["resources"]] == [ids[0]]
    assert "next_cursor" not in second
    listed = first["resources"][0]
    assert {"asset_id", "public_id", "format", "version", "url", "secure_url"} <= set(listed)
    assert "moderation" not in listed  # only with moderations=true
    with_moderation = api.resources_by_moderation("manual", "pending", moderations=True)
    assert with_moderation["resources"][0]["moderation"] == [
        {"kind": "manual", "status": "pending"}
    ]

    approved = api.update(ids[0], moderation_status="approved")
    assert statuses(approved["moderation"]) == [("manual", "approved")]
    assert set(approved["moderation"][0]) == {"kind", "status", "updated_at"}
    assert (approved["moderation_status"], approved["moderation_kind"]) == ("approved", "manual")
    rejected = api.update(ids[1], moderation_status="rejected")
    assert (rejected["moderation_status"], rejected["placeholder"]) == ("rejected", True)

    def queue(status: str) -> list[str]:
        return [r["public_id"] for r in api.resources_by_moderation("manual", status)["resources"]]

    assert (queue("pending"), queue("approved"), queue("rejected")) == (
        [ids[2]],
        [ids[0]],
        [ids[1]],
    )
    assert api.resource(ids[0])["moderation_status"] == "approved"


def test_an_approval_lets_the_next_moderator_run(sdk: Emulator, files, decided) -> None:
    content = files.png(note="after review")
    sdk.register_labels(content, labels=SUGGESTIVE_62)
    # ``manual`` first (the OAS says last; not enforced): what follows waits for the review
    result = uploader.upload(content, moderation="manual|aws_rek:suggestive:0.5")
    assert statuses(result["moderation"]) == [("manual", "pending"), ("aws_rek", "queued")]
    time.sleep(0.1)
    assert statuses(api.resource(result["public_id"])["moderation"])[1] == ("aws_rek", "queued")
    approved = api.update(result["public_id"], moderation_status="approved")
    assert statuses(approved["moderation"]) == [("manual", "approved"), ("aws_rek", "pending")]
    details = decided(result["public_id"])
    assert statuses(details["moderation"]) == [("manual", "approved"), ("aws_rek", "rejected")]
    assert details["moderation_status"] == "rejected"


def test_a_review_before_the_machines_decided_keeps_them_scheduled(
    sdk: Emulator, files, decided
) -> None:
    sdk.configure(moderation_delay=0.3)
    result = uploader.upload(files.png(note="early"), moderation="aws_rek|manual")
    early = api.update(result["public_id"], moderation_status="approved")
    assert statuses(early["moderation"]) == [("aws_rek", "pending"), ("manual", "approved")]
    details = decided(result["public_id"])  # aws_rek still decides after the delay
    assert statuses(details["moderation"]) == [("aws_rek", "approved"), ("manual", "approved")]
    assert details["moderation_status"] == "approved"


def test_a_reviewer_overrides_a_machine_rejection(sdk: Emulator, files, decided) -> None:
    content = files.png(note="appeal")
    sdk.register_labels(content, labels=SUGGESTIVE_62)
    result = uploader.upload(content, moderation="aws_rek:suggestive:0.5")
    assert decided(result["public_id"])["moderation_status"] == "rejected"
    overridden = api.update(result["public_id"], moderation_status="approved")
    assert statuses(overridden["moderation"]) == [("aws_rek", "rejected"), ("manual", "approved")]
    assert (overridden["moderation_status"], overridden["placeholder"]) == ("approved", False)


def test_sync_timing_answers_with_the_decisions(files, make_client) -> None:
    with Emulator(moderation_timing="sync") as emu:
        client = make_client(emu)
        result = client.upload({"moderation": "aws_rek|manual"}, files.png()).json()
        assert statuses(result["moderation"]) == [("aws_rek", "approved"), ("manual", "pending")]
        switched = client.control("POST", "/settings", json={"moderation_timing": "async"})
        assert switched.json()["moderation_timing"] == "async"
        later = client.upload({"moderation": "aws_rek|manual"}, files.png(note="b")).json()
        assert statuses(later["moderation"]) == [("aws_rek", "pending"), ("manual", "queued")]


def test_a_zero_delay_decides_right_after_the_response(files, make_client) -> None:
    with Emulator(moderation_delay=0) as emu:
        client = make_client(emu)
        result = client.upload({"moderation": "aws_rek"}, files.png()).json()
        assert result["moderation_status"] == "pending"
        path = f"/resources/image/upload/{result['public_id']}"
        assert client.admin("GET", path).json()["moderation_status"] == "approved"


def test_due_decisions_survive_a_restart(tmp_path: Path, files, make_client) -> None:
    database = tmp_path / "emulator.sqlite"
    with Emulator(database, moderation_delay=0.2) as first:
        result = make_client(first).upload({"moderation": "aws_rek"}, files.png()).json()
    time.sleep(0.25)
    with Emulator(database) as second:
        path = f"/resources/image/upload/{result['public_id']}"
        details = make_client(second).admin("GET", path).json()
    assert statuses(details["moderation"]) == [("aws_rek", "approved")]


def test_resource_details_update_and_errors(sdk: Emulator, files, client) -> None:
    result = uploader.upload(files.png(), tags=["a"], moderation="manual")
    by_id = client.admin("GET", f"/resources/{result['asset_id']}").json()
    assert by_id["public_id"] == result["public_id"]
    updated = api.update(result["public_id"], tags=["x", "y"], context={"alt": "A"})
    assert (updated["tags"], updated["context"]) == (["x", "y"], {"custom": {"alt": "A"}})
    assert api.resource(result["public_id"])["tags"] == ["x", "y"]
    with pytest.raises(NotFound, match="Resource not found - nope"):
        api.resource("nope")
    with pytest.raises(NotFound, match="Resource not found"):
        api.update("nope", moderation_status="approved")
    with pytest.raises(NotFound):
        api.resource(result["public_id"], type="private")  # uploads are type "upload"
    with pytest.raises(BadRequest, match="Invalid moderation_status 'maybe'"):
        api.update(result["public_id"], moderation_status="maybe")
    with pytest.raises(BadRequest, match="cannot update ocr"):
        api.update(result["public_id"], ocr="adv_ocr")
    with pytest.raises(BadRequest, match="Invalid moderation kind bogus"):
        api.resources_by_moderation("bogus", "pending")
    with pytest.raises(BadRequest, match="Invalid moderation status later"):
        api.resources_by_moderation("manual", "later")
    assert api.resources_by_moderation("metascan", "pending")["resources"] == []  # legacy kind
    missing = client.admin("GET", f"/resources/{'0' * 32}")
    assert missing.status_code == 404


def test_resource_endpoints_are_admin_calls(emu: Emulator, client, files) -> None:
    uploaded = client.upload({"moderation": "manual"}, files.png()).json()
    path = f"/resources/image/upload/{uploaded['public_id']}"
    assert client.admin("GET", path, auth=None).status_code == 401
    response = client.admin("GET", path)
    assert response.status_code == 200
    # metered like every Admin call; the refused one cost nothing
    assert int(response.headers["X-FeatureRateLimit-Remaining"]) == 2000 - 1


# --------------------------------------------------------------------------- notifications


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_notifications_are_signed_as_the_sdk_verifies_them(
    sdk: Emulator, files, receiver, algorithm: str
) -> None:
    if algorithm == "sha256":
        sdk.set_signature_algorithm("demo", "sha256")
    cloudinary.config(signature_algorithm=algorithm)
    result = uploader.upload(
        files.png(), moderation="aws_rek|manual", notification_url=receiver.url
    )
    upload_note, rekognition_note = receiver.wait_for(2)
    assert upload_note.payload["notification_type"] == "upload"
    assert upload_note.payload["public_id"] == result["public_id"]
    assert rekognition_note.payload["notification_type"] == "moderation"

    for note in (upload_note, rekognition_note):
        timestamp = note.headers["x-cld-timestamp"]
        given = note.headers["x-cld-signature"]
        assert abs(int(timestamp) - time.time()) < 60
        assert cloudinary.utils.verify_notification_signature(note.body, timestamp, given)
        assert not cloudinary.utils.verify_notification_signature(note.body + " ", timestamp, given)
        other = "sha1" if algorithm == "sha256" else "sha256"
        assert not cloudinary.utils.verify_notification_signature(
            note.body, timestamp, given, algorithm=other
        )

    api.update(result["public_id"], moderation_status="approved")
    manual_note = receiver.wait_for(3)[2]
    assert manual_note.payload["moderation_kind"] == "manual"
    assert manual_note.payload["moderation_status"] == "approved"
    assert cloudinary.utils.verify_notification_signature(
        manual_note.body,
        manual_note.headers["x-cld-timestamp"],
        manual_note.headers["x-cld-signature"],
    )


def test_moderation_notification_shape(sdk: Emulator, files, receiver) -> None:
    content = files.png(note="noted")
    sdk.register_labels(content, labels=SUGGESTIVE_62)
    result = uploader.upload(
        content, moderation="aws_rek:suggestive:0.5|manual", notification_url=receiver.url
    )
    note = receiver.wait_for(2)[1].payload
    assert {k: note[k] for k in ("notification_type", "public_id", "asset_id", "version")} == {
        "notification_type": "moderation",
        "public_id": result["public_id"],
        "asset_id": result["asset_id"],
        "version": result["version"],
    }
    assert (note["moderation_kind"], note["moderation_status"]) == ("aws_rek", "rejected")
    assert note["moderation_response"]["moderation_labels"] == SUGGESTIVE_62
    assert note["moderation_updated_at"].endswith("Z")
    assert statuses(note["moderation"]) == [("aws_rek", "rejected"), ("manual", "aborted")]
    assert len(receiver.received) == 2  # nothing for the aborted moderator
    history = sdk.notifications(wait=2)
    assert [h["outcome"] for h in history] == ["delivered: HTTP 200"] * 2
    signatures = [r.headers["x-cld-signature"] for r in receiver.received]
    assert not any(signature in str(history) for signature in signatures)  # never logged


def test_notifications_go_to_loopback_addresses_only(sdk: Emulator, files, client) -> None:
    uploader.upload(files.png(), notification_url="http://203.0.113.7/hook")
    [attempt] = client.control("GET", "/notifications").json()
    assert attempt["url"] == "http://203.0.113.7/hook"
    assert attempt["outcome"].startswith("refused: the emulator only notifies")
    uploader.upload(files.png(), notification_url="http://127.0.0.1:9/unreachable")
    assert sdk.notifications(wait=5)[1]["outcome"].startswith("failed:")


def test_concurrent_uploads_reads_and_decisions(emu: Emulator, make_client, files, receiver):
    """Uploads, queue reads and reviewer decisions from several threads at once: every
    asset ends decided, every decision is notified once, in order per asset."""
    from concurrent.futures import ThreadPoolExecutor

    def worker(n: int) -> list[str]:
        client = make_client(emu)
        ids = []
        for i in range(5):
            params = {"moderation": "aws_rek|manual", "notification_url": receiver.url}
            ids.append(client.upload(params, files.png(note=f"{n}-{i}")).json()["public_id"])
            client.admin("GET", "/resources/image/moderations/manual/pending")
        for public_id in ids[:2]:
            path = f"/resources/image/upload/{public_id}"
            assert client.admin("POST", path, data={"moderation_status": "approved"}).ok
        return ids

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = [pid for batch in pool.map(worker, range(6)) for pid in batch]
    notes = receiver.wait_for(30 * 2 + 12)  # upload + aws_rek each, + 12 approvals
    assert len(receiver.received) == 72
    by_asset: dict[str, list[str]] = {}
    for note in notes:
        payload = note.payload
        kind = payload.get("moderation_kind", payload["notification_type"])
        by_asset.setdefault(payload["public_id"], []).append(kind)
    assert set(by_asset) == set(ids)
    for kinds in by_asset.values():
        assert kinds[0] == "upload"
        assert sorted(kinds[1:]) in (["aws_rek"], ["aws_rek", "manual"])
    statuses_now = sorted(a["moderation_status"] for a in emu.assets("demo"))
    assert statuses_now == ["approved"] * 12 + ["pending"] * 18
