"""A product environment's presets seen through the Admin API, as typed presets.

Joins the HTTP layer (plain dicts) and the codec (typed presets): reads every preset
in as few calls as possible (list pages of 500, which carry the settings: never one GET
per preset) and writes a preset as the full desired settings, reconciling creates whose
outcome was lost by comparing canonical forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.codec import decode, encode
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import BadResponse
from cloudinary_presets.model.names import matches
from cloudinary_presets.model.preset import Preset


@dataclass(frozen=True)
class RemotePreset:
    """One preset as read from the remote, decoded, with its fingerprint."""

    name: str
    preset: Preset
    fingerprint: str
    unreadable: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """Everything a plan reads from the remote: presets by remote name, and what it cost."""

    presets: Mapping[str, RemotePreset]
    list_calls: int = 0
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset: datetime | None = None


def read_remote(raw: dict[str, Any]) -> RemotePreset:
    """One listed or fetched preset -> a typed remote preset with its fingerprint."""
    try:
        decoded = decode(raw)
    except ValueError as exc:
        raise BadResponse(f"cannot read a remote preset: {exc}") from None
    return RemotePreset(
        decoded.preset.name, decoded.preset, decoded.preset.fingerprint(), decoded.unreadable
    )


class RemotePresets:
    """Typed reads and writes of one product environment's upload presets."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.api = AdminApi(transport)

    def snapshot(self, ignore: Sequence[str] = ()) -> Snapshot:
        """Every remote preset (minus ignored names), read with ceil(N/500) list calls."""
        before = self.transport.calls.total
        raw = self.api.list_presets()
        presets = {}
        for item in raw:
            remote = read_remote(item)
            if matches(remote.name, ignore):
                continue
            presets[remote.name] = remote
        quota = self.transport.quota
        return Snapshot(
            presets,
            list_calls=self.transport.calls.total - before,
            quota_limit=quota.limit,
            quota_remaining=quota.remaining,
            quota_reset=quota.reset_at,
        )

    def get(self, name: str) -> RemotePreset:
        return read_remote(self.api.get_preset(name))

    def create(self, name: str, preset: Preset) -> bool:
        """Create ``name`` with the preset's settings; True when a lost response was reconciled."""
        wanted = preset.fingerprint()
        result = self.api.create_preset(
            encode(preset, name=name), same=lambda got: read_remote(got).fingerprint == wanted
        )
        return result.reconciled

    def update(self, name: str, preset: Preset) -> None:
        """Replace ``name``'s settings with the preset's full settings."""
        body = encode(preset, name=name)
        body.pop("name")
        self.api.update_preset(name, body)

    def delete(self, name: str) -> None:
        self.api.delete_preset(name)
