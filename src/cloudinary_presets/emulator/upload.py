"""The Upload API: signed and unsigned uploads that apply a preset, with moderation.

Why: a preset only matters through the uploads it shapes. ``presets upload`` smoke
tests, demos and the moderation simulator need an upload endpoint that enforces what
a preset promises (unsigned-only parameters, ``disallow_public_id``, ``allowed_formats``
checked against the real bytes, ``overwrite``, the moderation chain) and returns a
Cloudinary-shaped result whose URLs the emulator itself can serve.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, unquote_to_bytes, urlsplit

from cloudinary_presets.emulator import media, net, signature, wire
from cloudinary_presets.emulator.clock import iso_time
from cloudinary_presets.emulator.http_error import HttpError, bad_request
from cloudinary_presets.emulator.messages import Request, Response, error_response, json_response
from cloudinary_presets.emulator.moderation import parse_moderation, required_addons, run_chain
from cloudinary_presets.emulator.presets import parse_bool
from cloudinary_presets.emulator.routes import Route
from cloudinary_presets.emulator.service import Service
from cloudinary_presets.emulator.store import AssetRow, CloudRecord, PresetRow
from cloudinary_presets.emulator.transformations import (
    TransformationError,
    parse_eager,
    parse_transformation,
)

#: parameters an unsigned upload may pass (everything else comes from the preset).
UNSIGNED_ALLOWED = (
    "upload_preset",
    "public_id",
    "folder",
    "asset_folder",
    "tags",
    "context",
    "metadata",
    "face_coordinates",
    "custom_coordinates",
    "regions",
    "filename_override",
    "timestamp",
)
STALE_AFTER_SECONDS = 3600
_ID_ALPHABET = string.ascii_lowercase + string.digits
_VERSION_PREFIX = re.compile(r"^v\d+/")


@dataclass(frozen=True)
class Source:
    """The uploaded bytes and the name they came with (for ``use_filename``)."""

    content: bytes
    filename: str


def handle(service: Service, request: Request, route: Route) -> Response:
    try:
        return json_response(200, upload(service, request, route))
    except HttpError as exc:
        return error_response(exc)


def _text(value: object) -> str:
    """A request or preset value as text (lists as the SDK signs them, comma-joined)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
    effective = _effective(preset, params)
    result = _store_upload(service, record, route.resource_type, source, effective, signed, now)
    service.stats.upload(record.account.name)
    if signed:
        result["api_key"] = record.account.api_key
    return result


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
    extra = sorted(key for key in params if key not in UNSIGNED_ALLOWED)
    if extra:
        raise bad_request(
            f"Invalid parameter(s) for an unsigned upload: {', '.join(extra)}."
            f" Allowed: {', '.join(UNSIGNED_ALLOWED)}"
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
        source = Source(part.content, PurePosixPath(part.filename).name or "file")
    elif isinstance(field, str) and field:
        source = _source_from_text(field)
    elif field is not None and field != "":
        raise bad_request("Invalid file parameter: expected file bytes, a data: URI or a URL")
    else:
        raise bad_request("Missing required parameter - file")
    if not source.content:
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
        return Source(content, "file")
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https", "ftp", "s3", "gs"):
        try:
            content = net.fetch_loopback(text)
        except ValueError as exc:
            raise bad_request(f"Error in loading {text} - {exc}") from None
        return Source(content, PurePosixPath(urlsplit(text).path).name or "file")
    raise bad_request("Invalid file parameter: expected file bytes, a data: URI or a URL")


# --------------------------------------------------------------------------- the asset


def _flag(effective: Mapping[str, object], key: str, default: bool) -> bool:
    value = effective.get(key)
    return default if value in (None, "") else parse_bool(key, value)


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _public_id(effective: Mapping[str, object], source: Source, resource_type: str) -> str:
    requested = _text(effective.get("public_id")).strip("/")
    if requested:
        base = requested
    elif _flag(effective, "use_filename", False):
        name = _text(effective.get("filename_override")) or source.filename
        path = PurePosixPath(name)
        stem = path.name if resource_type == "raw" else path.stem
        base = stem or _random_id(20)
        if _flag(effective, "unique_filename", True):
            if resource_type == "raw" and path.suffix:
                base = f"{path.stem}_{_random_id(6)}{path.suffix}"
            else:
                base = f"{base}_{_random_id(6)}"
    else:
        base = _random_id(20)
        suffix = PurePosixPath(source.filename).suffix
        if resource_type == "raw" and suffix:
            base += suffix
    prefix = _text(effective.get("folder")) or _text(effective.get("public_id_prefix"))
    if not prefix and _flag(effective, "use_asset_folder_as_public_id_prefix", False):
        prefix = _text(effective.get("asset_folder"))
    prefix = prefix.strip("/")
    return f"{prefix}/{base}" if prefix else base


def _check_format(effective: Mapping[str, object], fmt: str | None) -> None:
    allowed_text = _text(effective.get("allowed_formats"))
    if not allowed_text:
        return
    allowed = {media.extension_format(f"x.{f}") for f in wire.decode_list(allowed_text)}
    if fmt not in allowed:
        shown = fmt or "unknown"
        raise bad_request(
            f"Image file format {shown} not allowed (allowed formats: {allowed_text})"
        )


def _check_transformations(effective: Mapping[str, object]) -> None:
    """Incoming and eager transformations are validated (not applied: no image processing)."""
    try:
        if _text(effective.get("transformation")):
            parse_transformation(_text(effective.get("transformation")))
        if _text(effective.get("eager")):
            parse_eager(_text(effective.get("eager")))
    except TransformationError as exc:
        raise exc.to_http() from None


def _moderation(
    service: Service, record: CloudRecord, effective: Mapping[str, object], digest: str, now: float
) -> tuple[list[dict[str, object]], str] | None:
    text = _text(effective.get("moderation"))
    if not text:
        return None
    try:
        chain = parse_moderation(text)
    except ValueError as exc:
        raise bad_request(f"Invalid moderation: {exc}") from None
    enabled = service.enabled_addons(record)
    if enabled is not None:
        for kind in required_addons(chain):
            if kind not in enabled:
                raise bad_request(f"Moderation kind {kind} not supported (add-on not enabled)")
    labels = service.store.labels(digest)
    outcome = run_chain(chain, labels, iso_time(now))
    return outcome.entries, outcome.status


def delivery_url(
    base_url: str, cloud: str, resource_type: str, version: int, public_id: str, fmt: str | None
) -> str:
    """Where the emulator serves an asset: ``<base>/<cloud>/<type>/upload/v<n>/<id>.<fmt>``."""
    tail = quote(public_id, safe="/")
    if fmt:
        tail = f"{tail}.{fmt}"
    return f"{base_url}/{cloud}/{resource_type}/upload/v{version}/{tail}"


def _store_upload(
    service: Service,
    record: CloudRecord,
    requested_type: str,
    source: Source,
    effective: dict[str, object],
    signed: bool,
    now: float,
) -> dict[str, object]:
    cloud = record.account.name
    info = media.detect(source.content, source.filename)
    resource_type = (
        media.resource_type_for(info.format) if requested_type == "auto" else requested_type
    )
    if resource_type == "image" and info.format not in media.IMAGE_FORMATS:
        raise bad_request("Invalid image file")
    _check_format(effective, info.format)
    _check_transformations(effective)
    context_text = _text(effective.get("context"))
    tags_text = _text(effective.get("tags"))
    try:
        context = wire.decode_context(context_text) if context_text else {}
        if _text(effective.get("metadata")):
            wire.decode_context(_text(effective.get("metadata")))
    except ValueError as exc:
        raise bad_request(f"Invalid context or metadata: {exc}") from None

    public_id = _public_id(effective, source, resource_type)
    existing = service.store.asset(cloud, resource_type, public_id)
    overwrite = _flag(effective, "overwrite", True) if signed else False
    if existing is not None and not overwrite:
        return {**existing.info, "existing": True}

    digest = hashlib.sha256(source.content).hexdigest()
    moderation = _moderation(service, record, effective, digest, now)
    version = _next_version(existing, now)
    fmt = info.format if resource_type != "raw" else None  # raw public ids keep the extension
    url = delivery_url(service.base_url(), cloud, resource_type, version, public_id, fmt)
    asset_folder = _text(effective.get("asset_folder")) or _text(effective.get("folder")).strip("/")
    original = PurePosixPath(_text(effective.get("filename_override")) or source.filename).stem
    display_name = _text(effective.get("display_name"))
    if not display_name:
        use_original = _flag(effective, "use_filename_as_display_name", False)
        display_name = original if use_original else public_id.rsplit("/", 1)[-1]
    result: dict[str, object] = {
        "asset_id": existing.info.get("asset_id") if existing else uuid.uuid4().hex,
        "public_id": public_id,
        "version": version,
        "version_id": secrets.token_hex(16),
        "signature": hashlib.sha1(
            f"public_id={public_id}&version={version}{record.account.api_secret}".encode()
        ).hexdigest(),
    }
    if resource_type == "image" and info.width is not None and info.height is not None:
        result["width"], result["height"] = info.width, info.height
    if fmt:
        result["format"] = fmt
    result.update(
        {
            "resource_type": resource_type,
            "created_at": iso_time(now),
            "tags": wire.decode_list(tags_text),
            "bytes": len(source.content),
            "type": "upload",
            "etag": hashlib.md5(source.content, usedforsecurity=False).hexdigest(),
            "placeholder": False,
            "url": url,
            "secure_url": url,
            "asset_folder": asset_folder,
            "display_name": display_name,
            "original_filename": original,
        }
    )
    if context:
        result["context"] = {"custom": context}
    if moderation is not None:
        result["moderation"], result["moderation_status"] = moderation
    service.store.put_asset(cloud, resource_type, public_id, digest, source.content, result)
    return result


def _next_version(existing: AssetRow | None, now: float) -> int:
    version = int(now)
    previous = existing.info.get("version") if existing else None
    if isinstance(previous, int) and previous >= version:
        version = previous + 1
    return version


def find_asset(service: Service, cloud: str, resource_type: str, path: str) -> AssetRow | None:
    """The stored asset a delivery path (``v123/folder/id.png``) names."""
    path = _VERSION_PREFIX.sub("", path)
    found = service.store.asset(cloud, resource_type, path)
    if found is None and "." in PurePosixPath(path).name:
        found = service.store.asset(cloud, resource_type, path.rsplit(".", 1)[0])
    return found
