"""Which product environment a command talks to: named in the first line of output
(stderr for JSON/Markdown), the embedded emulator used loudly when there are no
credentials, and that fallback refused in CI unless asked for with --emulator."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import config, names, only_presets

from cloudinary_presets.emulator import Emulator

BANNER = (
    "  No Cloudinary credentials configured: using the embedded LOCAL EMULATOR. "
    "Nothing is sent to Cloudinary."
)
EMBEDDED = "Target: local emulator (.presets/emulator.sqlite), cloud 'demo'"


def _target_line(emulator):
    source = "(credentials from environment variable CLOUDINARY_URL)"
    return f"Target: cloud 'demo' at {emulator.url} {source}"


@pytest.mark.parametrize(
    ("args", "stream"),
    [
        (("plan",), "stdout"),
        (("plan", "--format", "json"), "stderr"),
        (("plan", "--format", "markdown"), "stderr"),
        (("plan", "--out", "plan.json"), "stdout"),
        (("apply", "--yes"), "stdout"),
        (("apply", "plan.json"), "stdout"),
        (("import", "--all", "--force"), "stdout"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else v,
)
def test_every_command_names_its_target_in_its_first_line(
    args, stream, project_dir, remote_cli, emulator
):
    assert remote_cli("plan", "--out", "plan.json").exit_code == 0
    result = remote_cli(*args)
    assert result.exit_code == 0, result.output
    assert getattr(result, stream).splitlines()[0] == _target_line(emulator)
    if stream == "stderr":
        assert "Target:" not in result.stdout, "machine-readable output stays clean"


def test_url_option_wins_over_the_variable(project_dir, remote_cli, emulator):
    with Emulator(":memory:") as chosen:
        result = remote_cli("apply", "--yes", "--url", chosen.cloudinary_url("demo"))
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[0] == (
            f"Target: cloud 'demo' at {chosen.url} (credentials from --url)"
        )
        assert names(chosen) == ["avatar", "product-images", "ugc-moderated"]
    assert emulator.stats()["admin_calls"] == 0


def test_an_environment_names_itself_and_its_credentials(project_dir, cli, emulator):
    config(
        project_dir,
        "environments:\n  staging:\n    name_prefix: stg-\n    credentials: {env: STAGING_URL}\n",
    )
    cli.env["STAGING_URL"] = emulator.cloudinary_url("demo")
    result = cli("apply", "--yes", "--env", "staging")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"Target: environment 'staging': cloud 'demo' at {emulator.url} "
        "(credentials from environment variable STAGING_URL)"
    )
    assert names(emulator) == ["stg-avatar", "stg-product-images", "stg-ugc-moderated"]


def test_a_malformed_url_is_a_usage_error_that_never_echoes_the_secret(project_dir, cli):
    result = cli("plan", env={"CLOUDINARY_URL": "cloudinary://123456:S3CR3T-xyz@"})
    assert result.exit_code == 64, result.output
    assert "S3CR3T-xyz" not in result.output
    assert not (project_dir / ".presets").exists(), "no silent fallback to the emulator"


# --------------------------------------------------------------------------- embedded emulator


def test_without_credentials_the_embedded_emulator_is_used_and_said_loudly(project_dir, cli):
    plan = cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    out = plan.stdout.splitlines()
    assert out[0] == EMBEDDED
    assert out[1].startswith(BANNER)
    assert (
        "Set CLOUDINARY_URL (or --url/--profile/--env) to target a real product environment."
        in out[1]
    )

    as_json = cli("plan", "--format", "json")
    assert as_json.stderr.splitlines()[:2] == [EMBEDDED, as_json.stderr.splitlines()[1]]
    assert as_json.stderr.splitlines()[1].startswith(BANNER)
    target = json.loads(as_json.stdout)["target"]
    assert {
        k: target[k] for k in ("description", "cloud_name", "api_host", "environment", "emulator")
    } == {
        "description": "local emulator (.presets/emulator.sqlite), cloud 'demo'",
        "cloud_name": "demo",
        "api_host": "local-emulator",
        "environment": None,
        "emulator": True,
    }

    applied = cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.splitlines()[0] == EMBEDDED
    # the state lives in .presets/ and outlives the command's emulator
    state_dir = project_dir / ".presets"
    assert (state_dir / "emulator.sqlite").is_file()
    assert (state_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    assert cli("plan", "--detailed-exitcode").exit_code == 0
    with Emulator(state_dir / "emulator.sqlite") as stored:
        assert names(stored) == ["avatar", "product-images", "ugc-moderated"]


def test_an_environment_may_choose_the_emulator_explicitly(project_dir, cli):
    config(project_dir, "environments:\n  sandbox:\n    emulator: true\n")
    result = cli(
        "apply", "--yes", "--env", "sandbox", env={"CI": "true"}
    )  # explicit: allowed in CI
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Target: environment 'sandbox': local emulator (.presets/emulator.sqlite), cloud 'sandbox'"
    )
    with _open_state(project_dir) as emu:
        assert names(emu, "sandbox") == ["avatar", "product-images", "ugc-moderated"]


def _open_state(project_dir):
    from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount

    sandbox = CloudAccount("sandbox", DEMO_CLOUD.api_key, DEMO_CLOUD.api_secret)
    return Emulator(project_dir / ".presets/emulator.sqlite", clouds=[sandbox])


# --------------------------------------------------------------------------- CI


@pytest.mark.parametrize("ci", ["true", "1", "TRUE", "yes"])
@pytest.mark.parametrize(
    "args",
    [("plan",), ("plan", "--format", "json"), ("apply", "--yes"), ("import", "--all")],
    ids=" ".join,
)
def test_ci_refuses_the_silent_fallback(ci, args, project_dir, cli):
    result = cli(*args, env={"CI": ci})
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "error: no Cloudinary credentials are configured and CI is set: refusing to fall back "
        "to the local emulator silently"
    )
    assert "or pass --emulator to run against the local emulator on purpose" in result.stderr
    assert not (project_dir / ".presets").exists()


def test_ci_with_emulator_flag_or_credentials_works(project_dir, cli, emulator):
    only_presets(project_dir, project_dir / "presets/avatar.yaml")
    flagged = cli("apply", "--yes", "--emulator", env={"CI": "true"})
    assert flagged.exit_code == 0, flagged.output
    assert flagged.stdout.splitlines()[:2] == [EMBEDDED, flagged.stdout.splitlines()[1]]
    assert flagged.stdout.splitlines()[1].startswith(BANNER)

    credentialed = cli(
        "apply", "--yes", env={"CI": "true", "CLOUDINARY_URL": emulator.cloudinary_url("demo")}
    )
    assert credentialed.exit_code == 0, credentialed.output
    assert credentialed.stdout.splitlines()[0] == _target_line(emulator)
    assert names(emulator) == ["avatar"]


@pytest.mark.parametrize("ci", ["false", "0", ""])
def test_a_false_ci_value_allows_the_fallback(ci, project_dir, cli):
    result = cli("plan", env={"CI": ci})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == EMBEDDED


# --------------------------------------------------------------------------- the library


def test_the_library_never_falls_back_to_the_emulator(project_dir, emulator):
    from pathlib import Path

    from cloudinary_presets import Project, Uploader, open_target, plan_environments
    from cloudinary_presets.errors import CredentialsError, MissingCredentials

    for call in (
        lambda: open_target(root=project_dir, environ={}, home=project_dir),
        lambda: Uploader.from_env({}, root=project_dir),
    ):
        with pytest.raises(MissingCredentials) as caught:
            call()
        assert isinstance(caught.value, CredentialsError)
        assert caught.value.exit_code == 64
        assert "no Cloudinary credentials are configured" in str(caught.value)
        assert "emulator=True" in str(caught.value)
    assert not (project_dir / ".presets").exists(), "nothing is created on disk"

    config(project_dir, "environments:\n  staging: {}\n  production: {}\n")
    results = plan_environments(Project.open(project_dir), {})
    assert [type(o.error) for o in results.outcomes] == [MissingCredentials] * 2
    assert not (project_dir / ".presets").exists()

    with Uploader.from_env({}, root=project_dir, emulator=True) as uploader:  # on purpose
        assert uploader.target.info.emulator
    assert (project_dir / ".presets" / "emulator.sqlite").exists()

    url = emulator.cloudinary_url("demo")
    with open_target(root=project_dir, environ={"CLOUDINARY_URL": url}, home=Path("/")) as target:
        assert not target.info.emulator
        assert target.info.api_host == emulator.url
