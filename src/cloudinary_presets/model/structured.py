"""Field types for the structured settings: transformations, eager lists, moderation, and
the JSON-encoded settings (access rules, responsive breakpoints, transcription)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo

from cloudinary_presets.errors import ModerationError, TransformationError
from cloudinary_presets.model.fields import (
    Custom,
    StrictModel,
    Text,
    field_error,
    validation_context,
)
from cloudinary_presets.model.moderation import Moderation, parse_moderation
from cloudinary_presets.model.moderation_schema import moderation_schema
from cloudinary_presets.model.taxonomy import CATEGORIES
from cloudinary_presets.model.transformations import (
    EAGER_ITEM_SCHEMA,
    TRANSFORMATION_SCHEMA,
    EagerTransformation,
    Transformation,
)
from cloudinary_presets.model.wording import suggest, type_message


def _transformation_from(value: Any, subpath: tuple[int | str, ...] = ()) -> Transformation:
    try:
        if isinstance(value, str):
            return Transformation.parse(value)
        if isinstance(value, list):
            return Transformation.from_steps(value)
    except TransformationError as exc:
        raise field_error(exc.message, (*subpath, *exc.subpath), key=exc.key) from None
    raise field_error(type_message("a transformation string or a list of steps", value), subpath)


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
        raise field_error(exc.message, (i, *exc.subpath), key=exc.key) from None
    if isinstance(item, dict):
        for key in item:
            if key not in ("transformation", "format"):
                raise field_error(
                    f"unknown key `{key}`{suggest(key, ('transformation', 'format'))}; an eager "
                    "map has `transformation` and optionally `format`",
                    (i, key),
                    key=True,
                )
        if "transformation" not in item:
            raise field_error("an eager map needs `transformation` (and optionally `format`)", (i,))
        fmt = item.get("format")
        if "format" in item and (not isinstance(fmt, str) or not re.fullmatch(r"[a-z0-9]+", fmt)):
            raise field_error("format must be a file extension such as webp", (i, "format"))
        return EagerTransformation(
            _transformation_from(item["transformation"], (i, "transformation")), fmt
        )
    raise field_error(type_message("a transformation", item), (i,))


def _validate_eager(value: Any, info: ValidationInfo) -> list[EagerTransformation]:
    if not isinstance(value, list) or not value:
        raise field_error(type_message("a non-empty list of transformations", value))
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
    ctx = validation_context(info)
    known = None if ctx.get("remote") else ctx.get("categories", CATEGORIES)
    try:
        return parse_moderation(value, known)
    except ModerationError as exc:
        raise field_error(exc.message, exc.subpath, key=exc.key) from None


ModerationField = Annotated[
    Moderation,
    Custom(_validate_moderation, moderation_schema(), str),
]


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
    raise field_error(type_message("true/false or a map with `translate: [languages]`", value))


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
