"""Shared helpers of the definition-layer tests (a uniquely named module, not ``conftest``:
several ``conftest.py`` files in this repository would shadow each other on import)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from cli_runner import Result

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
REPO = TESTS.parent
FIXTURES = HERE / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
EXAMPLES = REPO / "presets"
SCHEMAS = REPO / "schemas"

# `from strategies import presets` works whatever else is on sys.path
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@dataclass(frozen=True)
class Run(Result):
    """What one ``presets`` invocation did, with the problem lines picked out."""

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def problem_lines(self) -> list[str]:
        """The rendered problems (``file:line:col: severity: ...``), in output order."""
        return [line for line in self.lines if ": error: " in line or ": warning: " in line]


Runner = Callable[..., Run]

_VALIDATOR = jsonschema.Draft202012Validator(
    json.loads((SCHEMAS / "preset.schema.json").read_text(encoding="utf-8"))
)


def schema_errors(data: object) -> list[str]:
    """What ``schemas/preset.schema.json`` says about ``data``, as the JSON a tool receives.

    Data JSON cannot carry (``.nan``, ``.inf``) counts as rejected: a JSON Schema validates
    JSON, and no JSON document holds those values.
    """
    try:
        document = json.loads(json.dumps(data, allow_nan=False))
    except ValueError as exc:
        return [f"not representable as JSON: {exc}"]
    return [error.message for error in _VALIDATOR.iter_errors(document)]
