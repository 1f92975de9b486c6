"""Typed presets <-> Cloudinary's wire forms.

Cloudinary takes settings as strings (``tags: "a,b"``, ``context: "k=v|k2=v2"``,
transformations as strings, booleans as ``"1"``/``"0"``) and echoes them in two shapes:
the list endpoint returns those raw strings, the get-one endpoint returns parsed values
(arrays, objects, transformation step objects with long names). :func:`encode` writes
the request body the official SDK would send; :func:`decode` reads either response
shape into the same :class:`~cloudinary_presets.model.preset.Preset`, which compares
itself canonically (``Preset.canonical``: tag order, ``0.7`` vs ``0.70``, ``true`` vs
``"1"``, empty vs absent). Settings the model does not know, or cannot read, are kept in
``extra_settings`` and never dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cloudinary_presets.model.fields import Wire
from cloudinary_presets.model.moderation import parse_remote_moderation
from cloudinary_presets.model.preset import SETTING_KEYS, UPLOAD_PARAMETERS, Preset, wire_kind
from cloudinary_presets.model.transformations import EagerTransformation, Transformation
from cloudinary_presets.model.values import plain
from cloudinary_presets.model.wording import shorten

#: preset-level keys that Cloudinary echoes inside ``settings``
_LEVEL_IN_SETTINGS = ("disallow_public_id", "live", "parameter_whitelist")
#: keys never sent as settings: the preset's identity and its signing mode
_NEVER_CLEARED = frozenset({"name", "unsigned"})
_TRUE = frozenset({True, "1", "true", "True", "TRUE"})
_FALSE = frozenset({False, "0", "false", "False", "FALSE"})
#: upload parameter -> its wire encoding (``wire_kind`` reads the field metadata each call)
_KINDS: dict[str, Wire] = {key: wire_kind(attr) for key, attr in SETTING_KEYS.items()}


# --------------------------------------------------------------------------- encoding


def _escape(value: str) -> str:
    return value.replace("=", "\\=").replace("|", "\\|")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_value(kind: Wire, value: Any) -> Any:
    """One setting in the form Cloudinary's Admin API takes it (as the SDK sends it)."""
    if kind is Wire.BOOL:
        return "1" if value else "0"
    if kind is Wire.NUMBER:
        return repr(float(value))
    if kind is Wire.CSV:
        return ",".join(value)
    if kind is Wire.KEY_VALUE:
        return "|".join(
            # as the SDK does: lists are JSON, then escaped like any value ("a|b" must not split)
            f"{k}={_escape(_compact(v) if isinstance(v, list) else v)}"
            for k, v in value.items()
        )
    if kind is Wire.HEADERS:
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    if kind is Wire.EAGER:
        return "|".join(str(item) for item in value)
    if kind is Wire.COORDINATES:
        return "|".join(",".join(str(n) for n in box) for box in value)
    if kind is Wire.JSON:
        return _compact(plain(value))
    return str(value)  # STRING, TRANSFORMATION, MODERATION


