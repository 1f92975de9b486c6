"""A product environment's presets seen through the Admin API, as typed presets.

Joins the HTTP layer (plain dicts) and the codec (typed presets): reads every preset
in as few calls as possible (list pages of 500, which carry the settings: never one GET
per preset) and writes a preset as the full desired settings, reconciling creates whose
outcome was lost by comparing canonical forms.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.codec import decode, encode, fingerprint, same
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import BadResponse
from cloudinary_presets.model.preset import Preset
from cloudinary_presets.planning.plan import RemotePreset, Snapshot


def read_remote(raw: dict[str, Any]) -> RemotePreset:
    """One listed or fetched preset -> a typed remote preset with its fingerprint."""
    try:
        decoded = decode(raw)
    except ValueError as exc:
        raise BadResponse(f"cannot read a remote preset: {exc}") from None
    return RemotePreset(
        decoded.preset.name, decoded.preset, fingerprint(decoded.preset), decoded.unreadable
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
            if any(fnmatch.fnmatchcase(remote.name, g) for g in ignore):
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
        result = self.api.create_preset(
            encode(preset, name=name), same=lambda got: same(read_remote(got).preset, preset)
        )
        return result.reconciled

    def update(self, name: str, preset: Preset) -> None:
        """Replace ``name``'s settings with the preset's full settings."""
        body = encode(preset, name=name)
        body.pop("name")
        self.api.update_preset(name, body)

    def delete(self, name: str) -> None:
        self.api.delete_preset(name)
