"""The Upload API requests: signed and unsigned uploads that apply a preset, plain or in
chunks.

Why: a preset only matters through the uploads it shapes. ``presets upload`` smoke
tests, demos and the moderation simulator need an upload endpoint that enforces what
a preset promises (unsigned-only parameters, ``disallow_public_id``, ``allowed_formats``
checked against the real bytes, ``overwrite``, the moderation chain) and returns a
Cloudinary-shaped result whose URLs the emulator itself can serve. This module checks
the request and finds the file; ``assets.py`` stores it and describes the result.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import PurePosixPath
from urllib.parse import unquote_to_bytes, urlsplit

from cloudinary_presets.emulator import chunks, net, signature, wire
from cloudinary_presets.emulator.assets import store_upload
from cloudinary_presets.emulator.assets import text as _text
from cloudinary_presets.emulator.http_error import HttpError, bad_request
from cloudinary_presets.emulator.messages import Request, Response, error_response, json_response
from cloudinary_presets.emulator.routes import Route
from cloudinary_presets.emulator.service import Service
from cloudinary_presets.emulator.source import Source
from cloudinary_presets.emulator.store import CloudRecord, PresetRow

#: parameters an unsigned upload may pass (everything else comes from the preset), in the
#: order of Cloudinary's error message (ts_unsupported_parameters_in_unsigned_uploads).
UNSIGNED_ALLOWED = (
    "upload_preset",
    "callback",
    "public_id",
    "folder",
    "asset_folder",
    "tags",
    "context",
    "metadata",
    "face_coordinates",
    "custom_coordinates",
    "source",
    "filename_override",
    "manifest_transformation",
    "manifest_json",
    "template",
    "template_vars",
    "regions",
    "public_id_prefix",
)
#: sent by every SDK with unsigned uploads too, and accepted silently.
_UNSIGNED_IGNORED = ("timestamp",)
STALE_AFTER_SECONDS = 3600


def handle(service: Service, request: Request, route: Route) -> Response:
    """Cloudinary also repeats an upload error's message in ``X-Cld-Error``."""
    try:
        return json_response(200, upload(service, request, route))
    except HttpError as exc:
        return error_response(exc, {"X-Cld-Error": _header_safe(exc.message)})


def _header_safe(message: str) -> str:
    return message.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")


def upload(service: Service, request: Request, route: Route) -> dict[str, object]:
    assert route.cloud is not None
    now = service.clock()
    record = service.store.cloud(route.cloud)
    if record is None:
        raise HttpError(401, f"Invalid cloud_name {route.cloud}")
    if request.headers.get("authorization", "").lower().startswith("bearer"):
        raise HttpError(401, "OAuth Bearer tokens are not supported by the emulator")
    body = wire.parse_body(request.headers.get("content-type"), request.body)
    params: dict[str, object] = {**wire.parse_query(request.query), **body.fields}
    file_field = params.pop("file", None)
    signed = "signature" in params or "api_key" in params
    if signed:
        _verify_signature(record, params, now)
    else:
        _check_unsigned(params)

    preset = _preset(service, record, params, signed)
    source = _source(body.files.get("file"), file_field)
    upload_id = request.headers.get("x-unique-upload-id", "").strip()
    content_range = request.headers.get("content-range", "").strip()
    if upload_id or content_range:
        chunked = _chunk(service, record, (upload_id, content_range), source, route, params)
        if isinstance(chunked, dict):
            return chunked  # an intermediate chunk: Cloudinary's non-final response
        source = chunked
    effective = _effective(preset, params)
    result = store_upload(service, record, route.resource_type, source, effective, signed)
    service.stats.upload(record.account.name)
    if signed:
        result["api_key"] = record.account.api_key
    return result


def _chunk(
    service: Service,
    record: CloudRecord,
    headers: tuple[str, str],
    part: Source,
    route: Route,
    params: Mapping[str, object],
) -> Source | dict[str, object]:
    """Keep one chunk; the assembled file once complete, else the non-final response."""
    upload_id, content_range = headers
    if not (upload_id and content_range):
        raise bad_request(
            "Chunked uploads need both the X-Unique-Upload-Id and the Content-Range headers"
        )
    if part.content is None:
        raise bad_request("Invalid chunk: expected the chunk's bytes as the file part")
    span = chunks.parse_range(content_range)
    cloud = record.account.name
    progress = chunks.receive(service.store, cloud, upload_id, span, part.content)
    if progress.complete:
        return chunks.assembled_source(service.store, cloud, upload_id, part.filename)
    answer: dict[str, object] = {"done": False, "bytes": progress.received, "kind": "upload"}
    if route.resource_type != "auto":
        answer["resource_type"] = route.resource_type
    if _text(params.get("public_id")):
        answer["public_id"] = _text(params.get("public_id"))
    return answer


