"""Write presets as canonical YAML that reads back to the same preset.

Used by ``presets import`` and ``presets render``. Keys come in a stable order (the
model's field order, which groups related settings), moderation is written as the
structured model, and every string that the strict reader would read as something else
(``"1e3"``, ``"yes"``, ``"1.10"``, ``"null"``) is quoted, so dump -> load is exact.
"""

from __future__ import annotations

from typing import Any

import yaml

from cloudinary_presets.definitions.strict_yaml import resolve_plain
from cloudinary_presets.model.moderation import Moderation
from cloudinary_presets.model.preset import Preset, Settings
from cloudinary_presets.model.transformations import EagerTransformation, Transformation

MODELINE = "# yaml-language-server: $schema={schema}\n"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # sequences indented under their key (`  - item`), as `presets fmt` writes them
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    needs_quotes = resolve_plain(value) != value or value != value.strip() or value == ""
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style='"' if needs_quotes else None
    )


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    """Short lists of scalars on one line (``[jpg, png]``), like people write them."""
    scalars = all(isinstance(v, (str, int, float, bool)) for v in value)
    flow = scalars and sum(len(str(v)) + 2 for v in value) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def _settings_data(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None:
            continue
        key = info.alias or name
        out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Moderation):
        return value.to_yaml()
    if isinstance(value, (Transformation, EagerTransformation)):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "model_dump"):
        return {k: _plain(v) for k, v in value.model_dump(exclude_none=True).items()}
    return value


def preset_data(preset: Preset) -> dict[str, Any]:
    """The preset as plain YAML data: only what differs from the defaults, in a stable order."""
    data: dict[str, Any] = {"name": preset.name}
    if preset.description:
        data["description"] = preset.description
    data["unsigned"] = preset.unsigned
    if preset.disallow_public_id:
        data["disallow_public_id"] = True
    if preset.live is not None:
        data["live"] = preset.live
    if preset.parameter_whitelist is not None:
        data["parameter_whitelist"] = preset.parameter_whitelist
    if preset.protect:
        data["protect"] = True
    if preset.ignore_lints:
        data["ignore_lints"] = list(preset.ignore_lints)
    settings = _settings_data(preset.settings)
    if settings:
        data["settings"] = settings
    if preset.extra_settings:
        data["extra_settings"] = dict(sorted(preset.extra_settings.items()))
    return data


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def dump_preset(
    preset: Preset, *, schema: str = "../schemas/preset.schema.json", header: str = ""
) -> str:
    """A complete preset file: modeline, optional comment header, the preset."""
    lines = MODELINE.format(schema=schema)
    if header:
        lines += "".join(f"# {line}\n" for line in header.splitlines())
    return lines + dump_yaml(preset_data(preset))
