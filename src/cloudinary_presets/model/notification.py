"""Cloudinary's webhook notifications (``notification_url``) as typed values.

Moderation notifications are flat (recorded 2020 and 2022): ``notification_type:
"moderation"``, ``public_id``, ``moderation_status``, ``moderation_kind``,
``moderation_response``, ``moderation_updated_at``; upload notifications are the upload
result plus ``notification_type: "upload"``. Cloudinary adds types and fields over time,
so an unknown type is kept as it came (``raw`` has everything), never refused. Verify the
signature before trusting any of it (``cloudinary/notification_signature.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudinary_presets.errors import NotificationError
from cloudinary_presets.model.moderation_rule import Label
from cloudinary_presets.model.moderation_state import ModerationState, response_labels


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and str(value) else None


@dataclass(frozen=True)
class Notification:
    """One notification. ``moderation_status`` is the decision of ``moderation_kind``
    (the moderator that just decided), not necessarily the asset's verdict: the verdict is
    :attr:`moderation` (from the ``moderation`` array, when the notification carries it)."""

    notification_type: str
    public_id: str | None = None
    asset_id: str | None = None
    resource_type: str | None = None
    delivery_type: str | None = None
    version: int | None = None
    secure_url: str | None = None
    moderation_status: str | None = None
    moderation_kind: str | None = None
    moderation_updated_at: str | None = None
    labels: tuple[Label, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_moderation(self) -> bool:
        return self.notification_type == "moderation"

    @property
    def moderation(self) -> ModerationState | None:
        """The whole chain, when the notification carries the ``moderation`` array."""
        if not isinstance(self.raw.get("moderation"), list):
            return None
        return ModerationState.from_resource(self.raw)


def parse_notification(body: bytes | str) -> Notification:
    """Read a notification's JSON body; raises :class:`NotificationError` if it is not a
    JSON object. Unknown notification types and fields are kept, not refused."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotificationError(f"the notification body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise NotificationError(
            f"the notification body is JSON {type(document).__name__}, not an object"
        )
    version = document.get("version")
    return Notification(
        notification_type=_text(document.get("notification_type")) or "unknown",
        public_id=_text(document.get("public_id")),
        asset_id=_text(document.get("asset_id")),
        resource_type=_text(document.get("resource_type")),
        delivery_type=_text(document.get("type")),
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        secure_url=_text(document.get("secure_url") or document.get("url")),
        moderation_status=_text(document.get("moderation_status")),
        moderation_kind=_text(document.get("moderation_kind")),
        moderation_updated_at=_text(document.get("moderation_updated_at")),
        labels=response_labels(document.get("moderation_response")),
        raw=document,
    )
