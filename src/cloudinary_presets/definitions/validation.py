"""Turn pydantic validation errors into located, human problems.

pydantic reports ``loc`` tuples and generic messages ("Extra inputs are not permitted").
Users need ``presets/ugc.yaml:12:7: settings.moderaton: unknown key (did you mean
`moderation`?)``. This module maps each error to the document mark of its path and
rewrites the message; custom types put a finer ``subpath`` in the error context.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from cloudinary_presets.definitions.strict_yaml import Document, KeyPath
from cloudinary_presets.errors import Problem
from cloudinary_presets.model.wording import describe_value, suggest

_TYPE_NAMES = {
    "bool_type": "true or false",
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a map",
    "model_type": "a map",
    "model_attributes_type": "a map",
    "finite_number": "a finite number",
}


_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}


def _without_path_prefix(message: str, loc: KeyPath) -> str:
    """Drop a ``where: `` prefix that only repeats the end of the path shown before it.

    Parsers of moderation and transformation values name the spot themselves
    (``aws_rek.violence: threshold ...``) for callers without a path; here the path
    already says it.
    """
    tail: list[str] = []
    for part in reversed(loc):
        if not isinstance(part, str):
            break
        tail.insert(0, part)
        prefix = ".".join(tail) + ": "
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def dotted(path: KeyPath) -> str:
    """``("settings", "moderation", 0, "aws_rek")`` -> ``settings.moderation[0].aws_rek``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _strip(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` -> ``X``."""
    while True:
        args = [a for a in get_args(annotation) if a is not type(None)]
        origin = get_origin(annotation)
        if origin is Annotated or (
            origin is not None and origin not in (list, dict, tuple) and args
        ):
            annotation = args[0]
            continue
        return annotation


def _model_at(model: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The model class that owns the keys at ``loc`` (to suggest the right key names)."""
    current: Any = model
    for part in loc:
        current = _strip(current)
        origin = get_origin(current)
        if origin in (list, tuple) and isinstance(part, int):
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _strip(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _unknown_key(root: type[BaseModel], loc: KeyPath, key: str, hints: dict[str, str]) -> str:
    owner = _model_at(root, loc)
    names = _field_names(owner) if owner else []
    hint = hints.get(f"{dotted(loc)}:{key}") or hints.get(f"*:{key}", "")
    if hint:
        return f"unknown key `{key}`: {hint}"
    return f"unknown key `{key}`{suggest(key, names)}"


def problems_from(
    exc: ValidationError,
    doc: Document,
    root: type[BaseModel],
    *,
    prefix: KeyPath = (),
    hints: dict[str, str] | None = None,
) -> list[Problem]:
    """One located problem per pydantic error; ``hints`` adds advice for misplaced keys."""
    problems = []
    for err in exc.errors(include_url=False):
        loc: KeyPath = tuple(p for p in err["loc"] if p != "[key]")
        ctx = err.get("ctx") or {}
        kind = err["type"]
        is_key = kind == "extra_forbidden" or "[key]" in err["loc"]
        if kind == "extra_forbidden":
            message = _unknown_key(root, loc[:-1], str(loc[-1]), hints or {})
        elif kind == "missing":
            message = f"missing required key `{loc[-1]}`"
            loc = loc[:-1]
            is_key = False
        elif kind == "preset":
            loc = (*loc, *ctx.get("subpath", ()))
            message = _without_path_prefix(str(ctx.get("message", err["msg"])), loc)
            is_key = bool(ctx.get("key"))
        elif kind in _TYPE_NAMES:
            message = f"expected {_TYPE_NAMES[kind]}, got {describe_value(err.get('input'))}"
            if kind == "string_type" and isinstance(err.get("input"), (int, float)):
                message += "; quote it to keep it as written"
        elif kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            got = err.get("input")
            choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
            hint = suggest(got, choices) if isinstance(got, str) else ""
            message = f"must be one of {expected}, got {describe_value(got)}{hint}"
        elif kind in ("too_short", "too_long"):
            size = ctx.get("actual_length")
            bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
            noun = "map" if isinstance(err.get("input"), dict) else "list"
            if kind == "too_short" and size == 0:
                message = f"{noun} is empty; remove the key to leave it unset"
            else:
                limit = "at least" if kind == "too_short" else "at most"
                message = f"expected {limit} {bound} item(s), got {size}"
        elif kind in _BOUNDS:
            limit = next(iter(ctx.values()), "")
            message = f"must be {_BOUNDS[kind]} {limit}, got {describe_value(err.get('input'))}"
        elif kind == "string_pattern_mismatch":
            message = f"{describe_value(err.get('input'))} does not match {ctx.get('pattern')}"
        else:
            message = err["msg"][0].lower() + err["msg"][1:]
        full = (*prefix, *loc)
        problems.append(Problem(message, doc.location(full, key=is_key), dotted(loc)))
    return problems
