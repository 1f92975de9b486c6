"""The machinery of the typed preset: strict custom field types and their JSON Schemas.

Each custom type keeps its static type visible to type checkers (``Annotated[str, ...]``)
while pydantic runs our validator, which raises an error that says what is wrong and how
to fix it, and the JSON Schema is written by hand to say exactly the same. Each settings
field also carries its :class:`Wire` encoding (read by the codec) and, where it matters,
its value kind (``x-value``: how it is compared and shown, see :mod:`values`).

Validation context (``model_validate(..., context=...)``):

* ``categories``: the accepted Rekognition category names (taxonomy + configured extras);
* ``remote``: ``True`` when decoding what Cloudinary stores: names and categories are
  accepted as they are, because the tool must be able to show and import anything.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from cloudinary_presets.model.names import NAME_PATTERN, NAME_RULE, is_valid_name
from cloudinary_presets.model.wording import shorten, suggest, type_message


class Wire(enum.Enum):
    """How a setting travels to Cloudinary (read by the codec from the field's metadata)."""

    STRING = "string"
    BOOL = "bool"  # "1"/"0" in request bodies; JSON booleans in responses
    NUMBER = "number"
    CSV = "csv"  # list <-> "a,b"
    KEY_VALUE = "key_value"  # map <-> "k=v|k2=v2" with = and | escaped
    HEADERS = "headers"  # map <-> "K: V\nK2: V2"
    TRANSFORMATION = "transformation"
    EAGER = "eager"  # list of transformations <-> "...|..."
    MODERATION = "moderation"
    COORDINATES = "coordinates"  # [[x,y,w,h], ...] <-> "x,y,w,h|..."
    JSON = "json"  # compact JSON string


def field_error(
    message: str, subpath: tuple[int | str, ...] = (), *, key: bool = False
) -> PydanticCustomError:
    """A located error; ``key=True`` when the problem is the map key at ``subpath``."""
    return PydanticCustomError(
        "preset", "{message}", {"message": message, "subpath": subpath, "key": key}
    )


def validation_context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Custom:
    """Annotated metadata for a type whose validation, serialisation and JSON Schema are ours.

    ``Annotated[str, Custom(validate, schema, serialize)]`` keeps the static type (``str``)
    visible to type checkers while pydantic uses our validator (which raises errors that
    say what is wrong and how to fix it) and our hand-written JSON Schema.
    """

    validate: Callable[[Any, ValidationInfo], Any]
    schema: dict[str, Any]
    serialize: Callable[[Any], Any]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(self.serialize),
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return dict(self.schema)


# --------------------------------------------------------------------------- scalar types


def _validate_name(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise field_error(type_message("a string", value))
    if validation_context(info).get("remote"):
        if not value:
            raise field_error("the name is empty")
        return value
    if not is_valid_name(value):
        raise field_error(
            f"invalid name {shorten(value)}: use {NAME_RULE} "
            "(Cloudinary API paths break on '/' and other characters)"
        )
    return value


PresetName = Annotated[
    str,
    Custom(
        _validate_name,
        {
            "type": "string",
            "pattern": NAME_PATTERN,
            "description": "The preset's name in Cloudinary: 1 to 255 of A-Z a-z 0-9 _ -.",
        },
        str,
    ),
]


def _validate_text(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise field_error(type_message("a string", value))
    if not value.strip():
        raise field_error("value is empty; remove the key to leave it unset")
    return value


#: JSON Schema for "a string with something besides whitespace" (what _validate_text checks)
NOT_BLANK = {"type": "string", "minLength": 1, "pattern": r"\S"}
Text = Annotated[
    str,
    Custom(_validate_text, NOT_BLANK, str),
]


def _validate_url(value: Any, info: ValidationInfo) -> str:
    text = _validate_text(value, info)
    if any(ch.isspace() for ch in text):
        raise field_error("URL must not contain spaces")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise field_error(
            f"expected an http(s) URL such as https://example.com/hook, got {shorten(text)}"
        )
    if "@" in parts.netloc:
        raise field_error("URL must not contain a user name or password; use a token in the path")
    return text


HttpUrl = Annotated[
    str,
    Custom(
        _validate_url,
        {
            "type": "string",
            "format": "uri",
            "pattern": r"^[hH][tT][tT][pP][sS]?://[^\s/?#@]*[^\s/?#@:][^\s/?#@]*([/?#]\S*)?$",
        },
        str,
    ),
]


def _validate_unit(value: Any, info: ValidationInfo) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise field_error(type_message("a number from 0 to 1", value))
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise field_error(f"must be a number from 0 to 1, got {value!r}")
    return float(value)


UnitInterval = Annotated[
    float,
    Custom(_validate_unit, {"type": "number", "minimum": 0, "maximum": 1}, float),
]

_TAG = re.compile(r"^[^,]{1,255}$")


def string_list(
    kind: str,
    *,
    lower: bool = False,
    pattern: re.Pattern[str] | None = None,
    rule: str = "",
    choices: tuple[str, ...] = (),
) -> Callable[[Any, ValidationInfo], list[str]]:
    def validate(value: Any, info: ValidationInfo) -> list[str]:
        if not isinstance(value, list):
            raise field_error(type_message(f"a list of {kind}, e.g. [a, b]", value))
        if not value:
            raise field_error("list is empty; remove the key to leave it unset")
        out: list[str] = []
        seen: set[str] = set()  # a set: a list here made 100,000 tags take minutes
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise field_error(type_message("a string", item), (i,))
            text = item.strip()
            if lower:
                text = text.lower()
            if not text or text != (item.lower() if lower else item):
                raise field_error(
                    f"{shorten(item)}: remove surrounding spaces (and empty items)", (i,)
                )
            if pattern and not pattern.match(text):
                raise field_error(f"{shorten(item)} is not a valid {kind[:-1]}: {rule}", (i,))
            if choices and text not in choices:
                raise field_error(
                    f"{shorten(item)} is not one of {', '.join(choices)}{suggest(text, choices)}",
                    (i,),
                )
            if text in seen:
                raise field_error(f"{shorten(item)} is listed twice", (i,))
            seen.add(text)
            out.append(text)
        return out

    return validate


Tags = Annotated[
    list[str],
    Custom(
        string_list("tags", pattern=_TAG, rule="no commas, at most 255 characters"),
        {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": r"^[^,\s](?:[^,]*[^,\s])?$", "maxLength": 255},
        },
        list,
    ),
]

_FORMAT = re.compile(r"^[a-z0-9]{1,16}$")
Formats = Annotated[
    list[str],
    Custom(
        string_list(
            "formats", lower=True, pattern=_FORMAT, rule="a file extension, 1 to 16 of a-z 0-9"
        ),
        {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": r"^[A-Za-z0-9]{1,16}$"},
        },
        list,
    ),
]
CATEGORIZATION_KINDS = (
    "rekognition_scene",
    "imagga_tagging",
    "aws_rek_tagging",
    "google_video_tagging",
    "google_tagging",
    "visenze_recognition",
    "azure_video_indexer",
)
Categorization = Annotated[
    list[str],
    Custom(
        string_list("add-ons", choices=CATEGORIZATION_KINDS),
        {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(CATEGORIZATION_KINDS)},
        },
        list,
    ),
]

_MAP_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")


def _string_map(
    kind: str, *, allow_lists: bool = False, header: bool = False
) -> Callable[[Any, ValidationInfo], dict[str, Any]]:
    def validate(value: Any, info: ValidationInfo) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise field_error(type_message(f"a map of {kind}", value))
        if not value:
            raise field_error("map is empty; remove the key to leave it unset")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if header:
                if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", key):
                    raise field_error(
                        f"{shorten(key)} is not an HTTP header name (letters, digits and -)",
                        (key,),
                        key=True,
                    )
            elif not _MAP_KEY.match(key):
                raise field_error(
                    f"key {shorten(key)} may only use letters, digits and _ . : - (no = or |)",
                    (key,),
                    key=True,
                )
            if allow_lists and isinstance(item, list):
                for i, element in enumerate(item):
                    if not isinstance(element, str):
                        raise field_error(type_message("a string", element), (key, i))
                    if '"' in element or "\\" in element:
                        # a list travels as JSON inside `k=v|...`, where Cloudinary also reads
                        # backslash escapes: a quote or backslash in an item would not survive
                        raise field_error(
                            f'{shorten(element)}: list items may not contain " or \\ '
                            "(the list travels as JSON inside Cloudinary's k=v|... form)",
                            (key, i),
                        )
                out[key] = list(item)
                continue
            if not isinstance(item, str):
                expected = "a string or a list of strings" if allow_lists else "a string"
                raise field_error(type_message(expected, item), (key,))
            if header and ("\n" in item or "\r" in item):
                raise field_error("header values must be one line", (key,))
            if header and (not item.strip() or item != item.strip()):
                # HTTP trims header values: spaces around one would never be stored
                raise field_error(
                    "header values may not be blank or start or end with spaces", (key,)
                )
            if allow_lists and _reads_as_list(item) and not validation_context(info).get("remote"):
                raise field_error(
                    f"{shorten(item)} reads as a JSON list, which is how a multi-select value "
                    "travels: Cloudinary would store a list; write it as a YAML list instead",
                    (key,),
                )
            if not header and "\\" in item and not validation_context(info).get("remote"):
                # `=` and `|` travel escaped (`\\=`, `\\|`, as the SDK sends them) and come
                # back exactly; a backslash is read differently by different readers of the
                # `k=v|k2=v2` form (the SDK does not escape it), so it is refused, not guessed
                raise field_error(
                    "value contains a backslash, which Cloudinary's `k=v|k2=v2` encoding cannot "
                    "carry unambiguously (it is that encoding's escape character); remove it",
                    (key,),
                )
            out[key] = item
        return out

    return validate


def _reads_as_list(text: str) -> bool:
    """True for a string the ``k=v|...`` form cannot tell from a multi-select list."""
    if not text.startswith("["):
        return False
    try:
        return isinstance(json.loads(text), list)
    except ValueError:
        return False


_STRING_MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": _MAP_KEY.pattern},
    "additionalProperties": {"type": "string", "pattern": r"^[^\\]*$"},
}
Context = Annotated[
    dict[str, str],
    Custom(_string_map("key: value strings"), _STRING_MAP_SCHEMA, dict),
]
Metadata = Annotated[
    dict[str, Any],
    Custom(
        _string_map("field: value", allow_lists=True),
        {
            **_STRING_MAP_SCHEMA,
            "additionalProperties": {
                "anyOf": [
                    _STRING_MAP_SCHEMA["additionalProperties"],
                    {"type": "array", "items": {"type": "string", "pattern": r'^[^"\\]*$'}},
                ]
            },
        },
        dict,
    ),
]
Headers = Annotated[
    dict[str, str],
    Custom(
        _string_map("header: value", header=True),
        {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[A-Za-z0-9-]{1,100}$"},
            "additionalProperties": {"type": "string", "pattern": r"^\S(?:[^\r\n]*\S)?$"},
        },
        dict,
    ),
]


def _validate_coordinates(value: Any, info: ValidationInfo) -> list[list[int]]:
    if not isinstance(value, list) or not value:
        raise field_error(type_message("a non-empty list of [x, y, width, height]", value))
    out = []
    for i, box in enumerate(value):
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in box)
        ):
            raise field_error(
                "each box is [x, y, width, height] of non-negative whole numbers, "
                f"got {_show_json(box)}",
                (i,),
            )
        out.append(list(box))
    return out


