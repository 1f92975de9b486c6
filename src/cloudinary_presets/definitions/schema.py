"""JSON Schemas generated from the models, committed under ``schemas/``, checked for drift.

Editors (yaml-language-server, via the modeline at the top of each preset file) use
them for completion and tooltips; CI can validate with any JSON Schema tool. The
models stay the source of truth: ``presets schema`` writes the files and
``presets schema --check`` (and a test) fails when they are out of date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from cloudinary_presets.errors import FileError
from cloudinary_presets.files import MIB, make_dirs, read_text, write_atomic

SCHEMA_VERSION = "1"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _finish(schema: dict[str, Any], *, kind: str, description: str) -> dict[str, Any]:
    defs: dict[str, Any] = schema.setdefault("$defs", {})

    def hoist(node: dict[str, Any]) -> None:
        defs.update(node.pop("x-defs", {}))

    def tidy(node: dict[str, Any]) -> None:
        # optional fields default to "unset"; an explicit null is refused by the models
        options = node.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            node.pop("anyOf")
            if len(rest) == 1 and isinstance(rest[0], dict):
                node.update({k: v for k, v in rest[0].items() if k not in node})
            else:
                node["anyOf"] = rest
            if node.get("default", "") is None:
                node.pop("default")
        if "x-ref" in node:  # pydantic resolves "$ref" itself; custom types use this marker
            node["$ref"] = f"#/$defs/{node.pop('x-ref')}"
        node.pop("x-wire", None)
        node.pop("x-value", None)
        if isinstance(node.get("title"), str) and "properties" not in node:
            node.pop("title")
        if isinstance(node.get("description"), str):
            node["markdownDescription"] = node["description"]

    _walk(schema, hoist)
    _walk(schema, tidy)
    for definition in defs.values():
        definition.pop("title", None)
    header = {
        "$schema": DRAFT,
        "$id": f"urn:cloudinary-presets:schema:{kind}:{SCHEMA_VERSION}",
        "version": SCHEMA_VERSION,
        "description": description,
    }
    schema.pop("title", None)
    schema.pop("description", None)
    schema.pop("markdownDescription", None)
    return {**header, **schema}


def model_schema(model: type[BaseModel], *, kind: str, description: str) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation", ref_template="#/$defs/{model}")
    return _finish(raw, kind=kind, description=description)


def preset_schema() -> dict[str, Any]:
    from cloudinary_presets.definitions.lints import LINT_IDS
    from cloudinary_presets.model.preset import Preset

    schema = model_schema(
        Preset,
        kind="preset",
        description="One Cloudinary upload preset managed by cloudinary-presets "
        "(presets/**/*.yaml).",
    )
    # lint ids belong to the definitions layer: the model does not know them
    schema["properties"]["ignore_lints"]["items"] = {"enum": sorted(LINT_IDS)}
    return schema


def config_schema() -> dict[str, Any]:
    from cloudinary_presets.definitions.config import ProjectConfig

    return model_schema(
        ProjectConfig,
        kind="config",
        description="Project configuration of cloudinary-presets (cloudinary-presets.yaml).",
    )


#: file name under ``schemas/`` -> builder
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "preset.schema.json": preset_schema,
    "config.schema.json": config_schema,
}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema file; returns the paths written."""
    make_dirs(directory, doing="create the schema folder", hint="pass --dir a folder path")
    written = []
    for name, build in SCHEMAS.items():
        path = directory / name
        write_atomic(path, render(build()), doing="write the schema")
        written.append(path)
    return written


def stale_schemas(directory: Path) -> list[Path]:
    """The schema files that are missing or differ from what the models generate."""
    stale = []
    for name, build in SCHEMAS.items():
        path = directory / name
        try:
            current = read_text(path, limit=16 * MIB, doing="read the schema")
        except FileError:
            current = None  # missing, unreadable, not UTF-8: stale either way
        if current != render(build()):
            stale.append(path)
    return stale
