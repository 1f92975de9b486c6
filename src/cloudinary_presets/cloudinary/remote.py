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
from cloudinary_presets.cloudinary.stored_form import StoredForm, stored_form
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import BadResponse
from cloudinary_presets.model.names import matches
from cloudinary_presets.model.preset import Preset


class RemotePreset:
    """One preset as read from the remote, with its fingerprint; decoded on first use.

    A listed preset keeps its raw form until something asks for ``preset``,
    ``fingerprint`` or ``unreadable``; :meth:`holds` recognises, without decoding, one
    that holds exactly what sending a preset stores (see
    :mod:`~cloudinary_presets.cloudinary.stored_form`). Most presets of a plan are such
    unchanged ones, and decoding them was most of the cost of reading a listing.
    """

    __slots__ = ("_decoded", "_form", "_raw", "name")

    def __init__(
        self,
        name: str,
        preset: Preset | None = None,
        fingerprint: str | None = None,
        unreadable: tuple[tuple[str, str], ...] = (),
        *,
        raw: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self._raw = raw
        self._form: StoredForm | bool | None = False  # False: not computed yet
        self._decoded: tuple[Preset, str, tuple[tuple[str, str], ...]] | None = None
        if raw is None:
            if preset is None or fingerprint is None:
                raise TypeError("a RemotePreset needs a preset and its fingerprint, or a raw form")
            self._decoded = (preset, fingerprint, unreadable)

    @classmethod
    def listed(cls, raw: Mapping[str, Any]) -> RemotePreset:
        """A preset of a listing page (its name already checked), decoded when needed."""
        return cls(str(raw["name"]), raw=raw)

    def _decode(self) -> tuple[Preset, str, tuple[tuple[str, str], ...]]:
        if self._decoded is None:
            assert self._raw is not None
            decoded = read_remote(self._raw)
            self._decoded = (decoded.preset, decoded.fingerprint, decoded.unreadable)
        return self._decoded

    @property
    def preset(self) -> Preset:
        return self._decode()[0]

    @property
    def fingerprint(self) -> str:
        return self._decode()[1]

    @property
    def unreadable(self) -> tuple[tuple[str, str], ...]:
        return self._decode()[2]

    def holds(self, sent: StoredForm | None) -> bool:
        """True when this listed preset is exactly ``sent`` (a :func:`sent_form`): it
        holds what sending that preset stores, so it is unchanged, nothing decoded."""
        if sent is None or self._raw is None:
            return False
        if self._form is False:
            self._form = stored_form(self._raw)
        return self._form == sent

    def __repr__(self) -> str:
        state = "decoded" if self._decoded is not None else "raw"
        return f"RemotePreset({self.name!r}, {state})"


@dataclass(frozen=True)
class Snapshot:
    """Everything a plan reads from the remote: presets by remote name, and what it cost."""

    presets: Mapping[str, RemotePreset]
    list_calls: int = 0
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset: datetime | None = None


def read_remote(raw: Mapping[str, Any]) -> RemotePreset:
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
        """Every remote preset (minus ignored names), read with ceil(N/500) list calls.

        The presets are decoded when first used (:class:`RemotePreset`); one that cannot be
        decoded raises :class:`BadResponse` then.
        """
        before = self.transport.calls.total
        raw = self.api.list_presets()
        presets = {}
        for item in raw:
            remote = RemotePreset.listed(item)  # decoded when first needed
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

    def create(self, name: str, preset: Preset, fingerprint: str | None = None) -> bool:
        """Create ``name`` with the preset's settings; True when a lost response was reconciled.

        ``fingerprint`` is the preset's, when the caller has it already (a plan's change).
        """
        wanted = fingerprint or preset.fingerprint()
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
