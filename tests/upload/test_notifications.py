"""Notifications: verified like the official SDK verifies them, parsed into typed values,
and received by the examples/web receivers from the emulator over loopback HTTP.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.utils
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from upload_helpers import key_only, load_example, png, set_explicit_nudity
from web_servers import client, serve

from cloudinary_presets import (
    BadSignature,
    Notification,
    NotificationError,
    StaleNotification,
    Uploader,
    parse_notification,
    verify_notification,
)
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.errors import UsageError
from cloudinary_presets.model.moderation_rule import Label

SECRET = "notification-test-secret"
NUDITY_62 = [
    {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 62.0},
    {"name": "Explicit Nudity", "parent_name": "", "confidence": 62.0},
]


def signed(body: str, timestamp: int, secret: str = SECRET, algorithm: str = "sha1") -> str:
    return hashlib.new(algorithm, f"{body}{timestamp}{secret}".encode()).hexdigest()


def accepts(body: str, timestamp: int, signature: str, **kw: Any) -> bool:
    try:
        verify_notification(body.encode(), str(timestamp), signature, secret=SECRET, **kw)
    except NotificationError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.text(max_size=200),
    age=st.sampled_from([-60, 0, 30, 3000, 7000, 7300, 100000]),
    algorithm=st.sampled_from(["sha1", "sha256"]),
    tamper=st.sampled_from(["none", "body", "signature", "secret", "timestamp"]),
)
def test_the_same_verdict_as_the_official_sdk(
    body: str, age: int, algorithm: str, tamper: str
) -> None:
    now = int(time.time())
    timestamp = now - age
    signature = signed(body, timestamp, algorithm=algorithm)
    if tamper == "signature":
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    elif tamper == "secret":
        signature = signed(body, timestamp, "another-secret", algorithm)
    sent_body = body + "x" if tamper == "body" else body
    sent_timestamp = timestamp + 1 if tamper == "timestamp" else timestamp
    cloudinary.reset_config()
    cloudinary.config(cloud_name="demo", api_key="1", api_secret=SECRET)
    try:
        sdk = cloudinary.utils.verify_notification_signature(
            sent_body, str(sent_timestamp), signature, valid_for=7200, algorithm=algorithm
        )
    finally:
        cloudinary.reset_config()
    ours = accepts(sent_body, sent_timestamp, signature, max_age=7200, algorithm=algorithm)  # type: ignore[arg-type]
    assert ours is sdk
    assert ours is (tamper == "none" and age <= 7000)


def test_both_algorithms_are_accepted_and_the_failures_say_why() -> None:
    now = int(time.time())
    body = '{"notification_type":"moderation"}'
    for algorithm in ("sha1", "sha256"):
        verify_notification(
            body.encode(), now, signed(body, now, algorithm=algorithm), secret=SECRET
        )
    with pytest.raises(StaleNotification, match="is 7201 s old"):
        verify_notification(body, now - 7201, signed(body, now - 7201), secret=SECRET, now=now)
    with pytest.raises(BadSignature, match="does not match the body"):
        verify_notification(body, now, signed(body + " ", now), secret=SECRET)
    with pytest.raises(BadSignature, match="missing or not a hex SHA-1/SHA-256"):
        verify_notification(body, now, "abc", secret=SECRET)
    with pytest.raises(NotificationError, match="malformed X-Cld-Timestamp"):
        verify_notification(body, "yesterday", signed(body, now), secret=SECRET)
    with pytest.raises(NotificationError, match="no API secret"):
        verify_notification(body, now, signed(body, now), secret="")
    assert issubclass(BadSignature, NotificationError)
    assert issubclass(StaleNotification, NotificationError)


def test_parse_keeps_unknown_types_and_refuses_what_is_not_an_object() -> None:
    note = parse_notification(b'{"notification_type":"eager","public_id":"a/b","version":3}')
    assert (note.notification_type, note.public_id, note.version) == ("eager", "a/b", 3)
    assert note.moderation is None
    assert not note.is_moderation
    assert parse_notification("{}").notification_type == "unknown"
    with pytest.raises(NotificationError, match="not JSON"):
        parse_notification(b"<html>")
    with pytest.raises(NotificationError, match="JSON list, not an object"):
        parse_notification(b"[]")


def test_the_uploader_verifies_with_its_targets_secret(
    applied: Emulator, uploader: Uploader, make_uploader: Any, cloudinary_url: str
) -> None:
    secret = applied.clouds[0].api_secret
    now = int(time.time())
    body = b'{"notification_type":"upload","public_id":"x"}'
    good = {"x-cld-timestamp": str(now), "x-cld-signature": signed(body.decode(), now, secret)}
    uploader.verify_notification(body, good)  # a plain dict, lower-case names
    with pytest.raises(BadSignature, match="no X-Cld-Signature header"):
        uploader.verify_notification(body, {"X-Cld-Timestamp": str(now)})
    with pytest.raises(BadSignature):
        uploader.verify_notification(body + b" ", good)
    with pytest.raises(UsageError, match="needs the API secret"):
        make_uploader(key_only(cloudinary_url)).verify_notification(body, good)


# --------------------------------------------------------------------------- real deliveries


@pytest.fixture(params=["flask_app", "fastapi_app"])
def receiver(
    request: pytest.FixtureRequest, uploader: Uploader
) -> Iterator[tuple[str, list[Notification]]]:
    """An examples/web receiver on loopback; yields its notification URL and what it took."""
    taken: list[Notification] = []
    app = load_example(request.param).create_app(uploader, on_notification=taken.append)
    with serve(app) as base:
        yield f"{base}/cloudinary/notifications", taken


def arrived(emulator: Emulator, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while len(sent := emulator.notifications(wait=0.5)) < count:
        assert time.monotonic() < deadline, sent
    return sent


def test_the_emulator_notifies_the_receiver_which_verifies_and_parses(
    applied: Emulator,
    uploader: Uploader,
    receiver: tuple[str, list[Notification]],
    remote_cli: Any,
    project_dir: Path,
) -> None:
    set_explicit_nudity(project_dir, "0.5")
    assert remote_cli("apply", "--yes").exit_code == 0
    url, taken = receiver
    content = png("beach")
    applied.register_labels(content, labels=NUDITY_62)

    result = uploader.upload(content, preset="ugc-moderated", notification_url=url)
    uploader.wait_for_moderation(result)

    sent = arrived(applied, 2)
    assert [(n["notification_type"], n["outcome"]) for n in sent] == [
        ("upload", "delivered: HTTP 204"),
        ("moderation", "delivered: HTTP 204"),
    ]
    upload, moderation = taken
    assert (upload.notification_type, upload.public_id) == ("upload", result.public_id)
    assert moderation.is_moderation
    assert moderation.public_id == result.public_id
    assert (moderation.moderation_kind, moderation.moderation_status) == ("aws_rek", "rejected")
    assert moderation.labels == (
        Label("nudity", "explicit_nudity", 0.62, version="v7"),
        Label("explicit_nudity", "explicit", 0.62, version="v7"),  # v7: under Explicit
    )
    assert moderation.moderation_updated_at
    assert moderation.moderation is not None
    assert moderation.moderation.status == "rejected"
    assert moderation.raw == sent[1]["payload"]

    # forged or replayed: refused before anything is read
    now = int(time.time())
    body = json.dumps(sent[1]["payload"])
    secret = applied.clouds[0].api_secret
    with client() as http:
        forged = http.post(
            url,
            data=body,
            headers={"X-Cld-Timestamp": str(now), "X-Cld-Signature": signed(body, now, "guess")},
            timeout=5,
        )
        stale = http.post(
            url,
            data=body,
            headers={
                "X-Cld-Timestamp": str(now - 7201),
                "X-Cld-Signature": signed(body, now - 7201, secret),
            },
            timeout=5,
        )
        fresh = http.post(
            url,
            data=body,
            headers={"X-Cld-Timestamp": str(now), "X-Cld-Signature": signed(body, now, secret)},
            timeout=5,
        )
    assert forged.status_code == 401
    assert "does not match" in forged.text
    assert stale.status_code == 401
    assert "s old" in stale.text
    assert fresh.status_code == 204
    assert len(taken) == 3