def encode(preset: Preset, *, name: str | None = None, clear: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON body for create (with ``name``) or update: the full desired settings.

    ``clear``: settings the remote holds and the preset does not; each is sent in the
    form that clears it (:func:`cleared`), so one update converges whether Cloudinary
    replaces the stored settings with the sent ones or merges the sent ones into them.
    """
    body: dict[str, Any] = {
        "name": name or preset.name,
        "unsigned": preset.unsigned,
        "disallow_public_id": preset.disallow_public_id,
    }
    if preset.live is not None:
        body["live"] = preset.live
    if preset.parameter_whitelist is not None:
        body["parameter_whitelist"] = preset.parameter_whitelist
    for key, value in preset.settings_dict().items():
        body[key] = encode_value(_KINDS[key], value)
    body.update(preset.extra_settings)
    for key in clear:
        if key not in body and key not in _NEVER_CLEARED:
            body[key] = cleared(key)
    return body


def cleared(key: str) -> Any:
    """The value that unsets ``key``: ``false`` for ``live`` (an empty value would leave it
    set where Cloudinary keeps an absent ``live``), ``""`` for everything else.

    ``""`` is the only "no value" every client can send (a form field cannot be null, and
    the official SDK drops empty values, so its own updates never clear anything); under
    a replacing PUT it reads as "not set", under a merging one it clears the setting.
    """
    return False if key == "live" else ""


def sent_keys(preset: Preset) -> frozenset[str]:
    """The parameters an update of ``preset`` sends with a value (besides ``name``)."""
    return frozenset(encode(preset)) - {"name"}


# --------------------------------------------------------------------------- decoding


class _Unreadable(ValueError):
    """A remote value this tool cannot model; it is kept raw in extra_settings."""


def to_bool(value: Any) -> bool:
    if isinstance(value, (list, dict)):  # unhashable: `in` a frozenset would raise TypeError
        raise _Unreadable(f"expected a boolean, got {value!r}")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _Unreadable(f"expected a boolean, got {value!r}")


def _split_unescaped(text: str, sep: str) -> list[str]:
    return re.split(rf"(?<!\\){re.escape(sep)}", text)


def _list_value(item: Any, allow_lists: bool) -> Any:
    """A multi-select metadata value travels as a JSON list inside the string form; the
    get-one form may echo it parsed or still as that JSON text: read both the same way."""
    if allow_lists and isinstance(item, str) and item.startswith("["):
        try:
            return json.loads(item)  # valid JSON that starts with "[" is a list
        except ValueError:
            return item
    return item


def _key_values(value: Any, *, allow_lists: bool) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): _list_value(v, allow_lists) for k, v in value.items()}
    if not isinstance(value, str):
        raise _Unreadable(f"expected k=v|k2=v2, got {value!r}")
    out: dict[str, Any] = {}
    for pair in _split_unescaped(value, "|"):
        if not pair:
            continue
        key, sep, item = pair.partition("=")
        if not sep:
            raise _Unreadable(f"{pair!r} is not key=value")
        item = item.replace("\\=", "=").replace("\\|", "|")
        out[key] = _list_value(item, allow_lists)
    return out


def _headers(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value)
    if not isinstance(value, str):
        raise _Unreadable(f"expected header lines, got {value!r}")
    out = {}
    for line in value.splitlines():
        if line.strip():
            key, sep, item = line.partition(":")
            if not sep:
                raise _Unreadable(f"{line!r} is not `Header: value`")
            out[key.strip()] = item.strip()
    return out


def _csv(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    raise _Unreadable(f"expected a comma-separated list, got {value!r}")


def _transformation(value: Any) -> Transformation:
    if isinstance(value, str):
        return Transformation.parse(value)
    if isinstance(value, Mapping):
        value = [value]
    if isinstance(value, list):
        return Transformation.from_steps(value, lenient=True)
    raise _Unreadable(f"expected a transformation, got {value!r}")


def _eager_item(item: Any) -> EagerTransformation:
    if isinstance(item, str):
        return EagerTransformation.parse(item)
    if isinstance(item, Mapping) and "transformation" in item:
        inner = _transformation(item["transformation"])
        fmt = item.get("format")
        return EagerTransformation(inner, str(fmt) if fmt else None)
    if isinstance(item, Mapping):
        item = [item]
    if isinstance(item, list):
        return EagerTransformation.from_steps(item, lenient=True)
    raise _Unreadable(f"expected an eager transformation, got {item!r}")


def _eager(value: Any) -> list[EagerTransformation]:
    if isinstance(value, str):
        return [EagerTransformation.parse(part) for part in value.split("|") if part.strip()]
    if isinstance(value, list):
        return [_eager_item(item) for item in value]
    raise _Unreadable(f"expected eager transformations, got {value!r}")


def _coordinates(value: Any) -> list[list[int]]:
    if isinstance(value, str):
        boxes = [box.split(",") for box in value.split("|") if box.strip()]
    elif isinstance(value, list):
        boxes = value
    else:
        raise _Unreadable(f"expected coordinates, got {value!r}")
    try:
        return [[int(float(n)) for n in box] for box in boxes]
    except (TypeError, ValueError, OverflowError):  # OverflowError: "inf"
        raise _Unreadable(f"expected numeric coordinates, got {value!r}") from None


def _whitelist(value: Any) -> list[str]:
    """Parameter names; one this tool does not know keeps the whole list raw (a definition
    may only name known parameters, so a typo there is caught)."""
    names = _csv(value)
    unknown = [n for n in names if n not in UPLOAD_PARAMETERS]
    if unknown:
        raise _Unreadable(f"unknown upload parameter(s) {', '.join(unknown)}")
    return names


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _Unreadable(f"expected JSON, got {value!r}") from None
    return value


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _Unreadable(f"expected a number, got {value!r}") from None


_DECODERS: dict[Wire, Callable[[Any], Any]] = {
    Wire.BOOL: to_bool,
    Wire.NUMBER: _number,
    Wire.CSV: _csv,
    Wire.HEADERS: _headers,
    Wire.TRANSFORMATION: _transformation,
    Wire.EAGER: _eager,
    Wire.MODERATION: lambda v: parse_remote_moderation(v) if isinstance(v, str) else _fail(v),
    Wire.COORDINATES: _coordinates,
    Wire.JSON: _json,
}


def _fail(value: Any) -> Any:
    raise _Unreadable(f"unexpected value {value!r}")


def decode_value(key: str, value: Any) -> Any:
    """One echoed setting -> the value the model takes (raises if unreadable)."""
    kind = _KINDS[key]
    if kind is Wire.KEY_VALUE:
        return _key_values(value, allow_lists=key == "metadata")
    decoder = _DECODERS.get(kind)
    if decoder is not None:
        return decoder(value)
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise _Unreadable(f"expected a string, got {value!r}")
    return value


def _raw(value: Any) -> Any:
    """An unknown or unreadable echoed value, kept verbatim but for a non-finite number,
    at any depth: not JSON, a definition cannot hold it either; kept as its repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [_raw(item) for item in value]
    if isinstance(value, dict):
        return {key: _raw(item) for key, item in value.items()}
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass(frozen=True)
class Decoded:
    """A remote preset as a typed preset, plus what could not be modelled and why, and
    which parameters it stores (with a value): what an update may have to clear."""

    preset: Preset
    unreadable: tuple[tuple[str, str], ...] = ()
    stored: frozenset[str] = frozenset()


def stored_keys(raw: Mapping[str, Any]) -> frozenset[str]:
    """The parameters a listed or fetched preset stores with a value (never ``name`` or
    ``unsigned``): what an update that does not send them must clear."""
    settings = raw.get("settings")
    keys = {k for k in _LEVEL_IN_SETTINGS if not _empty(raw.get(k))}
    if isinstance(settings, Mapping):
        keys.update(str(k) for k, v in settings.items() if not _empty(v))
    return frozenset(keys - _NEVER_CLEARED)


def decode(raw: Mapping[str, Any]) -> Decoded:
    """Read a preset from the list or the get-one response (or a mix) into a Preset.

    Lenient by design: whatever Cloudinary stores is kept (a value the model cannot
    take goes to ``extra_settings`` verbatim); only a preset without a usable name
    raises ``ValueError``.
    """
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("a remote preset without a name")
    settings = raw.get("settings") or {}
    if not isinstance(settings, Mapping):
        raise ValueError(f"its settings are not a map: {shorten(repr(settings))}")
    data: dict[str, Any] = {"name": name, "settings": {}, "extra_settings": {}}
    unreadable: list[tuple[str, str]] = []
    try:
        data["unsigned"] = to_bool(raw.get("unsigned", False))
    except _Unreadable:
        data["unsigned"] = False
        unreadable.append(("unsigned", f"unexpected value {raw.get('unsigned')!r}"))
    level = {k: raw[k] for k in _LEVEL_IN_SETTINGS if k in raw}
    level.update({k: settings[k] for k in _LEVEL_IN_SETTINGS if k in settings})
    for key, value in level.items():
        if _empty(value):
            continue
        try:
            if key == "parameter_whitelist":
                data[key] = value if value == "none" else _whitelist(value)
            else:
                data[key] = to_bool(value)
        except _Unreadable as exc:
            unreadable.append((key, str(exc)))
            data["extra_settings"][key] = _raw(value)
    for key, value in settings.items():
        if key in _LEVEL_IN_SETTINGS or _empty(value):
            continue
        if key in _NEVER_CLEARED:  # not a setting: the preset's identity or signing mode
            unreadable.append((key, "ignored inside settings"))
            continue
        if key not in SETTING_KEYS:
            data["extra_settings"][key] = _raw(value)
            continue
        try:
            data["settings"][key] = decode_value(key, value)
        except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:  # kept raw
            unreadable.append((key, str(exc)))
            data["extra_settings"][key] = _raw(value)
    preset = _validate_remote(data, unreadable, {**settings, **level})
    return Decoded(preset, tuple(unreadable), stored_keys(raw))


def _validate_remote(
    data: dict[str, Any], unreadable: list[tuple[str, str]], echoed: Mapping[str, Any]
) -> Preset:
    """Validate leniently; a setting the model rejects moves to extra_settings, as it was
    echoed (``echoed``: the settings of the response). Each pass moves a setting out or
    raises, so it ends."""
    while True:
        try:
            return Preset.model_validate(data, context={"remote": True})
        except ValidationError as exc:
            moved = False
            for err in exc.errors():
                loc = err["loc"]
                if len(loc) >= 2 and loc[0] == "settings" and loc[1] in data["settings"]:
                    key = str(loc[1])
                    unreadable.append((key, str(err["msg"])))
                    data["settings"].pop(key)
                    data["extra_settings"][key] = _raw(echoed[key])
                    moved = True
                elif loc and loc[0] in _LEVEL_IN_SETTINGS:
                    key = str(loc[0])
                    data.pop(key)
                    data["extra_settings"][key] = _raw(echoed[key])
                    unreadable.append((key, str(err["msg"])))
                    moved = True
            if not moved:
                raise
