"""An upload's asset: what the file is, its public id, its checks, and the stored result.

Why apart from the request handling in ``upload.py``: once the request is authenticated
and its preset applied, the rest (format rules, ``allowed_formats``, ``overwrite``, the
public id, the moderation chain, the Cloudinary-shaped result) is the same for a plain
upload and for the last chunk of a chunked one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import uuid
from collections.abc import Mapping
from pathlib import PurePosixPath
from urllib.parse import quote

from cloudinary_presets.emulator import chunks, media, moderation_flow, wire
from cloudinary_presets.emulator.clock import iso_time
from cloudinary_presets.emulator.http_error import bad_request
from cloudinary_presets.emulator.moderation import Moderator, parse_moderation, required_addons
from cloudinary_presets.emulator.presets import parse_bool
from cloudinary_presets.emulator.service import Service
from cloudinary_presets.emulator.source import Source
from cloudinary_presets.emulator.store import AssetRow, CloudRecord
from cloudinary_presets.emulator.transformations import (
    TransformationError,
    parse_eager,
    parse_transformation,
)

_ID_ALPHABET = string.ascii_lowercase + string.digits
_VERSION_PREFIX = re.compile(r"^v\d+/")
#: video formats the sniffer recognises: a file named like one must contain one.
_SNIFFED_VIDEO_FORMATS = frozenset(
    {"mp4", "mov", "webm", "mkv", "avi", "wav", "ogg", "ogv", "flv", "flac", "mp3", "m4a", "3gp"}
)
INVALID_IMAGE = "Invalid image file"
UNSUPPORTED_VIDEO = "Unsupported video format or file"


def text(value: object) -> str:
    """A request or preset value as text (lists as the SDK signs them, comma-joined)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def classify(requested: str, head: bytes, filename: str) -> tuple[str, media.MediaInfo]:
    """The resource type an upload is stored as, and what the file is.

    The content decides (sniffed magic bytes); a format the sniffer does not know is
    taken from the file name. An ``image`` upload of anything else is ``Invalid image
    file``, a ``video`` upload ``Unsupported video format or file`` (Cloudinary's
    messages); ``raw`` takes anything; ``auto`` picks by what the file is, else ``raw``.
    """
    sniffed = media.sniff(head)
    named = media.extension_format(filename)
    if sniffed.format is not None:
        kind = media.resource_type_for(sniffed.format)
        info = sniffed
    elif named in media.IMAGE_FORMATS - media.SNIFFED_IMAGE_FORMATS:
        kind, info = "image", media.MediaInfo(named)
    elif named in media.VIDEO_FORMATS - _SNIFFED_VIDEO_FORMATS:
        kind, info = "video", media.MediaInfo(named)
    else:
        kind, info = "raw", media.MediaInfo(named)
    if requested == "auto":
        return kind, info
    if requested == "image" and kind != "image":
        raise bad_request(INVALID_IMAGE)
    if requested == "video" and kind != "video" and info.format != "gif":
        raise bad_request(UNSUPPORTED_VIDEO)
    return requested, info


def _flag(effective: Mapping[str, object], key: str, default: bool) -> bool:
    value = effective.get(key)
    return default if value in (None, "") else parse_bool(key, value)


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def public_id_for(effective: Mapping[str, object], filename: str, resource_type: str) -> str:
    requested = text(effective.get("public_id")).strip("/")
    if requested:
        base = requested
    elif _flag(effective, "use_filename", False):
        name = text(effective.get("filename_override")) or filename
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
        suffix = PurePosixPath(filename).suffix
        if resource_type == "raw" and suffix:
            base += suffix
    prefix = text(effective.get("folder")) or text(effective.get("public_id_prefix"))
    if not prefix and _flag(effective, "use_asset_folder_as_public_id_prefix", False):
        prefix = text(effective.get("asset_folder"))
    prefix = prefix.strip("/")
    return f"{prefix}/{base}" if prefix else base


def target_format(effective: Mapping[str, object], detected: str | None) -> str | None:
    """An explicit ``format`` converts (Cloudinary stores the target format), else detected."""
    requested = text(effective.get("format")).strip().lstrip(".")
    return media.extension_format(f"x.{requested}") if requested else detected


def _check_format(effective: Mapping[str, object], fmt: str | None) -> None:
    allowed_text = text(effective.get("allowed_formats"))
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
        if text(effective.get("transformation")):
            parse_transformation(text(effective.get("transformation")))
        if text(effective.get("eager")):
            parse_eager(text(effective.get("eager")))
    except TransformationError as exc:
        raise exc.to_http() from None


def moderation_chain(
    service: Service, record: CloudRecord, effective: Mapping[str, object]
) -> tuple[str, list[Moderator]]:
    """The ``moderation`` wire string and its chain; a 400 if invalid or an add-on is off."""
    chain_text = text(effective.get("moderation"))
    if not chain_text:
        return "", []
    try:
        chain = parse_moderation(chain_text)
    except ValueError as exc:
        raise bad_request(f"Invalid moderation: {exc}") from None
    enabled = service.enabled_addons(record)
    if enabled is not None:
        for kind in required_addons(chain):
            if kind not in enabled:
                raise bad_request(f"Moderation kind {kind} not supported (add-on not enabled)")
    return chain_text, chain


