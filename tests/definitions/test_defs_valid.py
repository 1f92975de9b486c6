"""Valid definitions validate cleanly, cover every setting, and survive dump -> load."""

from __future__ import annotations

from pathlib import Path

import pytest
from defs_support import EXAMPLES, VALID, Runner

from cloudinary_presets.definitions.lints import LINT_IDS, lint
from cloudinary_presets.definitions.loader import validate_tree, validation_context
from cloudinary_presets.definitions.strict_yaml import decode, parse
from cloudinary_presets.definitions.yaml_writer import dump_preset
from cloudinary_presets.model.moderation import Moderation
from cloudinary_presets.model.preset import SETTING_KEYS, Preset

VALID_FILES = sorted(VALID.glob("*.yaml"))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
ALL_FILES = VALID_FILES + EXAMPLE_FILES


def _data(path: Path) -> dict:
    data = parse(decode(path.read_bytes(), path.name), path.name).data
    assert isinstance(data, dict)
    return data


def _preset(path: Path) -> Preset:
    return Preset.model_validate(_data(path), context=validation_context())


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_valid_file_validates_without_problems(run: Runner, path: Path) -> None:
    result = run("validate", path.name, cwd=path.parent)
    assert result.exit_code == 0, result.output
    assert result.problem_lines() == []
    assert result.lines == ["1 file(s), 1 valid preset(s): 0 error(s), 0 warning(s)"]


def test_the_valid_tree_and_the_examples_validate_together(run: Runner) -> None:
    for folder, files in ((VALID, VALID_FILES), (EXAMPLES, EXAMPLE_FILES)):
        result = run("validate", str(folder))
        assert result.exit_code == 0, result.output
        count = len(files)
        assert result.lines[-1] == (
            f"{count} file(s), {count} valid preset(s): 0 error(s), 0 warning(s)"
        )
    names = [_preset(p).name for p in ALL_FILES]
    assert len(names) == len(set(names))


def test_repository_presets_validate_from_the_default_folder(run: Runner) -> None:
    result = run("validate", cwd=EXAMPLES.parent)
    assert result.exit_code == 0
    assert result.lines[-1].startswith(f"{len(EXAMPLE_FILES)} file(s), {len(EXAMPLE_FILES)} valid")


# --------------------------------------------------------------------------- coverage


def test_every_setting_is_used_by_some_valid_fixture() -> None:
    used = {key for path in VALID_FILES for key in _data(path).get("settings", {})}
    assert used == set(SETTING_KEYS), f"unused: {sorted(set(SETTING_KEYS) - used)}"


def test_every_preset_level_key_is_used_by_some_valid_fixture() -> None:
    used = {key for path in VALID_FILES for key in _data(path)}
    assert used == {(f.alias or n) for n, f in Preset.model_fields.items()}


def test_the_fixtures_use_every_written_form() -> None:
    settings = [_data(p).get("settings", {}) for p in ALL_FILES]
    moderation = [s["moderation"] for s in settings if "moderation" in s]
    assert any(isinstance(m, str) and "|" in m for m in moderation), "a wire chain"
    assert any(isinstance(m, str) and "|" not in m for m in moderation), "a single moderator"
    assert any(isinstance(m, list) and any(isinstance(i, dict) for i in m) for m in moderation)

    transformations = [s.get("transformation") for s in settings]
    assert any(isinstance(t, str) for t in transformations)
    assert any(isinstance(t, list) for t in transformations)

    eager_items = [item for s in settings for item in s.get("eager", [])]
    assert {type(i) for i in eager_items} == {str, list, dict}


def test_silenced_lints_would_fire_without_ignore_lints() -> None:
    silenced = {}
    for path in VALID_FILES:
        data = _data(path)
        if data.get("ignore_lints"):
            loud = Preset.model_validate({**data, "ignore_lints": []}, context=validation_context())
            fired = {f.lint_id for f in lint(loud)}
            assert set(data["ignore_lints"]) <= fired, path.name
            silenced.update(dict.fromkeys(data["ignore_lints"], path.name))
    assert set(silenced) == LINT_IDS


def test_structured_and_wire_moderation_mean_the_same_thing() -> None:
    wire = Preset.model_validate(
        {"name": "a", "settings": {"moderation": "aws_rek:violence:0.80:drugs:ignore|manual"}}
    )
    structured = Preset.model_validate(
        {
            "name": "a",
            "settings": {
                "moderation": [{"aws_rek": {"drugs": "ignore", "violence": 0.8}}, "manual"]
            },
        }
    )
    assert wire == structured
    assert isinstance(wire.settings.moderation, Moderation)
    assert str(wire.settings.moderation) == "aws_rek:drugs:ignore:violence:0.8|manual"


# --------------------------------------------------------------------------- dump -> load


@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_valid_file_survives_dump_and_load(path: Path) -> None:
    preset = _preset(path)
    text = dump_preset(preset)
    again = Preset.model_validate(parse(text, "dumped.yaml").data, context=validation_context())
    assert again == preset
    assert dump_preset(again) == text  # the canonical form is a fixed point


def test_a_dumped_file_validates_through_the_cli(run: Runner, tmp_path: Path) -> None:
    for path in ALL_FILES:
        (tmp_path / path.name).write_text(dump_preset(_preset(path)), encoding="utf-8")
    report = validate_tree(tmp_path)
    assert report.errors == []
    assert len(report.presets) == len(ALL_FILES)
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0
