"""The typed preset: pydantic v2 models, strict, one field per preset-valid upload parameter.

These models are the single source of truth: the loader validates YAML against them, the
JSON Schema in ``schemas/`` is generated from them, and the wire codec reads each
field's :class:`Wire` marker to know how Cloudinary encodes it. Validation is strict
(``"true"`` is not a boolean, ``5`` is not a list) and every custom type raises an
error that says what is wrong and how to fix it.

Validation context (``model_validate(..., context=...)``):

* ``categories``: the accepted Rekognition category names (taxonomy + configured extras);
* ``remote``: ``True`` when decoding what Cloudinary stores: names and categories are
  accepted as they are, because the tool must be able to show and import anything.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from cloudinary_presets.model.moderation import (
    GOOGLE_LEVELS,
    KINDS,
    REKOGNITION_KINDS,
    Moderation,
    ModerationError,
    parse_moderation,
)
from cloudinary_presets.model.moderation_rule import CATEGORIES
from cloudinary_presets.model.transformations import (
    LONG_TO_SHORT,
    SHORT_TO_LONG,
    EagerTransformation,
    Transformation,
    TransformationError,
    suggest,
)
from cloudinary_presets.model.wording import type_message


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


NAME_PATTERN = r"^[A-Za-z0-9_-]{1,255}$"
_NAME = re.compile(NAME_PATTERN)


def _error(
    message: str, subpath: tuple[int | str, ...] = (), *, key: bool = False
) -> PydanticCustomError:
    """A located error; ``key=True`` when the problem is the map key at ``subpath``."""
    return PydanticCustomError(
        "preset", "{message}", {"message": message, "subpath": subpath, "key": key}
    )


def _context(info: ValidationInfo) -> dict[str, Any]:
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


def _shorten(text: str) -> str:
    """``repr(text)``, or its start and length when it is too long to show in one line."""
    return repr(text) if len(text) <= 60 else f"'{text[:40]}...' ({len(text)} characters)"


def _validate_name(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise _error(type_message("a string", value))
    if _context(info).get("remote"):
        if not value:
            raise _error("the name is empty")
        return value
    if not _NAME.fullmatch(value):  # not match(): `$` also matches before a final newline
        raise _error(
            f"invalid name {_shorten(value)}: use 1 to 255 of A-Z a-z 0-9 _ - "
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
        raise _error(type_message("a string", value))
    if not value.strip():
        raise _error("value is empty; remove the key to leave it unset")
    return value


#: JSON Schema for "a string with something besides whitespace" (what _validate_text checks)
_NOT_BLANK = {"type": "string", "minLength": 1, "pattern": r"\S"}
Text = Annotated[
    str,
    Custom(_validate_text, _NOT_BLANK, str),
]


def _validate_url(value: Any, info: ValidationInfo) -> str:
    text = _validate_text(value, info)
    if any(ch.isspace() for ch in text):
        raise _error("URL must not contain spaces")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _error(f"expected an http(s) URL such as https://example.com/hook, got {text!r}")
    if "@" in parts.netloc:
        raise _error("URL must not contain a user name or password; use a token in the path")
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


def is_private_host(url: str) -> bool:
    """True for localhost and private/loopback IP literals (a likely mistake in a hook URL)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _validate_unit(value: Any, info: ValidationInfo) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(type_message("a number from 0 to 1", value))
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise _error(f"must be a number from 0 to 1, got {value!r}")
    return float(value)


UnitInterval = Annotated[
    float,
    Custom(_validate_unit, {"type": "number", "minimum": 0, "maximum": 1}, float),
]

_TAG = re.compile(r"^[^,]{1,255}$")


def _string_list(
    kind: str,
    *,
    lower: bool = False,
    pattern: re.Pattern[str] | None = None,
    rule: str = "",
    choices: tuple[str, ...] = (),
) -> Callable[[Any, ValidationInfo], list[str]]:
    def validate(value: Any, info: ValidationInfo) -> list[str]:
        if not isinstance(value, list):
            raise _error(type_message(f"a list of {kind}, e.g. [a, b]", value))
        if not value:
            raise _error("list is empty; remove the key to leave it unset")
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise _error(type_message("a string", item), (i,))
            text = item.strip()
            if lower:
                text = text.lower()
            if not text or text != (item.lower() if lower else item):
                raise _error(f"{item!r}: remove surrounding spaces (and empty items)", (i,))
            if pattern and not pattern.match(text):
                raise _error(f"{_shorten(item)} is not a valid {kind[:-1]}: {rule}", (i,))
            if choices and text not in choices:
                raise _error(
                    f"{item!r} is not one of {', '.join(choices)}{suggest(text, choices)}", (i,)
                )
            if text in out:
                raise _error(f"{item!r} is listed twice", (i,))
            out.append(text)
        return out

    return validate