# --------------------------------------------------------------------------- auth


def _verify_signature(record: CloudRecord, params: Mapping[str, object], now: float) -> None:
    account = record.account
    api_key = _text(params.get("api_key"))
    if not api_key:
        raise HttpError(401, "Must supply api_key")
    if api_key != account.api_key:
        raise HttpError(401, f"Unknown API key {api_key}")
    given = _text(params.get("signature"))
    if not given:
        raise bad_request("Missing required parameter - signature")
    stamp = _text(params.get("timestamp"))
    if not stamp:
        raise bad_request("Missing required parameter - timestamp")
    try:
        reported = int(stamp)
    except ValueError:
        raise bad_request(f"Invalid timestamp {stamp!r}: Unix seconds expected") from None
    if now - reported > STALE_AFTER_SECONDS:
        raise HttpError(
            401, f"Stale request - reported time is {reported} which is more than 1 hour ago"
        )
    if not signature.verify(params, account.api_secret, given):
        to_sign = signature.string_to_sign(params)
        raise HttpError(401, f"Invalid Signature {given}. String to sign - '{to_sign}'.")


def _check_unsigned(params: Mapping[str, object]) -> None:
    """Cloudinary's wording: ``Transformation parameter is not allowed when using unsigned
    upload. Only upload_preset,callback,... upload parameters are allowed.``"""
    for key in params:
        if key not in UNSIGNED_ALLOWED and key not in _UNSIGNED_IGNORED:
            raise bad_request(
                f"{key[:1].upper()}{key[1:]} parameter is not allowed when using unsigned"
                f" upload. Only {','.join(UNSIGNED_ALLOWED)} upload parameters are allowed."
            )


def _preset(
    service: Service, record: CloudRecord, params: Mapping[str, object], signed: bool
) -> PresetRow | None:
    name = _text(params.get("upload_preset"))
    if not name:
        if signed:
            return None
        raise bad_request("Upload preset must be specified when using unsigned upload")
    preset = service.store.preset(record.account.name, name)
    if preset is None:
        raise bad_request("Upload preset not found")
    if not signed:
        if not preset.unsigned:
            raise bad_request("Upload preset must be whitelisted for unsigned uploads")
        if preset.settings.get("disallow_public_id") is True and _text(params.get("public_id")):
            raise bad_request(
                f"public_id is not allowed: upload preset '{name}' has disallow_public_id set"
            )
    return preset


def _effective(preset: PresetRow | None, params: Mapping[str, object]) -> dict[str, object]:
    """Preset settings, overridden by the request's non-empty parameters."""
    effective = dict(preset.settings) if preset else {}
    effective.update({k: v for k, v in params.items() if v not in (None, "", [])})
    return effective


# --------------------------------------------------------------------------- the file


def _source(part: wire.FilePart | None, field: object) -> Source:
    if part is not None:
        name = PurePosixPath(part.filename.replace("\\", "/")).name or "file"
        source = Source.from_bytes(part.content, name)
    elif isinstance(field, str) and field:
        source = _source_from_text(field)
    elif field is not None and field != "":
        raise bad_request("Invalid file parameter: expected file bytes, a data: URI or a URL")
    else:
        raise bad_request("Missing required parameter - file")
    if not source.size:
        raise bad_request("Empty file")
    return source


def _source_from_text(text: str) -> Source:
    if text.startswith("data:"):
        header, sep, payload = text[5:].partition(",")
        if not sep:
            raise bad_request("Invalid data URI: no ',' before the data")
        try:
            if header.endswith(";base64"):
                content = base64.b64decode(payload, validate=False)
            else:
                content = unquote_to_bytes(payload)
        except (binascii.Error, ValueError):
            raise bad_request("Invalid data URI: bad base64 data") from None
        return Source.from_bytes(content, "file")
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https", "ftp", "s3", "gs"):
        try:
            content = net.fetch_loopback(text)
        except ValueError as exc:
            raise bad_request(f"Error in loading {text} - {exc}") from None
        return Source.from_bytes(content, PurePosixPath(urlsplit(text).path).name or "file")
    raise bad_request("Invalid file parameter: expected file bytes, a data: URI or a URL")
