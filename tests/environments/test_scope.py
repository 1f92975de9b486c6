"""An environment owns only its own presets (issue 10, item 2).

Staging (``name_prefix: stg_``) and production (no prefix) share one emulator cloud,
a common set-up. A remote preset is in an environment's scope only if it carries that
environment's prefix (the longest declared prefix it carries decides); an environment
without a prefix owns the names that carry no declared prefix. Out-of-scope presets are
neither listed as unmanaged nor pruned, only counted.
"""

from __future__ import annotations

import json

import pytest

from cloudinary_presets.definitions.environments import EnvironmentSpec

CONFIG = """\
environments:
  staging:
    credentials: {env: STAGING_URL}
    name_prefix: stg_
  staging-eu:
    credentials: {env: STAGING_URL}
    name_prefix: stg_eu_
  production:
    credentials: {env: PRODUCTION_URL}
"""


def _preset(root, name: str, folder: str = "f") -> None:
    (root / "presets" / f"{name}.yaml").write_text(
        f"name: {name}\nsettings:\n  folder: {folder}\n", encoding="utf-8"
    )


@pytest.fixture
def shared(tmp_path, monkeypatch, cli, cloudinary_url):
    """One cloud, three environments, each applied with presets a and b."""
    root = tmp_path / "project"
    (root / "presets").mkdir(parents=True)
    (root / "cloudinary-presets.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    cli.env.update(STAGING_URL=cloudinary_url, PRODUCTION_URL=cloudinary_url)
    for name in ("a", "b"):
        _preset(root, name)
    for env in ("staging", "staging-eu", "production"):
        result = cli("apply", "--yes", "--env", env)
        assert result.exit_code == 0, result.output
    return root


def _names(emulator) -> list[str]:
    return sorted(p["name"] for p in emulator.presets("demo"))


ALL = ["a", "b", "stg_a", "stg_b", "stg_eu_a", "stg_eu_b"]


def test_prune_in_staging_deletes_only_stagings_presets(shared, cli, emulator):
    assert _names(emulator) == ALL
    (shared / "presets" / "b.yaml").unlink()

    plan = cli("plan", "--env", "staging", "--prune", "--format", "json")
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.stdout)
    listed = {c["remote_name"]: c["action"] for c in data["changes"]}
    assert listed == {"stg_a": "unchanged", "stg_b": "delete"}
    assert data["summary"]["out_of_scope"] == 4
    assert sorted(data["remote_fingerprints"]) == ["stg_a", "stg_b"]

    result = cli("apply", "--yes", "--env", "staging", "--prune")
    assert result.exit_code == 0, result.output
    assert "deleted stg_b" in result.stdout
    assert _names(emulator) == ["a", "b", "stg_a", "stg_eu_a", "stg_eu_b"]


def test_prune_in_production_deletes_only_productions_presets(shared, cli, emulator):
    (shared / "presets" / "b.yaml").unlink()
    result = cli("apply", "--yes", "--env", "production", "--prune")
    assert result.exit_code == 0, result.output
    assert "deleted b" in result.stdout
    assert _names(emulator) == ["a", "stg_a", "stg_b", "stg_eu_a", "stg_eu_b"]

    text = cli("plan", "--env", "production", "--prune")
    assert text.exit_code == 0, text.output
    assert "unmanaged" not in text.stdout
    assert "4 out of scope (other environments' presets, by name prefix; never touched)" in (
        text.stdout
    )


def test_the_longest_prefix_decides(shared, cli, emulator):
    """stg_eu_a carries stg_ too, but belongs to staging-eu: staging never prunes it."""
    for name in ("a", "b"):
        (shared / "presets" / f"{name}.yaml").unlink()
    _preset(shared, "c")
    result = cli("apply", "--yes", "--env", "staging", "--prune", "--force")
    assert result.exit_code == 0, result.output
    assert _names(emulator) == ["a", "b", "stg_c", "stg_eu_a", "stg_eu_b"]
    result = cli("apply", "--yes", "--env", "staging-eu", "--prune", "--force")
    assert result.exit_code == 0, result.output
    assert _names(emulator) == ["a", "b", "stg_c", "stg_eu_c"]


def test_out_of_scope_presets_are_counted_in_every_format(shared, cli, emulator):
    emulator.seed_presets("demo", [{"name": "legacy", "folder": "x"}])
    counted = "5 out of scope (other environments' presets, by name prefix; never touched)"
    for fmt in ("text", "markdown"):
        result = cli("plan", "--env", "staging", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert counted in result.stdout  # a, b, legacy, stg_eu_a, stg_eu_b
        assert "legacy" not in result.stdout
    staging = json.loads(cli("plan", "--env", "staging", "--format", "json").stdout)
    assert staging["summary"]["out_of_scope"] == 5
    assert staging["summary"]["unmanaged"] == 0
    production = json.loads(cli("plan", "--env", "production", "--format", "json").stdout)
    assert production["summary"]["out_of_scope"] == 4
    assert production["summary"]["unmanaged"] == 1  # legacy carries no declared prefix


def test_without_an_environment_declared_prefixes_are_out_of_scope(shared, cli, emulator):
    plan = cli("plan", "--format", "json", env={"CLOUDINARY_URL": cli.env["STAGING_URL"]})
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.stdout)
    assert {c["remote_name"] for c in data["changes"]} == {"a", "b"}
    assert data["summary"]["out_of_scope"] == 4


@pytest.mark.parametrize(
    ("prefix", "others", "owned", "foreign"),
    [
        ("stg_", ("stg_eu_",), ["stg_a", "stg_"], ["stg_eu_a", "a", "prod_stg_a"]),
        ("stg_eu_", ("stg_",), ["stg_eu_a"], ["stg_a", "a"]),
        ("", ("stg_", "stg_eu_"), ["a", "st", "xstg_a"], ["stg_a", "stg_eu_a"]),
        ("", (), ["a", "stg_a"], []),
        ("x_", ("x_",), ["x_a"], ["a"]),  # two environments with one prefix share it
    ],
)
def test_the_scope_rule(prefix, others, owned, foreign):
    spec = EnvironmentSpec(name_prefix=prefix, other_prefixes=others)
    assert [n for n in owned if not spec.owns(n)] == []
    assert [n for n in foreign if spec.owns(n)] == []