Tags = Annotated[
    list[str],
    Custom(
        _string_list("tags", pattern=_TAG, rule="no commas, at most 255 characters"),
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
        _string_list(
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
        _string_list("add-ons", choices=CATEGORIZATION_KINDS),
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
            raise _error(type_message(f"a map of {kind}", value))
        if not value:
            raise _error("map is empty; remove the key to leave it unset")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if header:
                if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", key):
                    raise _error(
                        f"{key!r} is not an HTTP header name (letters, digits and -)",
                        (key,),
                        key=True,
                    )
            elif not _MAP_KEY.match(key):
                raise _error(
                    f"key {key!r} may only use letters, digits and _ . : - (no = or |)",
                    (key,),
                    key=True,
                )
            if allow_lists and isinstance(item, list):
                for i, element in enumerate(item):
                    if not isinstance(element, str):
                        raise _error(type_message("a string", element), (key, i))
                    if '"' in element or "\\" in element:
                        # a list travels as JSON inside `k=v|...`, where Cloudinary also reads
                        # backslash escapes: a quote or backslash in an item would not survive
                        raise _error(
                            f'{element!r}: list items may not contain " or \\ '
                            "(the list travels as JSON inside Cloudinary's k=v|... form)",
                            (key, i),
                        )
                out[key] = list(item)
                continue
            if not isinstance(item, str):
                expected = "a string or a list of strings" if allow_lists else "a string"
                raise _error(type_message(expected, item), (key,))
            if header and ("\n" in item or "\r" in item):
                raise _error("header values must be one line", (key,))
            if header and (not item.strip() or item != item.strip()):
                # HTTP trims header values: spaces around one would never be stored
                raise _error("header values may not be blank or start or end with spaces", (key,))
            if not header and item.endswith("\\"):
                raise _error(
                    "value ends with a backslash, which Cloudinary's `k=v|k2=v2` encoding "
                    "cannot carry (it would escape the `|` after it); remove it, or end the value "
                    "with another character",
                    (key,),
                )
            out[key] = item
        return out

    return validate


_STRING_MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": _MAP_KEY.pattern},
    "additionalProperties": {"type": "string", "pattern": r"(^|[^\\])$"},
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
        raise _error(type_message("a non-empty list of [x, y, width, height]", value))
    out = []
    for i, box in enumerate(value):
        if (
            not isinstance(box, list)
            or len(box) != 4
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in box)
        ):
            raise _error(
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


# --------------------------------------------------------------------------- transformations

_SHORT_KEYS = "|".join(sorted((re.escape(k) for k in SHORT_TO_LONG), key=len, reverse=True))
_PARAM = rf"(?:{_SHORT_KEYS}|\$[A-Za-z][A-Za-z0-9]*)_[^,/|\s]+"
_COMPONENT = rf"{_PARAM}(?:,{_PARAM})*"
TRANSFORMATION_PATTERN = rf"^{_COMPONENT}(?:/{_COMPONENT})*$"
EAGER_PATTERN = rf"^{_COMPONENT}(?:/{_COMPONENT})*(?:/[a-z0-9]+)?$"
_STEP_VALUE = {
    "anyOf": [{"type": "string", "minLength": 1, "pattern": r"^[^,/|\s]+$"}, {"type": "number"}]
}
#: a parameter that appears twice in one component (`w_1,w_2`), which the parser refuses
_REPEATED_PARAM = {"pattern": r"(?:^|[/,])([^,/_]+)_[^,/]*(?:,[^/]*)?,\1_"}
_STEP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {
        "anyOf": [{"enum": sorted(LONG_TO_SHORT)}, {"pattern": r"^\$[A-Za-z][A-Za-z0-9]*$"}]
    },
    "additionalProperties": _STEP_VALUE,
}
TRANSFORMATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": TRANSFORMATION_PATTERN, "not": _REPEATED_PARAM},
        {"type": "array", "minItems": 1, "items": _STEP_SCHEMA},
    ],
    "description": "A transformation string (c_limit,w_2000/q_auto) or a list of steps "
    "with Cloudinary's long parameter names ([{crop: limit, width: 2000}, {quality: auto}]).",
}
EAGER_ITEM_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": EAGER_PATTERN, "not": _REPEATED_PARAM},
        {"type": "array", "minItems": 1, "items": _STEP_SCHEMA},
        {
            "type": "object",
            "required": ["transformation"],
            "additionalProperties": False,
            "properties": {
                "transformation": TRANSFORMATION_SCHEMA,
                "format": {"type": "string", "pattern": r"^[a-z0-9]+$"},
            },
        },
    ]
}


