"""Two product environments from one set of files: prefixes, overrides, variables.

The emulator serves two clouds with different credentials; the configuration points
``staging`` and ``production`` at them through two variables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudinary_presets.emulator import CloudAccount, Emulator

STAGING = CloudAccount("stg-cloud", "111111111111111", "staging-secret-abc")
PRODUCTION = CloudAccount("prod-cloud", "222222222222222", "production-secret-xyz")

CONFIG = """\
# yaml-language-server: $schema=schemas/config.schema.json
default_environment: staging
environments:
  staging:
    credentials: {env: CLOUDINARY_URL_STAGING}
    name_prefix: stg_
    variables: {hooks_host: hooks.staging.example.com}
    overrides:
      ugc:
        settings: {moderation: [{aws_rek: {explicit_nudity: 0.6}}, manual]}
  production:
    credentials: {env: CLOUDINARY_URL_PRODUCTION}
    variables: {hooks_host: hooks.example.com}
"""

UGC = """\
name: ugc
settings:
  folder: ugc
  allowed_formats: [jpg, png]
  moderation:
    - aws_rek: {explicit_nudity: 0.7, violence: 0.8}
    - manual
  notification_url: https://${hooks_host}/cloudinary
"""

AVATAR = """\
name: avatar
unsigned: true
disallow_public_id: true
settings:
  allowed_formats: [jpg, png]
  moderation: aws_rek
  tags: [avatar, "${env:APP_NAME}"]
