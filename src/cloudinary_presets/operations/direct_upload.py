"""What a browser needs to upload straight to Cloudinary with a preset.

The file never passes through the application's server: the server hands out the upload
URL and the form fields (signed with the API secret for a signed preset), and the browser
POSTs the file with exactly those fields. Everything is checked here, before anything is
signed: a signature is a promise that these parameters are allowed. The secret itself is
never in the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.upload_api import RESOURCE_TYPES, sign
from cloudinary_presets.definitions.resolve import ResolvedPreset
from cloudinary_presets.errors import UsageError
from cloudinary_presets.operations.upload_params import upload_params

#: Cloudinary refuses a signed upload whose timestamp is older than this (seconds)
SIGNATURE_LIFETIME = 3600


@dataclass(frozen=True)
class DirectUpload:
    """The upload endpoint and the form fields to POST with the file (all strings).

    ``expires_at`` (Unix seconds) is when Cloudinary stops accepting a signed form;
    None for an unsigned preset.
    """

    url: str
    fields: Mapping[str, str] = field(repr=False)
    preset: str = ""
    signed: bool = False
    expires_at: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for a signature endpoint: ``{"url", "fields", "expires_at"}``."""
        return {"url": self.url, "fields": dict(self.fields), "expires_at": self.expires_at}

    def __repr__(self) -> str:  # field names only: the signature is not for logs
        names = ", ".join(sorted(self.fields))
        return f"DirectUpload(url={self.url!r}, preset={self.preset!r}, fields=[{names}])"


def _text(value: object) -> str:
    """A form field's text, as the signature reads it: lists comma-joined, booleans 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


def build_direct_upload(
    preset: ResolvedPreset,
    credentials: Credentials,
    url_for: Callable[[str], str],
    params: Mapping[str, Any],
    *,
    resource_type: str,
    now: float,
) -> DirectUpload:
    """Fields for one browser upload with ``preset`` (``url_for`` makes an API URL from a
    path); a signed preset is signed with ``credentials`` at ``now``. Refuses, before
    signing, what the preset or the mode forbids."""
    if resource_type not in RESOURCE_TYPES:
        raise UsageError(
            f"resource_type must be one of {', '.join(sorted(RESOURCE_TYPES))}, "
            f"got {resource_type!r}"
        )
    signed = not preset.unsigned
    if signed and not credentials.has_secret:
        raise UsageError(
            f"preset {preset.name!r} is signed: a direct upload with it needs a signature, "
            f"and the credentials from {credentials.source} have no API secret",
            hint="use a CLOUDINARY_URL with KEY:SECRET on the server, or an unsigned preset",
        )
    wire = upload_params(preset, signed, params)
    fields = {key: text for key, value in wire.items() if (text := _text(value))}
    expires_at = None
    if signed:
        assert credentials.api_secret is not None
        fields["timestamp"] = str(int(now))
        fields["signature"] = sign(fields, credentials.api_secret, credentials.signature_algorithm)
        fields["api_key"] = credentials.api_key
        if credentials.signature_algorithm != "sha1":
            fields["signature_algorithm"] = credentials.signature_algorithm
        expires_at = int(now) + SIGNATURE_LIFETIME
    url = url_for(f"/{resource_type}/upload")
    return DirectUpload(url, fields, preset.remote_name, signed, expires_at)


#: what the Upload Widget itself puts in the parameters it asks the server to sign
WIDGET_OWN = ("timestamp", "upload_preset")
#: how far ahead of the server's clock a browser's timestamp may be (seconds)
CLOCK_SKEW = 300


def sign_widget_params(
    presets: Mapping[str, ResolvedPreset],
    credentials: Credentials,
    params_to_sign: Mapping[str, Any],
    *,
    now: float,
) -> str:
    """The signature for the Upload Widget's ``uploadSignature`` callback.

    The widget signs nothing itself: it hands the server ``params_to_sign`` (its
    ``timestamp``, the ``upload_preset`` it was configured with, ``source: uw`` and the
    upload's options) and sends exactly those with the returned signature. So the same
    checks as :func:`build_direct_upload` run first: the preset must be one of
    ``presets`` (by remote name) and signed, the options what a signed upload with it may
    carry, and the timestamp fresh, so a signature cannot outlive its hour.
    """
    by_remote = {p.remote_name: p for p in presets.values()}
    name = params_to_sign.get("upload_preset")
    if not isinstance(name, str) or name not in by_remote:
        known = ", ".join(sorted(by_remote)) or "none"
        raise UsageError(
            f"the Upload Widget asks to sign for preset {name!r}, which no definition names "
            f"(remote names: {known})",
            hint="configure the widget's uploadPreset with one of them; a signature without "
            "a preset would allow any upload parameter",
        )
    preset = by_remote[name]
    if preset.unsigned:
        raise UsageError(
            f"preset {preset.name!r} is unsigned: the widget needs no signature for it "
            "(a signature would lift the unsigned restrictions)",
            hint="remove uploadSignature from the widget's options, or make the preset signed",
        )
    if not credentials.has_secret:
        raise UsageError(
            f"signing needs the API secret, and the credentials from {credentials.source} "
            "have none",
            hint="use a CLOUDINARY_URL with KEY:SECRET on the server",
        )
    timestamp = str(params_to_sign.get("timestamp", ""))
    if not timestamp.isascii() or not timestamp.isdigit():
        raise UsageError(f"the widget's timestamp must be Unix seconds, got {timestamp!r}")
    age = now - int(timestamp)
    if not -CLOCK_SKEW <= age <= SIGNATURE_LIFETIME:
        raise UsageError(
            f"the widget's timestamp is {abs(int(age))} s in the "
            f"{'past' if age > 0 else 'future'}: refusing to sign a request Cloudinary would "
            f"refuse, or one that would stay valid longer than {SIGNATURE_LIFETIME} s",
            hint="check the clocks of the browser and the server",
        )
    options = {k: v for k, v in params_to_sign.items() if k not in WIDGET_OWN}
    upload_params(preset, True, options)  # refuses what the preset or the mode forbids
    assert credentials.api_secret is not None
    fields = {key: _as_browser_sends(value) for key, value in params_to_sign.items()}
    return sign(fields, credentials.api_secret, credentials.signature_algorithm)


def _as_browser_sends(value: object) -> str:
    """A value as the widget's form carries it (JavaScript's string forms: ``true``, lists
    comma-joined), which is what Cloudinary checks the signature against."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)