def _transformation_from(value: Any, subpath: tuple[int | str, ...] = ()) -> Transformation:
    try:
        if isinstance(value, str):
            return Transformation.parse(value)
        if isinstance(value, list):
            return Transformation.from_steps(value)
    except TransformationError as exc:
        raise _error(exc.message, (*subpath, *exc.subpath), key=exc.key) from None
    raise _error(type_message("a transformation string or a list of steps", value), subpath)


def _validate_transformation(value: Any, info: ValidationInfo) -> Transformation:
    if isinstance(value, Transformation):
        return value
    return _transformation_from(value)


TransformationField = Annotated[
    Transformation,
    Custom(_validate_transformation, TRANSFORMATION_SCHEMA, str),
]


def _eager_item(item: Any, i: int) -> EagerTransformation:
    if isinstance(item, EagerTransformation):
        return item
    try:
        if isinstance(item, str):
            return EagerTransformation.parse(item)
        if isinstance(item, list):
            return EagerTransformation(Transformation.from_steps(item))
    except TransformationError as exc:
        raise _error(exc.message, (i, *exc.subpath), key=exc.key) from None
    if isinstance(item, dict):
        for key in item:
            if key not in ("transformation", "format"):
                raise _error(
                    f"unknown key `{key}`{suggest(key, ('transformation', 'format'))}; an eager "
                    "map has `transformation` and optionally `format`",
                    (i, key),
                    key=True,
                )
        if "transformation" not in item:
            raise _error("an eager map needs `transformation` (and optionally `format`)", (i,))
        fmt = item.get("format")
        if "format" in item and (not isinstance(fmt, str) or not re.fullmatch(r"[a-z0-9]+", fmt)):
            raise _error("format must be a file extension such as webp", (i, "format"))
        return EagerTransformation(
            _transformation_from(item["transformation"], (i, "transformation")), fmt
        )
    raise _error(type_message("a transformation", item), (i,))


def _validate_eager(value: Any, info: ValidationInfo) -> list[EagerTransformation]:
    if not isinstance(value, list) or not value:
        raise _error(type_message("a non-empty list of transformations", value))
    out = [_eager_item(item, i) for i, item in enumerate(value)]
    return out


Eager = Annotated[
    list[EagerTransformation],
    Custom(
        _validate_eager,
        {"type": "array", "minItems": 1, "items": EAGER_ITEM_SCHEMA},
        lambda items: [str(item) for item in items],
    ),
]


# --------------------------------------------------------------------------- moderation


def _validate_moderation(value: Any, info: ValidationInfo) -> Moderation:
    if isinstance(value, Moderation):
        return value
    ctx = _context(info)
    known = None if ctx.get("remote") else ctx.get("categories", CATEGORIES)
    try:
        return parse_moderation(value, known)
    except ModerationError as exc:
        raise _error(exc.message, exc.subpath, key=exc.key) from None


