"""The parameters of one upload with a preset: what the mode and the preset allow, encoded.

Shared by server-side uploads (:meth:`Uploader.upload`) and direct uploads from a browser
(:meth:`Uploader.direct_upload`), so both refuse the same things before anything is sent
or signed: parameters an unsigned upload may not carry (Cloudinary's allow-list,
ts_unsupported_parameters_in_unsigned_uploads), parameters outside an unsigned preset's
``parameter_whitelist``, a ``public_id`` with ``disallow_public_id``, and the fields the
request itself sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudinary_presets.cloudinary.codec import encode_value
from cloudinary_presets.cloudinary.upload_api import RESERVED_PARAMS
from cloudinary_presets.definitions.resolve import ResolvedPreset
from cloudinary_presets.errors import UsageError
from cloudinary_presets.model.preset import SETTING_KEYS, wire_kind

#: what an unsigned upload may carry besides the file (Cloudinary's documented allow-list;
#: ``upload_preset`` is set from the preset)
UNSIGNED_PARAMS = frozenset(
    {
        "callback", "public_id", "folder", "asset_folder", "tags", "context", "metadata",
        "face_coordinates", "custom_coordinates", "source", "filename_override",
        "manifest_transformation", "manifest_json", "template", "template_vars", "regions",
        "public_id_prefix",
    }
)  # fmt: skip
#: set by the request itself from the preset and the credentials
SET_BY_REQUEST = RESERVED_PARAMS | {"upload_preset", "signature_algorithm", "cloud_name"}


def _given(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != [] and v != {}}


def _check_unsigned(preset: ResolvedPreset, given: Mapping[str, Any]) -> None:
    refused = sorted(set(given) - UNSIGNED_PARAMS)
    if refused:
        raise UsageError(
            f"unsigned uploads may not pass {', '.join(refused)} (Cloudinary refuses them); "
            f"allowed: {', '.join(sorted(UNSIGNED_PARAMS))}",
            hint="move them into the preset's settings, or upload signed (with the API secret)",
        )
    whitelist = preset.preset.parameter_whitelist
    if whitelist is not None:
        allowed = set() if whitelist == "none" else set(whitelist)
        outside = sorted(set(given) - allowed)
        if outside:
            shown = ", ".join(sorted(allowed)) or "none"
            raise UsageError(
                f"preset {preset.name!r} lets unsigned uploads pass only its "
                f"parameter_whitelist ({shown}), not {', '.join(outside)}",
                hint="add them to parameter_whitelist in the definition, or upload signed",
            )
    if "public_id" in given and preset.preset.disallow_public_id:
        raise UsageError(
            f"preset {preset.name!r} has disallow_public_id: uploads cannot choose a public_id"
        )


def upload_params(
    preset: ResolvedPreset, signed: bool, params: Mapping[str, Any]
) -> dict[str, Any]:
    """Wire parameters for one upload with ``preset``: ``upload_preset`` (the remote name)
    and ``params`` encoded as the SDK sends them. Refuses what the preset or the mode
    forbids; ``None`` and empty values are left out."""
    given = _given(params)
    taken = sorted(set(given) & SET_BY_REQUEST)
    if taken:
        raise UsageError(
            f"upload parameters may not set {', '.join(taken)}: the request sets them "
            "from the preset and the credentials"
        )
    if not signed:
        _check_unsigned(preset, given)
    out: dict[str, Any] = {"upload_preset": preset.remote_name}
    for key, value in given.items():
        attr = SETTING_KEYS.get(key)
        out[key] = (
            encode_value(wire_kind(attr), value) if attr and not isinstance(value, str) else value
        )
    return out
