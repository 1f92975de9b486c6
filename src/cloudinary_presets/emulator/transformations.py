"""Cloudinary transformation strings: validation and the parsed ("get-one") form.

Why an own table instead of importing the SDK or the project's codec: the emulator is
an independent implementation, so a wrong entry in the codec shows up as a difference
instead of being shared. The table is copied from the SDK 1.46.3
``utils.generate_transformation_string`` (the ``params`` dict) and
``utils._SIMPLE_TRANSFORMATION_PARAMS``.

Grammar (as the emulator reads it): components are separated by ``/``, parameters
inside a component by ``,``, and each parameter's key and value by its first ``_``.
``if_<expr>`` becomes ``{"if": "<expr>"}``, a user variable ``$name_<value>`` becomes
``{"$name": value}``. Values that look like integers or decimals become JSON numbers.
"""

from __future__ import annotations

import re

from cloudinary_presets.emulator.http_error import HttpError

#: short key -> long name, as Cloudinary's GET-one response spells the parameters.
SHORT_TO_LONG: dict[str, str] = {
    # generate_transformation_string: params
    "a": "angle",
    "ar": "aspect_ratio",
    "b": "background",
    "bo": "border",
    "c": "crop",
    "co": "color",
    "dpr": "dpr",
    "du": "duration",
    "e": "effect",
    "eo": "end_offset",
    "fl": "flags",
    "fn": "custom_function",
    "fps": "fps",
    "h": "height",
    "ki": "keyframe_interval",
    "l": "overlay",
    "o": "opacity",
    "q": "quality",
    "r": "radius",
    "so": "start_offset",
    "t": "transformation",
    "u": "underlay",
    "w": "width",
    "x": "x",
    "y": "y",
    "vc": "video_codec",
    "z": "zoom",
    # _SIMPLE_TRANSFORMATION_PARAMS
    "ac": "audio_codec",
    "af": "audio_frequency",
    "br": "bit_rate",
    "cs": "color_space",
    "d": "default_image",
    "dl": "delay",
    "dn": "density",
    "f": "fetch_format",
    "g": "gravity",
    "p": "prefix",
    "pg": "page",
    "sp": "streaming_profile",
    "vs": "video_sampling",
}

Step = dict[str, object]

_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")
_VARIABLE = re.compile(r"^\$[A-Za-z][A-Za-z0-9]*$")
_FORMAT = re.compile(r"^[A-Za-z0-9]*$")


class TransformationError(ValueError):
    """A transformation string the emulator refuses (the message is Cloudinary-style)."""

    def to_http(self) -> HttpError:
        return HttpError(400, str(self))


def typed_value(text: str) -> object:
    """``"100"`` -> 100, ``"1.0"`` -> 1.0, anything else unchanged."""
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def parse_component(component: str) -> Step:
    """``"c_scale,w_100"`` -> ``{"crop": "scale", "width": 100}``."""
    if not component:
        raise TransformationError("Invalid transformation: empty component")
    step: Step = {}
    for parameter in component.split(","):
        key, sep, value = parameter.partition("_")
        if not sep or not key:
            raise TransformationError(
                f"Invalid transformation parameter '{parameter}' in '{component}'"
            )
        if key == "if":
            step["if"] = value
        elif _VARIABLE.match(key):
            step[key] = typed_value(value)
        elif key in SHORT_TO_LONG:
            step[SHORT_TO_LONG[key]] = typed_value(value)
        else:
            raise TransformationError(f"Invalid transformation parameter '{key}' in '{component}'")
    return step


def parse_transformation(text: str) -> list[Step]:
    """An incoming transformation (``"c_scale,w_100/q_auto"``) -> a list of step objects."""
    return [parse_component(component) for component in text.split("/")]


def parse_eager_item(text: str) -> list[Step]:
    """One eager entry; a last component without ``_`` (``/webp``, or empty) is the format."""
    components = text.split("/")
    fmt: str | None = None
    last = components[-1]
    if len(components) > 1 and "_" not in last and _FORMAT.match(last):
        fmt = last
        components = components[:-1]
    elif len(components) == 1 and last and "_" not in last and _FORMAT.match(last):
        fmt, components = last, []
    steps = [parse_component(component) for component in components]
    if fmt is not None:
        if steps:
            steps[-1]["format"] = fmt
        else:
            steps.append({"format": fmt})
    return steps


def parse_eager(text: str) -> list[list[Step]]:
    """``"c_fill,w_200/webp|c_thumb,w_50"`` -> one list of step objects per eager entry."""
    return [parse_eager_item(item) for item in text.split("|")]