"""


@pytest.fixture
def clouds() -> Iterator[Emulator]:
    emu = Emulator(":memory:", clouds=[STAGING, PRODUCTION]).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def envs_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli, clouds: Emulator) -> Path:
    root = tmp_path / "repo"
    (root / "presets").mkdir(parents=True)
    (root / "cloudinary-presets.yaml").write_text(CONFIG)
    (root / "presets" / "ugc.yaml").write_text(UGC)
    (root / "presets" / "avatar.yaml").write_text(AVATAR)
    monkeypatch.chdir(root)
    cli.env.update(
        CLOUDINARY_URL_STAGING=clouds.cloudinary_url(STAGING.name),
        CLOUDINARY_URL_PRODUCTION=clouds.cloudinary_url(PRODUCTION.name),
        APP_NAME="shop",
    )
    return root


def _by_name(emu: Emulator, cloud: str) -> dict[str, dict]:
    return {p["name"]: p for p in emu.presets(cloud)}


def test_each_environment_gets_its_names_and_overrides(envs_project, cli, clouds):
    staging = cli("apply", "--yes")  # default_environment: staging
    assert staging.exit_code == 0, staging.output
    assert staging.stdout.splitlines()[0].startswith(
        "Target: environment 'staging': cloud 'stg-cloud'"
    )
    production = cli("apply", "--yes", "--env", "production")
    assert production.exit_code == 0, production.output

    stg = _by_name(clouds, STAGING.name)
    prod = _by_name(clouds, PRODUCTION.name)
    assert sorted(stg) == ["stg_avatar", "stg_ugc"]
    assert sorted(prod) == ["avatar", "ugc"]
    # the override replaced the chain (lists replace) in staging only
    assert stg["stg_ugc"]["settings"]["moderation"] == "aws_rek:explicit_nudity:0.6|manual"
    assert (
        prod["ugc"]["settings"]["moderation"] == "aws_rek:explicit_nudity:0.7:violence:0.8|manual"
    )
    # variables per environment, and ${env:NAME} from the process environment
    assert (
        stg["stg_ugc"]["settings"]["notification_url"]
        == "https://hooks.staging.example.com/cloudinary"
    )
    assert prod["ugc"]["settings"]["notification_url"] == "https://hooks.example.com/cloudinary"
    assert prod["avatar"]["settings"]["tags"] == "avatar,shop"

    for env in ("staging", "production"):
        again = cli("plan", "--env", env, "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        assert "No changes" in again.stdout


def test_all_envs_plans_every_environment_and_combines_exit_codes(envs_project, cli, clouds):
    assert cli("apply", "--yes", "--env", "production").exit_code == 0
    result = cli("plan", "--all-envs", "--detailed-exitcode")
    assert result.exit_code == 2, result.output  # staging has changes
    out = result.stdout
    assert out.index("=== environment production ===") < out.index("=== environment staging ===")
    production_part, staging_part = out.split("=== environment staging ===")
    assert "No changes" in production_part
    assert "+ create stg_ugc (defined as ugc)" in staging_part
    assert "Plan: 2 to create" in staging_part

    assert cli("apply", "--yes", "--env", "staging").exit_code == 0
    clean = cli("plan", "--all-envs", "--detailed-exitcode")
    assert clean.exit_code == 0, clean.output


def test_all_envs_markdown_has_a_section_per_environment(envs_project, cli):
    result = cli("plan", "--all-envs", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "### Environment production: preset plan for environment 'production'" in result.stdout
    assert "### Environment staging: preset plan for environment 'staging'" in result.stdout


def test_all_envs_json_is_one_document_with_a_plan_per_environment(envs_project, cli):
    result = cli("plan", "--all-envs", "--format", "json", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)  # the target lines went to stderr
    assert list(document) == ["environments"]
    assert list(document["environments"]) == ["production", "staging"]
    staging = document["environments"]["staging"]
    assert staging["target"]["environment"] == "staging"
    assert sorted(c["remote_name"] for c in staging["changes"]) == ["stg_avatar", "stg_ugc"]
    assert "Target: environment 'production'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--env", "staging"), "give either --env or --all-envs"),
        (("--out", "plan.json"), "--out saves one environment's plan; use --env with --out"),
    ],
)
def test_all_envs_refuses_options_for_one_environment(envs_project, cli, args, message):
    result = cli("plan", "--all-envs", *args)
    assert result.exit_code == 64
    assert message in result.stderr
    assert result.stdout == ""


def test_all_envs_reports_a_failing_environment_and_continues(envs_project, cli):
    result = cli("plan", "--all-envs", env={"CLOUDINARY_URL_STAGING": "cloudinary://k@"})
    assert result.exit_code == 1
    assert "environment staging:" in result.stderr
    assert "=== environment production ===" in result.stdout
    assert "Plan: 2 to create" in result.stdout


def _environ(clouds: Emulator, **extra: str) -> dict[str, str]:
    return {
        "CLOUDINARY_URL_STAGING": clouds.cloudinary_url(STAGING.name),
        "CLOUDINARY_URL_PRODUCTION": clouds.cloudinary_url(PRODUCTION.name),
        "APP_NAME": "shop",
        **extra,
    }


def test_the_library_plans_every_environment_against_its_own_target(envs_project, cli, clouds):
    """``plan_environments`` opens each environment's own target (no CLI involved)."""
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.multi_env import plan_environments

    assert cli("apply", "--yes", "--env", "production").exit_code == 0
    events: list[str] = []
    results = plan_environments(
        Project.open(envs_project),
        _environ(clouds),
        on_start=lambda name: events.append(f"start {name}"),
        on_result=lambda o: events.append(f"done {o.name}"),
    )
    assert events == ["start production", "done production", "start staging", "done staging"]
    assert list(results.plans) == ["production", "staging"]
    assert results.failed == []
    assert not results.plans["production"].has_changes
    staging = results.plans["staging"]
    assert staging.target.cloud_name == STAGING.name
    assert sorted(c.remote_name for c in staging.writes) == ["stg_avatar", "stg_ugc"]
    assert results.exit_code() == 0
    assert results.exit_code(detailed=True) == 2
    as_json = results.to_dict()["environments"]
    assert list(as_json) == ["production", "staging"]
    assert as_json["staging"] == staging.to_dict()
    assert clouds.presets(STAGING.name) == []  # planning never writes


def test_the_library_records_a_failing_environment_and_plans_the_others(envs_project, clouds):
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.errors import CredentialsError
    from cloudinary_presets.operations.multi_env import plan_environments

    environ = _environ(clouds, CLOUDINARY_URL_STAGING="cloudinary://k@")
    results = plan_environments(Project.open(envs_project), environ)
    [failed] = results.failed
    assert failed.name == "staging"
    assert failed.plan is None
    assert isinstance(failed.error, CredentialsError)
    assert list(results.plans) == ["production"]
    assert results.has_changes
    assert results.exit_code(detailed=True) == 1  # a failure outweighs changes
    assert list(results.to_dict()["environments"]) == ["production"]

    only_production = plan_environments(Project.open(envs_project), environ, names=["production"])
    assert only_production.failed == []
    assert only_production.exit_code(detailed=True) == 2


