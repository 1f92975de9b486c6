"""The composite GitHub Action (``action.yml``) and the example workflow that uses it.

The action's shell steps run here as a runner would run them (``bash -eo pipefail``, the
``GITHUB_*`` files, the step's ``env`` with the inputs substituted), in a copy of the
example project, against the emulator. ``pip install`` is intercepted (the test suite
never downloads); the ``presets`` it would install is this checkout's, already on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
WORKFLOW = yaml.safe_load((REPO / "examples" / "github-actions" / "presets.yml").read_text())
USES = "OWNER/cloudinary-presets@COMMIT"
INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def _steps_using_the_action() -> list[dict[str, Any]]:
    return [
        step
        for job in WORKFLOW["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").endswith("/cloudinary-presets@COMMIT")
    ]


def test_the_action_declares_its_inputs_and_uses_only_those():
    assert set(ACTION["inputs"]) == {"command", "env", "args", "python-version"}
    assert ACTION["runs"]["using"] == "composite"
    used = set(INPUT.findall(yaml.safe_dump(ACTION["runs"])))
    assert used == set(ACTION["inputs"]), used
    for step in ACTION["runs"]["steps"]:
        # inputs reach scripts through `env:` only: expanding them in `run:` is an injection
        assert not INPUT.search(step.get("run", "")), step["run"]
    install = ACTION["runs"]["steps"][1]["run"]
    assert "pip install" in install
    assert '"$GITHUB_ACTION_PATH"' in install


def test_the_example_workflow_uses_the_action_with_real_inputs():
    steps = _steps_using_the_action()
    assert len(steps) == 3
    for step in steps:
        assert step["uses"] == USES
        assert set(step["with"]) <= set(ACTION["inputs"]), step["with"]
        assert step["with"]["command"].split()[0] in {"validate", "plan", "doctor"}
    workflow = (REPO / "examples" / "github-actions" / "presets.yml").read_text()
    assert "pip install cloudinary-presets" not in workflow
    drift = WORKFLOW["jobs"]["drift"]["steps"]
    assert drift[-1]["if"] == "steps.drift.outputs.exit-code == '2'"


def test_placeholders_are_the_same_everywhere():
    """OWNER and COMMIT mark what only a deployment knows; every doc says so the same way."""
    texts = {
        path: path.read_text()
        for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "action.yml"]
    }
    texts[REPO / "examples/github-actions/presets.yml"] = (
        REPO / "examples/github-actions/presets.yml"
    ).read_text()
    for path, text in texts.items():
        for url in re.findall(r"github\.com/([\w<>.-]+)/cloudinary-presets", text):
            assert url == "OWNER", f"{path.name}: github.com/{url}/cloudinary-presets"
        for pin in re.findall(r"cloudinary-presets@([\w<>.-]+)", text):
            assert pin == "COMMIT", f"{path.name}: @{pin}"
        for rev in re.findall(r"^\s*rev:\s*(\S+)", text, re.MULTILINE):
            assert rev == "COMMIT", f"{path.name}: rev: {rev}"
    readme = texts[REPO / "README.md"]
    assert (
        'pip install "cloudinary-presets @ git+https://github.com/OWNER/cloudinary-presets@COMMIT"'
        in readme
    )


# --------------------------------------------------------------------------- running it


def _expand(value: str, inputs: dict[str, str]) -> str:
    return INPUT.sub(lambda m: inputs[m.group(1)], value)


@pytest.fixture
def runner(tmp_path, emulator, cloudinary_url):
    """Runs the action's bash steps like a GitHub runner, in a copy of the example project."""
    workspace = tmp_path / "workspace"
    shutil.copytree(REPO / "presets", workspace / "presets")
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    pip_log = tmp_path / "pip-args"
    # `python -m pip ...` is recorded, not run; anything else goes to the real Python
    (fake / "python").write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then\n'
        f'  printf "%s\\n" "$@" > "{pip_log}"; exit 0\n'
        "fi\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    (fake / "python").chmod(0o755)

    def run(**given: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
        inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        inputs.update(given)
        output, summary = tmp_path / "output", tmp_path / "summary"
        output.write_text("")
        summary.write_text("")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CLOUDINARY_", "COV_", "COVERAGE_", "PYTEST_"))
        }
        env.update(
            PATH=f"{fake}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
            GITHUB_ACTION_PATH=str(REPO),
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_WORKSPACE=str(workspace),
            CLOUDINARY_URL=cloudinary_url,
            CI="true",
        )
        last = None
        for step in ACTION["runs"]["steps"]:
            if "run" not in step:
                continue  # actions/setup-python: the runner's Python is this one
            step_env = {k: _expand(str(v), inputs) for k, v in step.get("env", {}).items()}
            last = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=workspace,
                env={**env, **step_env},
                capture_output=True,
                text=True,
                timeout=120,
            )
            if last.returncode != 0:
                break
        assert last is not None
        from secret_scan import record

        record(last.stdout + last.stderr, "the action's step")
        outputs = dict(
            line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
        )
        return last, outputs, summary.read_text()

    run.workspace = workspace  # type: ignore[attr-defined]
    run.pip_log = pip_log  # type: ignore[attr-defined]
    return run


def test_the_action_installs_itself_and_runs_plan_apply_plan(runner, emulator):
    done, outputs, summary = runner(command="plan", args="--format json --detailed-exitcode")
    assert runner.pip_log.read_text().splitlines() == [
        "-m", "pip", "install", "--disable-pip-version-check", "--quiet", str(REPO),
    ]  # fmt: skip
    assert done.returncode == 0, done.stderr  # 2 (changes) does not fail the step
    assert outputs == {"exit-code": "2"}
    assert json.loads(done.stdout)["summary"]["create"] == 3
    assert summary.startswith("### Preset plan")

    applied, outputs, _ = runner(command="apply", args="--yes")
    assert applied.returncode == 0, applied.stderr
    assert outputs == {"exit-code": "0"}
    assert sorted(p["name"] for p in emulator.presets("demo")) == [
        "avatar", "product-images", "ugc-moderated",
    ]  # fmt: skip

    again, outputs, _ = runner(command="plan", args="--detailed-exitcode")
    assert again.returncode == 0
    assert outputs == {"exit-code": "0"}


def test_a_failing_command_fails_the_step_with_its_status(runner):
    (runner.workspace / "presets" / "bad.yaml").write_text("name: [\n")
    done, outputs, _ = runner(command="validate", args="--format github")
    assert done.returncode == 1
    assert outputs == {"exit-code": "1"}
    assert "::error file=presets/bad.yaml" in done.stdout


def test_env_and_quoted_args_pass_through_and_nothing_is_evaluated(runner, tmp_path):
    (runner.workspace / "cloudinary-presets.yaml").write_text(
        "environments:\n  staging: {emulator: true, name_prefix: stg_}\n"
    )
    done, outputs, _ = runner(command="render", env="staging", args="'ugc-moderated'")
    assert done.returncode == 0, done.stderr
    assert "remote name stg_ugc-moderated" in done.stdout
    marker = tmp_path / "pwned"
    hostile, outputs, _ = runner(command="validate", args=f"$(touch {marker}); touch {marker}")
    assert hostile.returncode == 64  # the words became arguments, and were refused
    assert not marker.exists()
    assert outputs == {"exit-code": "64"}
