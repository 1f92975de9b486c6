"""Cloudinary transformations as values: parsed, validated, and compared canonically.

A transformation arrives in three shapes: a string (``c_limit,w_2000/q_auto``) in YAML
and in Cloudinary's list responses, a list of step maps with long names
(``[{crop: limit, width: 2000}, {quality: auto}]``) in YAML, and step objects with long
names and JSON numbers in Cloudinary's get-one responses. All three become one
:class:`Transformation` whose canonical string orders parameters inside each component
the way the official SDK does (``if`` first, then variables, then parameters sorted),
and writes decimals in one form (``0.50`` -> ``0.5``), so equal transformations compare
equal however they were written or echoed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudinary_presets.errors import TransformationError
from cloudinary_presets.model.wording import describe_value, shorten, suggest

#: short key -> long name, from the official SDK (``generate_transformation_string``).
SHORT_TO_LONG: dict[str, str] = {
    "a": "angle",
    "ac": "audio_codec",
    "af": "audio_frequency",
    "ar": "aspect_ratio",
    "b": "background",
    "bo": "border",
    "br": "bit_rate",
    "c": "crop",
    "co": "color",
    "cs": "color_space",
    "d": "default_image",
    "dl": "delay",
    "dn": "density",
    "dpr": "dpr",
    "du": "duration",
    "e": "effect",
    "eo": "end_offset",
    "f": "fetch_format",
    "fl": "flags",
    "fn": "custom_function",
    "fps": "fps",
    "g": "gravity",
    "h": "height",
    "if": "if",
    "ki": "keyframe_interval",
    "l": "overlay",
    "o": "opacity",
    "p": "prefix",
    "pg": "page",
    "q": "quality",
    "r": "radius",
    "so": "start_offset",
    "sp": "streaming_profile",
    "t": "transformation",
    "u": "underlay",
    "vc": "video_codec",
    "vs": "video_sampling",
    "w": "width",
    "x": "x",
    "y": "y",
    "z": "zoom",
}
LONG_TO_SHORT: dict[str, str] = {long: short for short, long in SHORT_TO_LONG.items()}

_VARIABLE = re.compile(r"\$[A-Za-z][A-Za-z0-9]*\Z")
_DECIMAL = re.compile(r"(-?\d+)\.(\d+)\Z")
_INTEGER = re.compile(r"-?\d+\Z")
_FORMAT = re.compile(r"[a-z0-9]+\Z")

Scalar = str | int | float


def canonical_value(value: str) -> str:
    """One spelling per number: ``0.50`` -> ``0.5``, ``1.00`` -> ``1.0``, ``007`` -> ``7``.

    ``1.0`` stays a decimal: in a transformation it means 100 %, unlike ``1`` (one pixel).
    """
    match = _DECIMAL.match(value)
    if match:
        whole = match.group(1)
        sign = "-" if whole.startswith("-") else ""
        digits = match.group(2).rstrip("0") or "0"
        return f"{sign}{int(whole.lstrip('-'))}.{digits}"
    if _INTEGER.match(value):
        return str(int(value))
    return value


def _scalar_text(value: object, where: str, subpath: tuple[int | str, ...]) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TransformationError(
            f"{where}: expected a string or a number, got {describe_value(value)}", subpath
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TransformationError(f"{where}: must be a finite number", subpath)
        return canonical_value(repr(value))
    text = str(value)
    if not text.strip():
        raise TransformationError(f"{where}: value is empty", subpath)
    _check_value(text, where, subpath)
    return canonical_value(text)


def _check_value(text: str, where: str, subpath: tuple[int | str, ...] = ()) -> None:
    """A parameter value travels inside URLs and `|`-joined eager lists: no separators."""
    if any(ch in text for ch in ",/|"):
        raise TransformationError(
            f"{where}: value {shorten(text)} contains ',', '/' or '|', which separate "
            "transformations",
            subpath,
        )
    if any(ch.isspace() for ch in text):
        raise TransformationError(
            f"{where}: value {shorten(text)} contains a space; remove it (URL-encode text as %20)",
            subpath,
        )


def _sort_key(param: tuple[str, str]) -> tuple[int, str, str]:
    key = param[0]
    if key == "if":
        return (0, "", "")
    if key.startswith("$"):
        return (1, key, param[1])
    return (2, key, param[1])


@dataclass(frozen=True)
class Transformation:
    """A chain of components; each component is a tuple of ``(short_key, value)`` pairs."""

    components: tuple[tuple[tuple[str, str], ...], ...]

    def __str__(self) -> str:
        return "/".join(",".join(f"{k}_{v}" for k, v in comp) for comp in self.components)

    def __repr__(self) -> str:
        return f"Transformation({str(self)!r})"

    @classmethod
    def _component(cls, params: list[tuple[str, str]], where: str) -> tuple[tuple[str, str], ...]:
        seen: set[str] = set()
        for key, _ in params:
            if key in seen:
                raise TransformationError(f"{where}: parameter `{key}` appears twice")
            seen.add(key)
        return tuple(sorted(params, key=_sort_key))

    @classmethod
    def parse(cls, text: str) -> Transformation:
        """Parse ``c_limit,w_2000/q_auto``; unknown keys are errors with a suggestion."""
        text = text.strip()
        if not text:
            raise TransformationError("transformation is empty")
        components = []
        for raw_component in text.split("/"):
            if not raw_component:
                raise TransformationError(f"empty component in {shorten(text)} (check the '/')")
            params = []
            for token in raw_component.split(","):
                key, sep, value = token.partition("_")
                if not sep or not key or not value:
                    raise TransformationError(
                        f"{shorten(token)} in {shorten(text)} is not a `key_value` "
                        "transformation parameter"
                    )
                if key not in SHORT_TO_LONG and not _VARIABLE.match(key):
                    raise TransformationError(
                        f"unknown transformation parameter `{key}` in {shorten(token)}"
                        f"{suggest(key, SHORT_TO_LONG)}"
                    )
                _check_value(value, f"`{key}` in {shorten(token)}")
                params.append((key, canonical_value(value)))
            components.append(cls._component(params, repr(raw_component)))
        return cls(tuple(components))

    @classmethod
    def from_steps(
        cls, steps: Sequence[Mapping[str, object]], *, lenient: bool = False
    ) -> Transformation:
        """Build from step maps with long names (YAML) or Cloudinary's get-one step objects.

        ``lenient`` accepts short keys too (a get-one echo of something we did not model).
        """
        if not steps:
            raise TransformationError("transformation has no steps")
        components = []
        for index, step in enumerate(steps):
            if not isinstance(step, Mapping) or not step:
                raise TransformationError(
                    "each step must be a non-empty map of parameter: value", (index,)
                )
            params = []
            for long_name, value in step.items():
                short = LONG_TO_SHORT.get(long_name)
                if short is None and _VARIABLE.match(long_name):
                    short = long_name
                if short is None and lenient and long_name in SHORT_TO_LONG:
                    short = long_name
                if short is None:
                    raise TransformationError(
                        f"unknown transformation parameter `{long_name}`"
                        f"{suggest(long_name, LONG_TO_SHORT)}",
                        (index, long_name),
                        key=True,
                    )
                params.append((short, _scalar_text(value, long_name, (index, long_name))))
            components.append(cls._component(params, f"step {index + 1}"))
        return cls(tuple(components))

    def to_steps(self) -> list[dict[str, Scalar]]:
        """Step maps with long names and numbers as numbers (the YAML and get-one shape)."""
        steps = []
        for comp in self.components:
            step: dict[str, Scalar] = {}
            for key, value in comp:
                step[SHORT_TO_LONG.get(key, key)] = _typed(value)
            steps.append(step)
        return steps


def _typed(value: str) -> Scalar:
    if re.fullmatch(r"-?(0|[1-9]\d*)", value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value


@dataclass(frozen=True)
class EagerTransformation:
    """One eager transformation: a transformation plus an optional format extension."""

    transformation: Transformation
    format: str | None = None

    def __str__(self) -> str:
        base = str(self.transformation)
        return f"{base}/{self.format}" if self.format else base

    def __repr__(self) -> str:
        return f"EagerTransformation({str(self)!r})"

    @classmethod
    def parse(cls, text: str) -> EagerTransformation:
        """``c_fill,w_200/webp``: a last component without ``_`` is the format extension."""
        head, sep, tail = text.strip().rpartition("/")
        if sep and _FORMAT.match(tail):
            return cls(Transformation.parse(head), tail)
        return cls(Transformation.parse(text))

    @classmethod
    def from_steps(
        cls, steps: Sequence[Mapping[str, object]], *, lenient: bool = False
    ) -> EagerTransformation:
        """Step maps, where the last step may carry ``format`` (the get-one shape)."""
        fmt = None
        if steps and isinstance(steps[-1], Mapping) and "format" in steps[-1]:
            last = dict(steps[-1])
            fmt = last.pop("format")
            if not isinstance(fmt, str) or not _FORMAT.match(fmt):
                raise TransformationError(
                    "format must be a file extension such as webp", (len(steps) - 1, "format")
                )
            steps = [*steps[:-1], last] if last else list(steps[:-1])
        return cls(Transformation.from_steps(steps, lenient=lenient), str(fmt) if fmt else None)

    def to_steps(self) -> list[dict[str, Scalar]]:
        steps = self.transformation.to_steps()
        if self.format:
            steps[-1]["format"] = self.format
        return steps


# --------------------------------------------------------------------------- schemas

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