def test_undefined_variable_is_a_located_error_and_nothing_is_read(envs_project, cli, clouds):
    (envs_project / "presets" / "ugc.yaml").write_text(UGC.replace("${hooks_host}", "${hook_host}"))
    result = cli("plan", "--env", "production")
    assert result.exit_code == 1
    assert (
        "presets/ugc.yaml:8:21: error: settings.notification_url: undefined variable "
        "${hook_host} in environment 'production' (did you mean `hooks_host`?)"
    ) in result.stderr
    assert clouds.stats()["by_cloud"].get(PRODUCTION.name, {}).get("admin_calls", 0) == 0


def test_undefined_process_variable_is_located(envs_project, cli):
    del cli.env["APP_NAME"]
    result = cli("validate", "--env", "production")
    assert result.exit_code == 1
    assert (
        "presets/avatar.yaml:7:18: error: settings.tags[1]: ${env:APP_NAME}: "
        "environment variable APP_NAME is not set"
    ) in result.stdout


def test_process_variable_that_empties_a_value_is_still_validated(envs_project, cli):
    result = cli("validate", "--env", "production", env={"APP_NAME": ""})
    assert result.exit_code == 1
    assert "presets/avatar.yaml:7:18: error: settings.tags[1]:" in result.stdout


def test_unknown_environment_is_a_usage_error_with_a_suggestion(envs_project, cli):
    result = cli("plan", "--env", "prodution")
    assert result.exit_code == 64
    assert "unknown environment 'prodution' (did you mean `production`?)" in result.stderr
    assert "cloudinary-presets.yaml:3:1" in result.stderr


def test_override_for_an_unknown_preset_points_into_the_config(envs_project, cli):
    config = CONFIG.replace("      ugc:\n", "      ugcc:\n")
    (envs_project / "cloudinary-presets.yaml").write_text(config)
    result = cli("validate", "--env", "staging")
    assert result.exit_code == 1
    assert (
        "cloudinary-presets.yaml:9:7: error: environments.staging.overrides.ugcc: "
        "override for unknown preset 'ugcc' (did you mean `ugc`?)"
    ) in result.stdout


def test_override_errors_are_located_in_the_config_file(envs_project, cli):
    config = CONFIG.replace("explicit_nudity: 0.6", "explicit_nudity: 1.6")
    (envs_project / "cloudinary-presets.yaml").write_text(config)
    result = cli("validate", "--env", "staging")
    assert result.exit_code == 1
    assert "cloudinary-presets.yaml:10:" in result.stdout
    assert "threshold must be > 0 and <= 1, got 1.6" in result.stdout


def test_invalid_config_is_located(envs_project, cli):
    (envs_project / "cloudinary-presets.yaml").write_text(
        CONFIG.replace("name_prefix", "name_prefx")
    )
    result = cli("validate")
    assert result.exit_code == 1
    assert (
        "cloudinary-presets.yaml:6:5: error: environments.staging.name_prefx: unknown key "
        "`name_prefx` (did you mean `name_prefix`?)" in result.stderr
    )


def test_render_prints_the_resolved_definitions(envs_project, cli):
    result = cli("render", "--env", "staging", "ugc")
    assert result.exit_code == 0, result.output
    assert "remote name stg_ugc" in result.stdout
    assert "explicit_nudity: 0.6" in result.stdout
    assert "violence" not in result.stdout
    assert "https://hooks.staging.example.com/cloudinary" in result.stdout


def test_credentials_are_read_only_from_the_named_variable(envs_project, cli, clouds):
    # CLOUDINARY_URL names production, but staging reads CLOUDINARY_URL_STAGING only
    cli.env["CLOUDINARY_URL"] = clouds.cloudinary_url(PRODUCTION.name)
    result = cli("plan", "--env", "staging")
    assert "cloud 'stg-cloud'" in result.stdout.splitlines()[0]
    missing = cli("plan", "--env", "staging", env={"CLOUDINARY_URL_STAGING": ""})
    assert missing.exit_code in (1, 64)
    assert "CLOUDINARY_URL_STAGING" in missing.stderr
    assert "production-secret" not in missing.output
