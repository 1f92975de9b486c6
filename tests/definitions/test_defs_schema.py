"""The JSON Schema agrees with the models, and `presets schema --check` guards its freshness.

The invalid side of the agreement (every invalid fixture is rejected both ways) lives
with the fixture table in ``test_defs_invalid.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from defs_support import EXAMPLES, SCHEMAS, VALID, Runner, schema_errors
from hypothesis import HealthCheck, given, settings

from cloudinary_presets.definitions.loader import validation_context
from cloudinary_presets.definitions.schema import SCHEMAS as SCHEMA_BUILDERS
from cloudinary_presets.definitions.schema import render, stale_schemas
from cloudinary_presets.definitions.strict_yaml import decode, parse
from cloudinary_presets.definitions.yaml_writer import preset_data as dumped_data
from cloudinary_presets.model.preset import Preset
from strategies import preset_data, presets

VALID_FILES = sorted(VALID.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_file_matches_the_schema(path: Path) -> None:
    data = parse(decode(path.read_bytes(), path.name), path.name).data
    assert schema_errors(data) == []


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(preset_data())
def test_schema_accepts_what_the_models_accept(data: dict) -> None:
    Preset.model_validate(data, context=validation_context())
    assert schema_errors(data) == []


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(presets())
def test_the_canonical_form_written_by_import_matches_the_schema(preset: Preset) -> None:
    assert schema_errors(dumped_data(preset)) == []


def test_schema_of_a_wire_threshold_follows_the_model() -> None:
    """Spot checks of the hand-written moderation schema (regexes are easy to get wrong)."""
    cases = {
        "aws_rek:violence:0.5|manual": True,
        "aws_rek:violence:1|manual": True,
        "aws_rek:violence:1.5|manual": False,
        "aws_rek:violence:0|manual": False,
        "aws_rek:violence:1e-1": False,
        "aws_rek:violence:0.5:violence:0.7": False,
        "aws_rek:violence:ignore:drugs:ignore": True,
        "webpurify|webpurify": False,
        "webpurify|aws_rek|manual": True,
        "manual|webpurify": False,
        "duplicate:0": True,
        "duplicate:1.01": False,
    }
    for wire, accepted in cases.items():
        data = {"name": "spot", "settings": {"moderation": wire}}
        try:
            Preset.model_validate(data, context=validation_context())
            models = True
        except ValueError:
            models = False
        assert models is accepted, wire
        assert (schema_errors(data) == []) is accepted, wire


# --------------------------------------------------------------------------- schema --check


def test_committed_schemas_are_up_to_date(run: Runner) -> None:
    assert stale_schemas(SCHEMAS) == []
    result = run("schema", "--check", "--dir", str(SCHEMAS))
    assert result.exit_code == 0, result.output
    assert result.stdout == "schemas are up to date\n"


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    return copy


def test_check_passes_on_an_untouched_copy(run: Runner, schema_copy: Path) -> None:
    assert run("schema", "--check", "--dir", str(schema_copy)).exit_code == 0


def test_check_fails_when_a_schema_file_is_edited(run: Runner, schema_copy: Path) -> None:
    path = schema_copy / "preset.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["name"]["description"] = "edited by hand"
    path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")

    result = run("schema", "--check", "--dir", str(schema_copy))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{path} is out of date; run `presets schema` and commit the result\n")


def test_check_fails_when_a_schema_file_is_missing(run: Runner, schema_copy: Path) -> None:
    (schema_copy / "config.schema.json").unlink()
    result = run("schema", "--check", "--dir", str(schema_copy))
    assert result.exit_code == 1
    assert "config.schema.json is out of date; run `presets schema`" in result.stderr


def test_presets_schema_rewrites_what_check_reported(run: Runner, schema_copy: Path) -> None:
    path = schema_copy / "preset.schema.json"
    path.write_text("{}\n", encoding="utf-8")
    assert run("schema", "--check", "--dir", str(schema_copy)).exit_code == 1

    result = run("schema", "--dir", str(schema_copy))
    assert result.exit_code == 0
    assert f"wrote {path}" in result.stdout.splitlines()
    assert path.read_text(encoding="utf-8") == render(SCHEMA_BUILDERS["preset.schema.json"]())
    assert run("schema", "--check", "--dir", str(schema_copy)).exit_code == 0
