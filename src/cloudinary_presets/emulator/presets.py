"""Upload-preset semantics: what a create/update body stores, and the two read forms.

Why: Cloudinary stores preset settings as the raw wire strings it received and returns
them raw in the list response but *parsed* in the single-preset response (reference
section 2). Keeping both directions here, next to the validation of incoming values,
means the Admin handlers, the bulk seeding API and the tests all agree on what a
stored preset is.

Incoming values: booleans accept ``true``/``false``/``"true"``/``"false"``/``"1"``/``"0"``
and are stored as JSON booleans; ``tags``/``allowed_formats`` accept a comma string or
a list and are stored comma-joined; ``""`` and ``null`` mean "not set"; ``timestamp``
(injected by the SDK) is ignored; unknown keys are stored as given. Settings with a
grammar (``transformation``, ``eager``, ``context``, ``metadata``, ``headers``) must
arrive as their wire string, as the SDK sends them: a structured value there is a
client bug the emulator reports instead of guessing an encoding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from cloudinary_presets.emulator import wire
from cloudinary_presets.emulator.http_error import HttpError, bad_request
from cloudinary_presets.emulator.moderation import parse_moderation, required_addons
from cloudinary_presets.emulator.store import PresetRow
from cloudinary_presets.emulator.transformations import (
    TransformationError,
    parse_eager,
    parse_transformation,
)

#: upload parameters stored (and returned) as JSON booleans.
BOOLEAN_PARAMS = frozenset(
    {
        "unsigned",
        "disallow_public_id",
        "live",
        "backup",
        "faces",
        "image_metadata",
        "media_metadata",
        "exif",
        "colors",
        "use_filename",
        "unique_filename",
        "use_filename_as_display_name",
        "discard_original_filename",
        "invalidate",
        "eager_async",
        "use_asset_folder_as_public_id_prefix",
        "unique_display_name",
        "overwrite",
        "quality_analysis",
        "visual_search",
        "phash",
        "return_delete_token",
        "async",
        "cinemagraph_analysis",
        "accessibility_analysis",
        "auto_chaptering",
        "clear_invalid",
    }
)
#: the SDK's other "simple" upload parameters: plain strings, passed through.
STRING_PARAMS = frozenset(
    {
        "public_id",
        "public_id_prefix",
        "callback",
        "format",
        "type",
        "display_name",
        "filename_override",
        "notification_url",
        "eager_notification_url",
        "eval",
        "on_success",
        "proxy",
        "folder",
        "asset_folder",
        "moderation",
        "raw_convert",
        "quality_override",
        "ocr",
        "categorization",
        "detection",
        "similarity_search",
        "background_removal",
        "upload_preset",
        "batch_id",
    }
)
LIST_PARAMS = frozenset({"tags", "allowed_formats"})
GRAMMAR_PARAMS = frozenset({"transformation", "eager", "context", "metadata", "headers"})
COORDINATE_PARAMS = frozenset({"face_coordinates", "custom_coordinates"})
JSON_PARAMS = frozenset(
    {"access_control", "regions", "responsive_breakpoints", "auto_transcription"}
)
NUMBER_PARAMS = frozenset({"auto_tagging"})
IGNORED_PARAMS = frozenset({"timestamp"})

_TRUE = ("true", "1")
_FALSE = ("false", "0")


@dataclass(frozen=True)
class PresetBody:
    """A create/update body, validated: the name, ``unsigned`` and the stored settings."""

    name: str | None
    unsigned: bool | None
    settings: dict[str, object]
    dropped: tuple[str, ...] = ()  # settings silently dropped (disabled add-ons)
    cleared: frozenset[str] = frozenset()  # settings sent empty ("", null, []): "not set"


def parse_bool(key: str, value: object) -> bool:
    """``true``/``false``/``"true"``/``"false"``/``"1"``/``"0"`` (and 1/0) -> bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise bad_request(f"Invalid boolean value for {key}: {value!r} (use true or false)")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar_text(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    raise bad_request(f"Invalid value for {key}: expected a string, got {type(value).__name__}")


def _wire_value(key: str, value: object) -> object:
    """Validate one incoming setting and return what is stored (None = not set)."""
    if value is None or value == "" or value == []:
        return None
    if key in BOOLEAN_PARAMS:
        return parse_bool(key, value)
    if key in LIST_PARAMS:
        if isinstance(value, list):
            items = [_scalar_text(key, item) for item in value]
            return ",".join(items) if items else None
        return _scalar_text(key, value)
    if key in GRAMMAR_PARAMS:
        if not isinstance(value, str):
            raise bad_request(
                f"Invalid value for {key}: send Cloudinary's string encoding"
                f" (for example {_EXAMPLES[key]}), not a JSON {type(value).__name__}"
            )
        _check_grammar(key, value)
        return value
    if key in COORDINATE_PARAMS:
        return _coordinates(key, value)
    if key in JSON_PARAMS:
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError:
                raise bad_request(f"Invalid value for {key}: not valid JSON") from None
            return value
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if key in NUMBER_PARAMS:
        return _confidence(key, value)
    if key in STRING_PARAMS:
        text = _scalar_text(key, value)
        if key == "moderation":
            try:
                parse_moderation(text)
            except ValueError as exc:
                raise bad_request(f"Invalid moderation: {exc}") from None
        return text
    return value  # unknown: stored and echoed as given


_EXAMPLES = {
    "transformation": "'c_scale,w_100/q_auto'",
    "eager": "'c_fill,w_200/webp|c_thumb,w_50'",
    "context": "'alt=x\\=y|k=v'",
    "metadata": "'field=value|other=v'",
    "headers": "'X-Robots-Tag: noindex'",
}


def _check_grammar(key: str, text: str) -> None:
    try:
        if key == "transformation":
            parse_transformation(text)
        elif key == "eager":
            parse_eager(text)
        elif key in ("context", "metadata"):
            wire.decode_context(text)
        else:
            wire.decode_headers(text)
    except TransformationError as exc:
        raise exc.to_http() from None
    except ValueError as exc:
        raise bad_request(f"Invalid value for {key}: {exc}") from None


def _coordinates(key: str, value: object) -> str:
    if isinstance(value, list):
        groups = []
        for group in value:
            if not isinstance(group, list) or not all(_is_number(n) for n in group):
                raise bad_request(f"Invalid value for {key}: expected [[x, y, width, height], ...]")
            groups.append(",".join(str(n) for n in group))
        text = "|".join(groups)
    else:
        text = _scalar_text(key, value)
    try:
        wire.decode_coordinates(text)
    except ValueError as exc:
        raise bad_request(f"Invalid value for {key}: {exc}") from None
    return text


def _confidence(key: str, value: object) -> str:
    text = _scalar_text(key, value)
    try:
        number = wire.decode_number(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 1:
        raise bad_request(f"Invalid value for {key}: {text!r} must be a number from 0 to 1")
    return text


def normalize_body(
    params: Mapping[str, object], enabled_addons: frozenset[str] | None
) -> PresetBody:
    """Validate a create/update body; ``enabled_addons`` None means every add-on."""
    name: str | None = None
    unsigned: bool | None = None
    settings: dict[str, object] = {}
    cleared: set[str] = set()
    for key, value in params.items():
        if key in IGNORED_PARAMS:
            continue
        if key == "name":
            if value not in (None, ""):
                name = _scalar_text("name", value)
            continue
        stored = _wire_value(key, value)
        if stored is None:
            cleared.add(key)
            continue
        if key == "unsigned":
            unsigned = bool(stored)
        else:
            settings[key] = stored
    dropped: tuple[str, ...] = ()
    moderation = settings.get("moderation")
    if isinstance(moderation, str) and enabled_addons is not None:
        missing = [
            a for a in required_addons(parse_moderation(moderation)) if a not in enabled_addons
        ]
        if missing:
            del settings["moderation"]  # Cloudinary drops add-on parameters silently
            dropped = ("moderation",)
    return PresetBody(name, unsigned, settings, dropped, frozenset(cleared - {"unsigned"}))


# --------------------------------------------------------------------------- read forms


def list_form(row: PresetRow) -> dict[str, object]:
    """A preset as ``GET /upload_presets`` shows it: settings exactly as stored."""
    return {
        "name": row.name,
        "unsigned": row.unsigned,
        "settings": dict(row.settings),
        "external_id": row.external_id,
    }


def detail_form(row: PresetRow) -> dict[str, object]:
    """A preset as ``GET /upload_presets/<name>`` shows it: settings parsed."""
    return {
        "name": row.name,
        "unsigned": row.unsigned,
        "settings": {key: parsed_setting(key, value) for key, value in row.settings.items()},
        "external_id": row.external_id,
    }


def parsed_setting(key: str, value: object) -> object:
    """One stored setting in its parsed form (unknown keys and odd values unchanged)."""
    if not isinstance(value, str):
        return value
    try:
        if key in LIST_PARAMS:
            return wire.decode_list(value)
        if key == "transformation":
            return parse_transformation(value)
        if key == "eager":
            return parse_eager(value)
        if key in ("context", "metadata"):
            return wire.decode_context(value)
        if key == "headers":
            return wire.decode_headers(value)
        if key in COORDINATE_PARAMS:
            return wire.decode_coordinates(value)
        if key in JSON_PARAMS:
            return json.loads(value)
        if key in NUMBER_PARAMS:
            return wire.decode_number(value)
    except ValueError:
        return value
    return value


def not_found(name: str) -> HttpError:
    return HttpError(404, f"Can't find upload preset named {name}")