def _moderation_schema() -> dict[str, Any]:
    categories = sorted(CATEGORIES)
    threshold = {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            {"const": "ignore"},
        ]
    }
    rekognition = {
        "type": ["object", "null"],
        "propertyNames": {"enum": categories},
        "additionalProperties": threshold,
    }
    cat = "(?:" + "|".join(categories) + ")"
    # plain decimals (what moderation.py accepts in wire strings): 0 < t <= 1, and 0 <= d <= 1
    thr = r"(?:ignore|0*\.[0-9]*[1-9][0-9]*|0*1(?:\.0*)?)"
    unit = r"(?:0+(?:\.[0-9]*)?|\.[0-9]+|0*1(?:\.0*)?)"
    automatic = (
        rf"(?:webpurify|perception_point|(?:aws_rek|aws_rek_video)(?::{cat}:{thr})*"
        rf"|google_video_moderation(?::(?:{'|'.join(GOOGLE_LEVELS)}))?"
        rf"|duplicate:{unit})"
    )
    # a category given twice inside one Rekognition moderator (aws_rek:a:0.5:a:0.7)
    repeated_category = {"pattern": r":(?!ignore:)([a-z_]+):[^|]*:\1:"}
    # a moderator kind given twice in a wire chain (webpurify|webpurify)
    repeated_kind = {"pattern": r"(?:^|\|)([a-z_]+)(?::[^|]*)?\|(?:[^|]*\|)*\1(?::|\||$)"}
    moderator: dict[str, Any] = {
        "anyOf": [
            {"enum": [k for k in KINDS if k != "duplicate"]},
            {"type": "string", "pattern": rf"^{automatic}$", "not": repeated_category},
            *(
                {
                    "type": "object",
                    "required": [k],
                    "additionalProperties": False,
                    "properties": {k: {"x-ref": "RekognitionThresholds"}},
                }
                for k in REKOGNITION_KINDS
            ),
            {
                "type": "object",
                "required": ["duplicate"],
                "additionalProperties": False,
                "properties": {"duplicate": {"type": "number", "minimum": 0, "maximum": 1}},
            },
            {
                "type": "object",
                "required": ["google_video_moderation"],
                "additionalProperties": False,
                "properties": {"google_video_moderation": {"enum": list(GOOGLE_LEVELS)}},
            },
        ]
    }
    wire_chain = {
        "type": "string",
        "pattern": rf"^(?:{automatic}\|)+(?:{automatic}|manual)$",
        "not": {"anyOf": [repeated_category, repeated_kind]},
    }
    not_manual = {"not": {"const": "manual"}}
    chain = {
        "type": "array",
        "minItems": 1,
        "maxItems": len(KINDS),
        "items": {"x-ref": "Moderator"},
        "anyOf": [
            {"maxItems": n, **({"prefixItems": [not_manual] * (n - 1)} if n > 1 else {})}
            for n in range(1, len(KINDS) + 1)
        ],
        # each kind at most once
        "allOf": [
            {
                "not": {
                    "minContains": 2,
                    "contains": {
                        "anyOf": [
                            {"const": k},
                            {"type": "string", "pattern": f"^{k}:"},
                            {"type": "object", "required": [k]},
                        ]
                    },
                }
            }
            for k in KINDS
        ],
    }
    return {
        "anyOf": [{"x-ref": "Moderator"}, wire_chain, chain],
        "description": "One moderator, or a chain run in order (manual last): manual, "
        "webpurify, perception_point, {aws_rek: {category: threshold|ignore}}, "
        "{aws_rek_video: ...}, {duplicate: 0..1}, google_video_moderation, or the raw "
        "wire string aws_rek:explicit_nudity:0.7|manual.",
        "x-defs": {"Moderator": moderator, "RekognitionThresholds": rekognition},
    }


ModerationField = Annotated[
    Moderation,
    Custom(_validate_moderation, _moderation_schema(), str),
]


# --------------------------------------------------------------------------- JSON-encoded settings