def _show_json(value: Any) -> str:
    """A value as the user would write it in YAML flow style (``[1, 2, true]``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_show_json(v) for v in value) + "]"
    return repr(value)


Coordinates = Annotated[
    list[list[int]],
    Custom(
        _validate_coordinates,
        {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "array",
                "minItems": 4,
                "maxItems": 4,
                "items": {"type": "integer", "minimum": 0},
            },
        },
        list,
    ),
]


def _check_raw(value: Any, subpath: tuple[int | str, ...] = ()) -> Any:
    """A raw value is any JSON value Cloudinary could store, but not empty at the top
    (an empty value means "not set": remove the key)."""
    if value is None:
        if subpath:
            return None
        raise field_error("value is empty (null); remove the key")
    if isinstance(value, float) and not math.isfinite(value):
        raise field_error("must be a finite number", subpath)
    if isinstance(value, (str, bool, int, float)):
        if value == "" and not subpath:
            raise field_error("value is empty; remove the key")
        return value
    if isinstance(value, (list, dict)) and not value and not subpath:
        raise field_error(
            f"{'list' if isinstance(value, list) else 'map'} is empty; remove the key"
        )
    if isinstance(value, list):
        return [_check_raw(item, (*subpath, i)) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _check_raw(v, (*subpath, k)) for k, v in value.items()}
    raise field_error(
        type_message("a raw value (a string, boolean, number, list or map)", value), subpath
    )


def _validate_raw(value: Any, info: ValidationInfo) -> Any:
    return _check_raw(value)


#: a raw value in ``extra_settings``: any JSON value Cloudinary could store
RawValue = Annotated[
    Any,
    Custom(
        _validate_raw,
        {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "boolean"},
                {"type": "number"},
                {"type": "array", "minItems": 1},
                {"type": "object", "minProperties": 1},
            ]
        },
        lambda v: v,
    ),
]


class StrictModel(BaseModel):
    """Project-wide base: strict types, unknown keys refused, immutable."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        validate_default=False,
        defer_build=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _no_explicit_nulls(cls, data: Any) -> Any:
        """``folder:`` with no value is a forgotten value, not a way to say "unset"."""
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None:
                    raise field_error(
                        "value is empty (null); write a value, or remove the key to leave it unset",
                        (key,),
                    )
        return data