def delivery_url(
    base_url: str, cloud: str, resource_type: str, version: int, public_id: str, fmt: str | None
) -> str:
    """Where the emulator serves an asset: ``<base>/<cloud>/<type>/upload/v<n>/<id>.<fmt>``."""
    tail = quote(public_id, safe="/")
    if fmt:
        tail = f"{tail}.{fmt}"
    return f"{base_url}/{cloud}/{resource_type}/upload/v{version}/{tail}"


def store_upload(
    service: Service,
    record: CloudRecord,
    requested_type: str,
    source: Source,
    effective: dict[str, object],
    signed: bool,
) -> dict[str, object]:
    """Check, store and describe one uploaded file; the upload result."""
    cloud = record.account.name
    resource_type, info = classify(requested_type, source.head, source.filename)
    fmt = target_format(effective, info.format) if resource_type != "raw" else info.format
    _check_format(effective, fmt)
    _check_transformations(effective)
    context_text = text(effective.get("context"))
    try:
        context = wire.decode_context(context_text) if context_text else {}
        if text(effective.get("metadata")):
            wire.decode_context(text(effective.get("metadata")))
    except ValueError as exc:
        raise bad_request(f"Invalid context or metadata: {exc}") from None
    chain_text, chain = moderation_chain(service, record, effective)

    public_id = public_id_for(effective, source.filename, resource_type)
    runner = service.moderation
    with runner.lock:
        now = service.clock()
        existing = service.store.asset(cloud, resource_type, public_id, with_content=False)
        overwrite = _flag(effective, "overwrite", True) if signed else False
        if existing is not None and not overwrite:
            return {**existing.info, "existing": True}
        version = _next_version(existing, now)
        shown_format = fmt if resource_type != "raw" else None  # raw ids keep the extension
        result = _result(service, record, effective, source, (resource_type, public_id), now)
        result["version"] = version
        url = delivery_url(
            service.base_url(), cloud, resource_type, version, public_id, shown_format
        )
        if resource_type == "image" and info.width is not None and info.height is not None:
            result["width"], result["height"] = info.width, info.height
        if shown_format:
            result["format"] = shown_format
        result.update({"url": url, "secure_url": url, "asset_id": _asset_id(existing)})
        result["signature"] = hashlib.sha1(
            f"public_id={public_id}&version={version}{record.account.api_secret}".encode()
        ).hexdigest()
        if context:
            result["context"] = {"custom": context}
        step = runner.initial(chain, source.sha256, now) if chain else None
        if step is not None:
            result.update(_moderation_fields(step))
        result = _ordered(result)
        key = (resource_type, public_id)
        if source.content is not None:
            service.store.put_asset(cloud, *key, source.sha256, source.content, result)
        else:
            chunks.store_assembled(service.store, cloud, key, source, result)
        runner.track(record, key, result, chain_text, step, text(effective.get("notification_url")))
    return result


def _moderation_fields(step: moderation_flow.Step) -> dict[str, object]:
    status = moderation_flow.overall(step.entries)
    return {
        "moderation": step.entries,
        "moderation_status": status,
        "placeholder": status == "rejected",
    }


def _asset_id(existing: AssetRow | None) -> object:
    return existing.info.get("asset_id") if existing else uuid.uuid4().hex


def _result(
    service: Service,
    record: CloudRecord,
    effective: Mapping[str, object],
    source: Source,
    key: tuple[str, str],
    now: float,
) -> dict[str, object]:
    resource_type, public_id = key
    asset_folder = text(effective.get("asset_folder")) or text(effective.get("folder")).strip("/")
    original = PurePosixPath(text(effective.get("filename_override")) or source.filename).stem
    display_name = text(effective.get("display_name"))
    if not display_name:
        use_original = _flag(effective, "use_filename_as_display_name", False)
        display_name = original if use_original else public_id.rsplit("/", 1)[-1]
    return {
        "public_id": public_id,
        "version_id": secrets.token_hex(16),
        "resource_type": resource_type,
        "created_at": iso_time(now),
        "tags": wire.decode_list(text(effective.get("tags"))),
        "bytes": source.size,
        "type": "upload",
        "etag": source.md5,
        "placeholder": False,
        "asset_folder": asset_folder,
        "display_name": display_name,
        "original_filename": original,
    }


_ORDER = (
    "asset_id",
    "public_id",
    "version",
    "version_id",
    "signature",
    "width",
    "height",
    "format",
)


def _ordered(result: dict[str, object]) -> dict[str, object]:
    """Cloudinary's field order (identifiers first), for readable responses."""
    head = {key: result[key] for key in _ORDER if key in result}
    return {**head, **{k: v for k, v in result.items() if k not in head}}


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
