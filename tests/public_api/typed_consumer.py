"""A small application written against the public API, checked by mypy --strict.

Never imported by the tests: ``test_public_api_types.py`` runs mypy on it. Every
``assert_type`` fails if a top-level export loses its type (turns into ``Any``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from typing_extensions import assert_type

import cloudinary_presets
from cloudinary_presets import (
    BadSignature,
    CredentialsError,
    DecisionReport,
    DirectUpload,
    Label,
    ModerationState,
    ModerationStep,
    ModerationTimeout,
    NotFound,
    Notification,
    NotificationError,
    PresetDrift,
    PresetsError,
    QueueItem,
    RateLimited,
    StaleNotification,
    UnknownPreset,
    UploadBatch,
    Uploader,
    UploadResult,
    parse_notification,
    upload_files,
    verify_notification,
)


def upload(uploader: Uploader) -> str | None:
    result = uploader.upload(b"...", preset="ugc-moderated", tags=["a"])
    assert_type(result, UploadResult)
    verdict = uploader.wait_for_moderation(result, timeout=30.0)
    assert_type(verdict, ModerationState)
    assert_type(verdict.steps, tuple[ModerationStep, ...])
    assert_type(verdict.labels, tuple[Label, ...])
    assert_type(verdict.labels[0].confidence, float)
    return verdict.status


def browser(uploader: Uploader) -> dict[str, object]:
    form = uploader.direct_upload("avatar", tags="x")
    assert_type(form, DirectUpload)
    assert_type(form.fields, Mapping[str, str])
    return form.as_dict()


def review(uploader: Uploader) -> bool:
    items = uploader.moderation_queue(kind="manual")
    assert_type(items, Iterator[QueueItem])
    report = uploader.approve([item.public_id for item in items])
    assert_type(report, DecisionReport)
    return report.ok


def receive(uploader: Uploader, body: bytes, headers: Mapping[str, str]) -> str | None:
    try:
        uploader.verify_notification(body, headers)
        verify_notification(body, "1", "sig", secret="s", max_age=60)
    except (BadSignature, StaleNotification) as exc:
        assert_type(exc, BadSignature | StaleNotification)
        return None
    except NotificationError:
        return None
    notification = parse_notification(body)
    assert_type(notification, Notification)
    assert_type(notification.moderation_status, str | None)
    return notification.public_id


def batch(uploader: Uploader) -> int:
    done = upload_files(uploader, ["a.png"], preset="avatar", wait=True)
    assert_type(done, UploadBatch)
    return len(done.rejected)


def errors() -> list[type[PresetsError]]:
    caught: list[type[PresetsError]] = [
        UnknownPreset, PresetDrift, NotFound, RateLimited, CredentialsError, ModerationTimeout,
    ]  # fmt: skip
    assert_type(cloudinary_presets.Uploader, type[Uploader])
    assert_type(Uploader.from_env({}, emulator=True), Uploader)
    return caught