def S(description: str, wire: Wire, *, value: str = "", **kw: Any) -> Any:
    """A settings field: optional, described, marked with its wire encoding and, where it
    is not implied by the encoding, its value kind (``code``, ``url``, ``visibility``)."""
    extra = kw.pop("json_schema_extra", None) or {}
    markers: dict[str, Any] = {"x-wire": wire.value}
    if value:
        markers["x-value"] = value
    return Field(None, description=description, json_schema_extra={**extra, **markers}, **kw)


RAW_CONVERT_PATTERN = (
    r"^(aspose|azure_video_indexer(:\D+)*|google_speech(:(vt|sr)t)*(:[a-zA-Z-]+)?|extract_text)$"
)
_RAW_CONVERT = re.compile(RAW_CONVERT_PATTERN)
_RAW_CONVERT_KINDS = ("aspose", "azure_video_indexer", "google_speech", "extract_text")


def _validate_raw_convert(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise field_error(type_message("a string", value))
    if not _RAW_CONVERT.fullmatch(value):
        kind = value.split(":", 1)[0]
        raise field_error(
            f"invalid raw_convert {shorten(value)}{suggest(kind, _RAW_CONVERT_KINDS)}: "
            "expected aspose, "
            "extract_text, google_speech[:vtt|:srt][:language] or azure_video_indexer[:...]"
        )
    return value


RawConvert = Annotated[
    str,
    Custom(_validate_raw_convert, {"type": "string", "pattern": RAW_CONVERT_PATTERN}, str),
]
