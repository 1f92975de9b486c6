"""A product environment's presets seen through the Admin API, as typed presets.

Joins the HTTP layer (plain dicts) and the codec (typed presets): reads every preset
in as few calls as possible (list pages of 500, which carry the settings: never one GET
per preset) and writes a preset as the full desired settings, reconciling creates whose
outcome was lost by comparing canonical forms.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.codec import decode, encode, stored_keys
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import BadResponse
from cloudinary_presets.model.names import matches
from cloudinary_presets.model.preset import Preset


@dataclass(frozen=True)
class RemotePreset:
    """One preset as read from the remote, decoded, with its fingerprint.

    ``stored``: the parameters it stores with a value (what an update must clear when
    the definition does not send them). ``problem``: why it could not be decoded at all;
    then ``preset`` is an empty stand-in carrying only the name, and the fingerprint is
    a digest of what was listed (it still changes when the remote does).
    """

    name: str
    preset: Preset
    fingerprint: str
    unreadable: tuple[tuple[str, str], ...] = ()
    stored: frozenset[str] = frozenset()
    problem: str = ""

    @property
    def readable(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class Snapshot:
    """Everything a plan reads from the remote: presets by remote name, and what it cost."""

    presets: Mapping[str, RemotePreset]
    list_calls: int = 0
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset: datetime | None = None


def read_remote(raw: dict[str, Any]) -> RemotePreset:
    """One listed or fetched preset -> a typed remote preset with its fingerprint.

    A preset that cannot be decoded never stops a plan: it comes back named, with the
    reason in ``problem`` (the listing guarantees a name; a nameless one is refused there).
    """
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise BadResponse("cannot read a remote preset: it has no name")
    try:
        decoded = decode(raw)
    except Exception as exc:  # anything: one odd preset must not hide the others
        digest = hashlib.sha256(
            json.dumps(raw, sort_keys=True, default=repr).encode("utf-8")
        ).hexdigest()
        return RemotePreset(
            name,
            Preset.model_construct(name=name),
            f"unreadable:sha256:{digest}",
            stored=stored_keys(raw),
            problem=str(exc) or type(exc).__name__,
        )
    return RemotePreset(
        decoded.preset.name,
        decoded.preset,
        decoded.preset.fingerprint(),
        decoded.unreadable,
        decoded.stored,
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

    def update(self, name: str, preset: Preset, clear: Sequence[str] = ()) -> None:
        """Send ``name`` the preset's full settings, and clear the stored settings in
        ``clear`` (which the preset does not have) in the same call: the result is the
        preset whether Cloudinary replaces the stored settings or merges into them."""
        body = encode(preset, name=name, clear=clear)
        body.pop("name")
        self.api.update_preset(name, body)

    def delete(self, name: str) -> None:
        self.api.delete_preset(name)
