"""``presets init`` scaffolds a working project; every command finds the project root from
any subfolder, as git does, and keeps ``.presets/`` at that root."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cloudinary_presets.definitions.project import find_root
from cloudinary_presets.definitions.scaffold import EXAMPLE_FILE
from cloudinary_presets.errors import EXIT_REFUSED

CREATED = [
    "cloudinary-presets.yaml",
    "presets/community-uploads.yaml",
    "schemas/preset.schema.json",
    "schemas/config.schema.json",
]


def test_init_writes_a_project_that_validates_plans_and_applies(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert [line.split()[-1] for line in result.stdout.splitlines()[:4]] == CREATED
    assert "created .gitignore (ignores .presets/)" in result.stdout
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == ".presets/"
    for name in CREATED:
        assert (tmp_path / name).is_file(), name
    example = (tmp_path / EXAMPLE_FILE).read_text()
    assert example.startswith("# yaml-language-server: $schema=../schemas/preset.schema.json\n")
    assert "moderation:" in example
    config = (tmp_path / "cloudinary-presets.yaml").read_text()
    assert config.startswith("# yaml-language-server: $schema=schemas/config.schema.json\n")
    assert "# environments:\n#   staging:" in config
    # the modelines point at the schemas that `presets schema` would write
    assert cli("schema", "--check").exit_code == 0

    validate = cli("validate")
    assert validate.exit_code == 0, validate.output
    assert validate.stdout.splitlines()[-1] == (
        "1 file(s), 1 valid preset(s): 0 error(s), 0 warning(s)"
    )
    plan = cli("plan", "--emulator", "--format", "json")
    data = json.loads(plan.stdout)
    assert [(c["action"], c["name"]) for c in data["changes"]] == [("create", "community-uploads")]
    assert cli("apply", "--yes", "--emulator").exit_code == 0
    assert cli("plan", "--emulator", "--detailed-exitcode").exit_code == 0


def test_uncommenting_the_environments_block_gives_a_valid_configuration(tmp_path, cli):
    assert cli("init", "--root", str(tmp_path)).exit_code == 0
    path = tmp_path / "cloudinary-presets.yaml"
    lines = path.read_text().splitlines()
    start = lines.index("# default_environment: staging")
    uncommented = [line[2:] if line.startswith("# ") else line for line in lines[start:]]
    path.write_text("\n".join(lines[:start] + uncommented) + "\n")
    result = cli("doctor", "--root", str(tmp_path), "--env", "production", "--json")
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["configuration"]["status"] == "ok"
    assert "2 environment(s): production, staging (default)" in checks["configuration"]["message"]
    assert checks["credentials"]["status"] == "failed"  # CLOUDINARY_URL_PRODUCTION is unset
    assert "CLOUDINARY_URL_PRODUCTION" in checks["credentials"]["message"]


def test_init_never_overwrites_and_writes_nothing_when_refused(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "presets").mkdir()
    (tmp_path / EXAMPLE_FILE).write_text("mine\n")
    (tmp_path / ".gitignore").write_text("node_modules/")
    result = cli("init")
    assert result.exit_code == EXIT_REFUSED
    assert "presets/community-uploads.yaml" in result.stderr
    assert "never overwritten" in result.stderr
    assert (tmp_path / EXAMPLE_FILE).read_text() == "mine\n"
    assert not (tmp_path / "cloudinary-presets.yaml").exists()
    assert not (tmp_path / "schemas").exists()
    assert (tmp_path / ".gitignore").read_text() == "node_modules/"

    (tmp_path / EXAMPLE_FILE).unlink()
    assert cli("init").exit_code == 0
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.presets/\n"
    again = cli("init")
    assert again.exit_code == EXIT_REFUSED
    assert "cloudinary-presets.yaml" in again.stderr


def test_init_keeps_an_existing_ignore_rule(tmp_path, cli):
    (tmp_path / ".gitignore").write_text("/.presets\n")
    result = cli("init", "--root", str(tmp_path))
    assert result.exit_code == 0
    assert ".gitignore" not in result.stdout
    assert (tmp_path / ".gitignore").read_text() == "/.presets\n"


# --------------------------------------------------------------------------- the root


@pytest.fixture
def nested(project_dir: Path) -> Path:
    """The example project with a deep subfolder, the working directory inside it."""
    deep = project_dir / "presets" / "team" / "deep"
    deep.mkdir(parents=True)
    return deep


def test_commands_find_the_root_from_a_subfolder(nested, project_dir, monkeypatch, cli):
    monkeypatch.chdir(nested)
    validate = cli("validate")
    assert validate.exit_code == 0, validate.output
    assert validate.stdout.splitlines()[-1].startswith("3 file(s), 3 valid preset(s)")
    resolve = cli("resolve", "avatar")
    assert resolve.stdout.splitlines()[0] == "avatar"
    assert "(../../avatar.yaml:2)" in resolve.stdout  # paths read from where you are

    plan = cli("plan", "--format", "json")
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.stdout)["summary"]["create"] == 3
    assert (project_dir / ".presets" / "emulator.sqlite").exists()
    assert not list(nested.parents[2].glob("**/presets/**/.presets")), ".presets/ only at root"


def test_the_configuration_marks_the_root_too(tmp_path, monkeypatch, cli):
    (tmp_path / "cloudinary-presets.yaml").write_text("presets_dir: defs\n")
    (tmp_path / "defs" / "x").mkdir(parents=True)
    (tmp_path / "defs" / "a.yaml").write_text("name: a\nsettings: {folder: f}\n")
    monkeypatch.chdir(tmp_path / "defs" / "x")
    assert find_root(Path.cwd()) == Path("../..")
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("1 file(s), 1 valid preset(s)")


def test_the_search_stops_at_a_git_work_tree(tmp_path, monkeypatch):
    (tmp_path / "presets").mkdir()  # an unrelated project above the repository
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "src")
    assert find_root(Path.cwd()) == Path(".")
    monkeypatch.chdir(tmp_path / "presets")
    assert find_root(Path.cwd()) == Path("..")


def test_root_and_presets_dir_options_win(tmp_path, monkeypatch, cli, project_dir):
    other = tmp_path / "elsewhere"
    (other / "defs").mkdir(parents=True)
    (other / "defs" / "b.yaml").write_text("name: b\nsettings: {folder: f}\n")
    for command in (["validate"], ["render"], ["resolve", "b"]):
        result = cli(*command, "--root", str(other), "--presets-dir", str(other / "defs"))
        assert result.exit_code == 0, (command, result.output)
    inside = project_dir / "more"
    (inside).mkdir()
    (inside / "c.yaml").write_text("name: c\nsettings: {folder: f}\n")
    assert "name: c" in cli("render", "--presets-dir", "more").stdout
    outside = cli("render", "--presets-dir", str(other / "defs"))  # only the project is read
    assert outside.exit_code == 1
    assert "only files inside the project are read" in outside.stderr
    assert cli("validate", str(other / "defs")).exit_code == 0  # a tree named to validate
    both = cli("validate", "presets", "--presets-dir", "other")
    assert both.exit_code == 64
    assert "not both" in both.stderr