class StrictModel(BaseModel):
    """Project-wide base: strict types, unknown keys refused, immutable."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        validate_default=False,
    )

    @model_validator(mode="before")
    @classmethod
    def _no_explicit_nulls(cls, data: Any) -> Any:
        """``folder:`` with no value is a forgotten value, not a way to say "unset"."""
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None:
                    raise _error(
                        "value is empty (null); write a value, or remove the key to leave it unset",
                        (key,),
                    )
        return data


class AccessRule(StrictModel):
    access_type: Literal["token", "anonymous"] = Field(
        description="token: token or cookie based access; anonymous: public (optionally "
        "between start and end)."
    )
    start: Text | None = Field(None, description="ISO 8601 start of anonymous access.")
    end: Text | None = Field(None, description="ISO 8601 end of anonymous access.")


class Breakpoints(StrictModel):
    create_derived: bool = Field(description="Whether to keep the generated breakpoint images.")
    max_width: int = Field(gt=0, description="Largest breakpoint width in pixels.")
    min_width: int | None = Field(None, gt=0, description="Smallest breakpoint width in pixels.")
    bytes_step: int | None = Field(None, gt=0, description="Minimum size step between breakpoints.")
    max_images: int | None = Field(None, gt=0, description="Maximum number of breakpoints.")
    transformation: TransformationField | None = Field(
        None, description="A transformation to apply before computing breakpoints."
    )
    format: Annotated[str, Field(pattern=r"^[a-z0-9]+$")] | None = Field(
        None, description="Format of the breakpoint images."
    )


class AutoTranscription(StrictModel):
    translate: list[Annotated[str, Field(min_length=2, max_length=16)]] = Field(
        min_length=1, description="Language codes to translate the transcript into."
    )


def _validate_transcription(value: Any, info: ValidationInfo) -> bool | AutoTranscription:
    if isinstance(value, (bool, AutoTranscription)):
        return value
    if isinstance(value, dict):
        return AutoTranscription.model_validate(value, strict=True)
    raise _error(type_message("true/false or a map with `translate: [languages]`", value))


AutoTranscriptionField = Annotated[
    AutoTranscription | bool,
    Custom(
        _validate_transcription,
        {
            "anyOf": [
                {"type": "boolean"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["translate"],
                    "properties": {
                        "translate": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "minLength": 2, "maxLength": 16},
                        }
                    },
                },
            ]
        },
        lambda v: v if isinstance(v, bool) else v.model_dump(),
    ),
]


# --------------------------------------------------------------------------- settings


def S(description: str, wire: Wire, **kw: Any) -> Any:
    """A settings field: optional, described, and marked with its wire encoding."""
    extra = kw.pop("json_schema_extra", None) or {}
    return Field(
        None, description=description, json_schema_extra={**extra, "x-wire": wire.value}, **kw
    )


RAW_CONVERT_PATTERN = (
    r"^(aspose|azure_video_indexer(:\D+)*|google_speech(:(vt|sr)t)*(:[a-zA-Z-]+)?|extract_text)$"
)
_RAW_CONVERT = re.compile(RAW_CONVERT_PATTERN)
_RAW_CONVERT_KINDS = ("aspose", "azure_video_indexer", "google_speech", "extract_text")


def _validate_raw_convert(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise _error(type_message("a string", value))
    if not _RAW_CONVERT.fullmatch(value):
        kind = value.split(":", 1)[0]
        raise _error(
            f"invalid raw_convert {value!r}{suggest(kind, _RAW_CONVERT_KINDS)}: expected aspose, "
            "extract_text, google_speech[:vtt|:srt][:language] or azure_video_indexer[:...]"
        )
    return value


RawConvert = Annotated[
    str,
    Custom(_validate_raw_convert, {"type": "string", "pattern": RAW_CONVERT_PATTERN}, str),
]
_REGION_NAME = r"^[A-Za-z0-9_-]{1,100}$"


class Settings(StrictModel):
    """Cloudinary upload parameters applied by the preset (only the ones you set are sent)."""

    # `async_: true` in a file is not an upload parameter: only the alias `async` is accepted
    model_config = ConfigDict(populate_by_name=False)  # merged with StrictModel's config

    # Where assets go and how they are named.
    folder: Text | None = S(
        "Folder for uploaded assets (public IDs are prefixed with it in fixed-folder mode).",
        Wire.STRING,
    )
    asset_folder: Text | None = S(
        "Asset folder (dynamic folders mode) where assets are placed.", Wire.STRING
    )
    use_asset_folder_as_public_id_prefix: bool | None = S(
        "Prefix public IDs with the asset folder (when no folder/public_id_prefix is set).",
        Wire.BOOL,
    )
    public_id: Text | None = S(
        "A fixed public ID for every upload with this preset (rarely wanted).", Wire.STRING
    )
    public_id_prefix: Text | None = S(
        "A path prepended to public IDs (SEO); does not change where assets are stored.",
        Wire.STRING,
    )
    use_filename: bool | None = S("Use the uploaded file's name as the public ID.", Wire.BOOL)
    unique_filename: bool | None = S(
        "Append random characters to filename-based public IDs (default true).", Wire.BOOL
    )
    use_filename_as_display_name: bool | None = S(
        "Use the original file name as the display name.", Wire.BOOL
    )
    display_name: Text | None = S("Display name for uploaded assets.", Wire.STRING)
    unique_display_name: bool | None = S("Make display names unique.", Wire.BOOL)
    filename_override: Text | None = S("File name used for downloads (fl_attachment).", Wire.STRING)
    discard_original_filename: bool | None = S("Do not keep the original file name.", Wire.BOOL)
    overwrite: bool | None = S(
        "Replace an existing asset with the same public ID (default true for signed uploads; "
        "always false for unsigned).",
        Wire.BOOL,
    )
    type: Literal["upload", "private", "authenticated", "asset"] | None = S(
        "Delivery type: upload (public), private, authenticated or asset. Changing it changes who "
        "can see assets.",
        Wire.STRING,
    )
    access_mode: Literal["public", "authenticated"] | None = S(
        "Deprecated by Cloudinary in favour of access_control.",
        Wire.STRING,
        json_schema_extra={"deprecated": True},
    )
    access_control: list[AccessRule] | None = S(
        "Access rules: the asset is restricted unless one rule allows access.",
        Wire.JSON,
        min_length=1,
    )

    # What is stored.
    format: Text | None = S(
        "Convert uploads to this format before storing (e.g. jpg).", Wire.STRING
    )
    allowed_formats: Formats | None = S(
        "File formats accepted for upload; others are rejected. Essential for unsigned presets.",
        Wire.CSV,
    )
    transformation: TransformationField | None = S(
        "Incoming transformation applied before the asset is stored.", Wire.TRANSFORMATION
    )
    eager: Eager | None = S("Transformations generated eagerly at upload time.", Wire.EAGER)
    eager_async: bool | None = S("Generate eager transformations in the background.", Wire.BOOL)
    eager_notification_url: HttpUrl | None = S(
        "URL notified when eager transformations are ready (https).", Wire.STRING
    )
    responsive_breakpoints: list[Breakpoints] | None = S(
        "Responsive breakpoints to generate.", Wire.JSON, min_length=1
    )
    quality_override: Text | None = S(
        "Quality to use for this asset instead of q_auto's choice.", Wire.STRING
    )
    raw_convert: RawConvert | None = S(
        "Generate a related file: aspose, google_speech[:vtt|:srt][:lang], extract_text, "
        "azure_video_indexer.",
        Wire.STRING,
    )
    backup: bool | None = S("Back up uploaded assets.", Wire.BOOL)
    invalidate: bool | None = S("Invalidate CDN copies when an asset is overwritten.", Wire.BOOL)
    headers: Headers | None = S(
        "HTTP headers added when delivering the asset (Link, Authorization, X-Robots-Tag).",
        Wire.HEADERS,
    )

    # Labels and metadata.
    tags: Tags | None = S("Tags added to every upload.", Wire.CSV)
    context: Context | None = S("Contextual metadata (key: value).", Wire.KEY_VALUE)
    metadata: Metadata | None = S(
        "Structured metadata (external field id: value, or a list for multi-select fields).",
        Wire.KEY_VALUE,
    )
    face_coordinates: Coordinates | None = S(
        "Face boxes [x, y, width, height] for face-based cropping.", Wire.COORDINATES
    )
    custom_coordinates: Coordinates | None = S(
        "Custom boxes [x, y, width, height] for custom-gravity cropping.", Wire.COORDINATES
    )
    regions: (
        dict[
            Annotated[str, Field(pattern=_REGION_NAME)],
            list[Annotated[list[int], Field(min_length=2, max_length=2)]],
        ]
        | None
    ) = S(
        "Named regions: name -> list of [x, y] points.",
        Wire.JSON,
        min_length=1,
        # pydantic writes only patternProperties, which lets other names through
        json_schema_extra={"propertyNames": {"pattern": _REGION_NAME}},
    )

    # Analysis and add-ons.
    moderation: ModerationField | None = S(
        "Moderation: one moderator or a chain (manual last). Rekognition kinds take per-category "
        "thresholds.",
        Wire.MODERATION,
    )
    categorization: Categorization | None = S(
        "Categorization add-ons to run (e.g. aws_rek_tagging, google_tagging).", Wire.CSV
    )
    auto_tagging: UnitInterval | None = S(
        "Add tags for detected categories with confidence above this value (0..1).", Wire.NUMBER
    )
    detection: Text | None = S(
        "Detection add-on to run (e.g. coco_v2, captioning, adv_face, aws_rek_face).", Wire.STRING
    )
    ocr: Literal["adv_ocr"] | None = S("OCR text extraction add-on (adv_ocr).", Wire.STRING)
    background_removal: Literal["cloudinary_ai", "remove_the_background", "pixelz"] | None = S(
        "Background removal add-on.", Wire.STRING
    )
    auto_transcription: AutoTranscriptionField | None = S(
        "Generate a video transcript (optionally translated).", Wire.JSON
    )
    auto_chaptering: bool | None = S("Generate video chapters.", Wire.BOOL)
    faces: bool | None = S("Detect faces.", Wire.BOOL)
    colors: bool | None = S("Return predominant colors.", Wire.BOOL)
    image_metadata: bool | None = S(
        "Return image metadata (deprecated by Cloudinary: use media_metadata).", Wire.BOOL
    )
    media_metadata: bool | None = S("Return IPTC, XMP and Exif metadata.", Wire.BOOL)
    exif: bool | None = S(
        "Return Exif metadata (deprecated by Cloudinary: use media_metadata).", Wire.BOOL
    )
    phash: bool | None = S("Return the perceptual hash.", Wire.BOOL)
    quality_analysis: bool | None = S("Return a quality (focus) score.", Wire.BOOL)
    accessibility_analysis: bool | None = S("Return accessibility analysis.", Wire.BOOL)
    cinemagraph_analysis: bool | None = S("Return a cinemagraph score.", Wire.BOOL)
    visual_search: bool | None = S("Index images for visual search.", Wire.BOOL)
    similarity_search: bool | None = S("Index images for similarity search.", Wire.BOOL)
    clear_invalid: bool | None = S(
        "Clear invalid structured metadata values instead of failing.", Wire.BOOL
    )

    # Behaviour and hooks.
    notification_url: HttpUrl | None = S(
        "URL notified when an upload completes (use https; query tokens are redacted in plans).",
        Wire.STRING,
    )
    callback: HttpUrl | None = S("Browser redirect URL after a form upload.", Wire.STRING)
    proxy: HttpUrl | None = S("Proxy used to fetch remote URLs (http://host:port).", Wire.STRING)
    return_delete_token: bool | None = S("Return a deletion token valid for 10 minutes.", Wire.BOOL)
    async_: bool | None = S(
        "Return immediately and upload in the background.", Wire.BOOL, alias="async"
    )
    eval: Text | None = S(
        "JavaScript run by Cloudinary on every upload to modify parameters (security-sensitive; "
        "redacted in plans).",
        Wire.STRING,
    )
    on_success: Text | None = S(
        "JavaScript run by Cloudinary after a successful upload (security-sensitive; redacted in "
        "plans).",
        Wire.STRING,
    )


def wire_kind(field_name: str) -> Wire:
    """The wire encoding of a settings field (from its ``x-wire`` marker)."""
    extra = Settings.model_fields[field_name].json_schema_extra
    assert isinstance(extra, dict)
    return Wire(extra["x-wire"])


#: upload parameter name (the YAML/wire key) -> settings attribute
SETTING_KEYS: dict[str, str] = {
    (info.alias or name): name for name, info in Settings.model_fields.items()
}
#: parameters that sit at the top level of a preset file
PRESET_LEVEL_KEYS = ("unsigned", "disallow_public_id", "live", "parameter_whitelist")
#: every upload parameter a preset may carry (for parameter_whitelist and suggestions)
UPLOAD_PARAMETERS: frozenset[str] = frozenset(SETTING_KEYS) | {"public_id", "upload_preset"}

_EXTRA_KEY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def _validate_whitelist(value: Any, info: ValidationInfo) -> list[str] | str:
    if value == "none":
        return "none"
    items = _string_list("parameter names")(value, info)
    if not _context(info).get("remote"):
        for i, item in enumerate(items):
            if item not in UPLOAD_PARAMETERS:
                raise _error(
                    f"unknown upload parameter {item!r}{suggest(item, sorted(UPLOAD_PARAMETERS))}",
                    (i,),
                )
    return items


ParameterWhitelist = Annotated[
    list[str] | str,
    Custom(
        _validate_whitelist,
        {
            "anyOf": [
                {"const": "none"},
                {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": sorted(UPLOAD_PARAMETERS)},
                },
            ]
        },
        lambda v: v,
    ),
]


def _validate_extra(value: Any, info: ValidationInfo) -> str | bool | int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise _error("must be a finite number")
    if isinstance(value, str) and not value.strip():
        raise _error("value is empty; remove the key")
    if isinstance(value, (str, bool, int, float)):
        return value
    raise _error(type_message("a raw wire value (a string, boolean or number)", value))


ExtraValue = Annotated[
    Any,
    Custom(
        _validate_extra,
        {"anyOf": [_NOT_BLANK, {"type": "boolean"}, {"type": "number"}]},
        lambda v: v,
    ),
]


#: what Preset._extra_not_modelled checks for local files, for the JSON Schema
_EXTRA_KEYS_SCHEMA: dict[str, Any] = {
    "propertyNames": {
        "pattern": _EXTRA_KEY.pattern,
        "not": {"enum": sorted({*SETTING_KEYS, *PRESET_LEVEL_KEYS, "name"})},
    }
}


def _lint_ids_schema(schema: dict[str, Any]) -> None:
    """``ignore_lints`` items are lint ids (resolved late: lints imports this module)."""
    from cloudinary_presets.definitions.lints import LINT_IDS

    schema["items"] = {"enum": sorted(LINT_IDS)}


class Preset(StrictModel):
    """One upload preset, as written in ``presets/<name>.yaml``."""

    name: PresetName = Field(
        description="The preset's name in Cloudinary (1 to 255 of A-Z a-z 0-9 _ -). Applications "
        "upload with this name."
    )
    description: Text | None = Field(
        None, description="What the preset is for. Local only: never sent to Cloudinary."
    )
    unsigned: bool = Field(
        False,
        description="Allow unsigned uploads (browsers, widgets). Anyone who knows the name can "
        "upload: restrict formats and moderate.",
    )
    disallow_public_id: bool = Field(
        False,
        description="Refuse a public_id chosen by the uploader (relevant for unsigned presets).",
    )
    live: bool | None = Field(None, description="Use the preset for live streaming.")
    parameter_whitelist: ParameterWhitelist | None = Field(
        None,
        description="Upload parameters a caller may pass with this preset ('none' for none). "
        "Unverified encoding: checked after apply.",
    )
    protect: bool = Field(
        False,
        description="Local only: a plan may never delete this preset (like Terraform's "
        "prevent_destroy).",
    )
    ignore_lints: list[str] = Field(
        default_factory=list,
        description="Policy lint ids silenced for this preset, e.g. [unsigned-without-moderation].",
        json_schema_extra=_lint_ids_schema,
    )
    settings: Settings = Field(
        default_factory=Settings, description="Cloudinary upload parameters applied by the preset."
    )
    extra_settings: dict[str, ExtraValue] = Field(
        default_factory=dict,
        description="Raw wire values for Cloudinary parameters this tool does not model yet; sent "
        "as given.",
        json_schema_extra=_EXTRA_KEYS_SCHEMA,
    )

    @field_validator("extra_settings")
    @classmethod
    def _extra_not_modelled(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if _context(info).get("remote"):
            return value
        for key in value:
            if not _EXTRA_KEY.match(key):
                raise _error(
                    f"{key!r} is not an upload parameter name (a-z, 0-9, _)", (key,), key=True
                )
            if key in SETTING_KEYS:
                raise _error(
                    f"`{key}` is modelled: write it under settings (settings.{key})",
                    (key,),
                    key=True,
                )
            if key in PRESET_LEVEL_KEYS or key == "name":
                raise _error(
                    f"`{key}` is a top-level key of the preset, not an extra setting",
                    (key,),
                    key=True,
                )
        return value

    @model_validator(mode="after")
    def _lint_ids_known(self) -> Preset:
        from cloudinary_presets.definitions.lints import (
            LINT_IDS,  # lints import model; avoid a cycle
        )

        for i, lint_id in enumerate(self.ignore_lints):
            if lint_id not in LINT_IDS:
                raise _error(
                    f"unknown lint id {lint_id!r}{suggest(lint_id, sorted(LINT_IDS))}",
                    ("ignore_lints", i),
                )
        return self

    def settings_dict(self) -> dict[str, Any]:
        """The settings that are set, keyed by upload parameter name (``async``, not ``async_``)."""
        return {
            (Settings.model_fields[name].alias or name): value
            for name, value in self.settings
            if value is not None
        }
