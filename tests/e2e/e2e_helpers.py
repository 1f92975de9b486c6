"""Helpers of the end-to-end tests (a module of its own: several ``conftest.py`` files
exist, so ``from conftest import`` would be ambiguous)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from cli_runner import Result, run_main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_PRESETS = FIXTURES / "presets"
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PRESETS = REPO / "presets"
WRITE_REQUESTS = (
    "POST /upload_presets",
    "PUT /upload_presets/{name}",
    "DELETE /upload_presets/{name}",
)
#: property tests that drive the CLI against the emulator: few examples, no deadline, no
#: example database (each example resets the emulator the function-scoped fixture gives)
E2E_PROPERTY = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: the readings of Cloudinary's ``PUT upload_presets/<name>`` (replace the stored settings,
#: or merge the sent ones into them): parametrise ``emulator`` indirectly with them
PUT_READINGS = ("replace", "merge")
#: the fault that makes preset writes fail for good: a 400 is never retried nor reconciled
BAD_REQUEST = {"kind": "status", "status": 400, "message": "Injected: invalid parameter"}


def write(root: Path, name: str, text: str) -> Path:
    """Write ``presets/<name>.yaml`` (dedented by the caller) and return its path."""
    path = root / "presets" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def simple(root: Path, names: Iterable[str], folder: str = "f") -> None:
    """One small signed preset per name, with a folder derived from ``folder``."""
    for name in names:
        write(root, name, f"name: {name}\nsettings:\n  folder: {folder}-{name}\n  tags: [t]\n")


def config(root: Path, text: str) -> None:
    (root / "cloudinary-presets.yaml").write_text(text, encoding="utf-8")


def only_presets(root: Path, *sources: Path) -> None:
    """Replace ``presets/`` with copies of the given preset files (which may be in it)."""
    contents = {source.name: source.read_bytes() for source in sources}
    shutil.rmtree(root / "presets", ignore_errors=True)
    (root / "presets").mkdir()
    for name, content in contents.items():
        (root / "presets" / name).write_bytes(content)


def fixture_files() -> list[Path]:
    return sorted(FIXTURE_PRESETS.glob("*.yaml"))


def example_files() -> list[Path]:
    return sorted(EXAMPLE_PRESETS.glob("*.yaml"))


# --------------------------------------------------------------------------- emulator state


def names(emulator: Any, cloud: str = "demo") -> list[str]:
    return sorted(str(p["name"]) for p in emulator.presets(cloud))


def stored(emulator: Any, name: str, cloud: str = "demo") -> dict[str, Any]:
    """The raw stored preset (list form) called ``name``."""
    for preset in emulator.presets(cloud):
        if preset["name"] == name:
            return dict(preset)
    raise AssertionError(f"{name!r} is not stored; stored: {names(emulator, cloud)}")


def state(emulator: Any, cloud: str = "demo") -> dict[str, Any]:
    """name -> (unsigned, settings): what a comparison of remote states needs."""
    return {str(p["name"]): (p.get("unsigned"), p.get("settings")) for p in emulator.presets(cloud)}


def requests(emulator: Any) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


def write_requests(emulator: Any) -> int:
    counts = requests(emulator)
    return sum(counts[key] for key in WRITE_REQUESTS)


# --------------------------------------------------------------------------- plans


def plan_json(cli: Any, *args: str, **kw: Any) -> dict[str, Any]:
    """``presets plan --format json`` parsed (stdout is only the JSON document)."""
    result = cli("plan", "--format", "json", *args, **kw)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def pending(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """The writes of a JSON plan, as sorted (action, remote name) pairs."""
    return sorted(
        (c["action"], c["remote_name"])
        for c in plan["changes"]
        if c["action"] in ("create", "update", "delete")
    )


def by_name(plan: dict[str, Any], name: str) -> dict[str, Any]:
    hits = [c for c in plan["changes"] if c["remote_name"] == name]
    assert len(hits) == 1, plan["changes"]
    return dict(hits[0])


def fields(change: dict[str, Any]) -> dict[str, tuple[Any, Any, str]]:
    """path -> (before, after, note) of one change of a JSON plan."""
    return {f["path"]: (f["before"], f["after"], f.get("note", "")) for f in change["fields"]}


# --------------------------------------------------------------------------- a terminal


class TerminalInput(io.StringIO):
    """stdin that says it is a terminal, with the person's answer already typed."""

    def isatty(self) -> bool:
        return True


def run_on_terminal(monkeypatch: Any, args: list[str], answer: str) -> Result:
    """Run ``presets`` in-process as if typed on a terminal, answering the prompt."""
    return run_main(args, TerminalInput(answer + "\n"))
