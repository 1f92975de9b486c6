"""``presets doctor``: every check against the emulator, what it says and that it changes
nothing (no file written, no preset created, at most one ping and one listing)."""

from __future__ import annotations

import json

import pytest
from everyday_helpers import requests, write_requests


def _checks(result) -> dict[str, list[dict]]:
    data = json.loads(result.stdout)
    found: dict[str, list[dict]] = {}
    for check in data["checks"]:
        found.setdefault(check["check"], []).append(check)
    return found


def _only(found, name) -> dict:
    assert len(found[name]) == 1, found[name]
    return found[name][0]


def test_without_credentials_doctor_says_the_emulator_would_be_used(project_dir, cli):
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Project at ."
    assert any(
        line.split()[:2] == ["warning", "credentials"]
        and "none configured: commands use the embedded local emulator (.presets/emulator.sqlite)"
        in line
        for line in lines
    )
    assert lines[-1] == "ready: 0 failed, 1 warning(s) (0 Admin API call(s))"
    assert not (project_dir / ".presets").exists(), "doctor starts no emulator, writes nothing"

    ci = cli("doctor", "--json", env={"CI": "true"})
    assert ci.exit_code == 1
    credentials = _only(_checks(ci), "credentials")
    assert credentials["status"] == "failed"
    assert "CI is set" in credentials["message"]

    forced = _only(_checks(cli("doctor", "--json", "--emulator")), "credentials")
    assert forced["status"] == "warning"
    assert forced["message"].startswith("emulator in use (--emulator)")


def test_with_credentials_doctor_pings_once_and_reports_quota(
    project_dir, remote_cli, emulator, cloudinary_url
):
    writes = write_requests(emulator)
    result = remote_cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = _checks(result)
    credentials = _only(found, "credentials")
    assert credentials["status"] == "ok"
    assert credentials["message"].startswith(
        "from environment variable CLOUDINARY_URL: cloud 'demo', API key sha256:"
    )
    assert "(secret set, never shown)" in credentials["message"]
    target = _only(found, "target")
    assert target["status"] == "warning"
    assert f"API host {emulator.url} is this machine" in target["message"]
    reach = _only(found, "reachability")
    assert reach["status"] == "ok"
    assert reach["message"].startswith(f"GET /ping to {emulator.url}: ")
    quota = _only(found, "quota")
    assert quota["status"] == "ok"
    assert quota["message"].startswith("1999/2000 Admin API calls left this hour; resets ")
    presets = _only(found, "presets")
    assert presets["message"] == "presets: 3 file(s), 3 valid preset(s), 0 warning(s)"
    # moderation add-ons are in use but no preset exists remotely yet: no evidence either way
    addon = _only(found, "add-ons")
    assert addon["status"] == "info"
    assert addon["message"].startswith("aws_rek: cannot tell whether the add-on is enabled")
    assert requests(emulator).get("GET /ping") == 1
    assert requests(emulator).get("GET /upload_presets") == 1
    assert json.loads(result.stdout)["api_calls"] == 2
    assert write_requests(emulator) == writes, "doctor wrote something"
    assert emulator.presets("demo") == []

    text = remote_cli("doctor").stdout
    assert "  ok       reachability" in text
    markdown = remote_cli("doctor", "--format", "markdown").stdout
    assert markdown.startswith("### presets doctor: ready: 0 failed, 1 warning(s)")
    assert "| reachability | ok | GET /ping to http://127.0.0.1:" in markdown


def test_doctor_sees_an_enabled_add_on_in_the_presets_that_keep_it(
    project_dir, remote_cli, emulator
):
    assert remote_cli("apply", "--yes").exit_code == 0
    enabled = _only(_checks(remote_cli("doctor", "--json")), "add-ons")
    assert enabled["status"] == "ok"
    assert enabled["message"] == (
        "aws_rek: enabled (remote preset(s) avatar, ugc-moderated keep aws_rek moderation)"
    )


def test_doctor_warns_when_moderation_was_dropped(project_dir, remote_cli, emulator):
    emulator.set_addons("demo", ["manual"])  # Rekognition not enabled: moderation is dropped
    assert remote_cli("apply", "--yes").exit_code == 1  # apply's verification says so too
    missing = remote_cli("doctor", "--json")
    assert missing.exit_code == 0  # a warning, not a failed check
    addon = _only(_checks(missing), "add-ons")
    assert addon["status"] == "warning"
    assert addon["message"].startswith(
        "aws_rek: add-on likely missing: avatar, ugc-moderated defined with aws_rek moderation, "
        "stored without it"
    )
    assert "enable the add-on" in addon["hint"]


def test_rejected_credentials_and_unreachable_hosts_fail(project_dir, cli, emulator):
    account = emulator.clouds[0]
    wrong = f"cloudinary://{account.api_key}:not-the-secret@demo?upload_prefix={emulator.url}"
    refused = cli("doctor", "--json", env={"CLOUDINARY_URL": wrong})
    assert refused.exit_code == 1
    reach = _only(_checks(refused), "reachability")
    assert reach["status"] == "failed"
    assert reach["message"].startswith("Cloudinary refused the credentials")
    assert "API Keys" in reach["hint"]
    assert "not-the-secret" not in refused.output
    assert "quota" not in _checks(refused)

    closed = f"cloudinary://{account.api_key}:unreachable-host-test-secret-zq@demo?upload_prefix=http://127.0.0.1:9"
    down = cli("doctor", "--json", env={"CLOUDINARY_URL": closed})
    assert down.exit_code == 1
    assert _only(_checks(down), "reachability")["status"] == "failed"


@pytest.mark.parametrize(
    ("setup", "args", "check", "fragment"),
    [
        (
            lambda root: (root / "presets" / "bad.yaml").write_text("name: [\n"),
            [],
            "presets",
            "1 error(s)",
        ),
        (lambda root: None, ["--env", "nope"], "environment", "nope"),
        (
            lambda root: (root / "cloudinary-presets.yaml").write_text("prune: maybe\n"),
            [],
            "configuration",
            "cloudinary-presets.yaml",
        ),
        (
            lambda root: (root / "cloudinary-presets.yaml").write_text(
                "environments:\n  prod:\n    credentials: {env: NOT_SET_ANYWHERE}\n"
            ),
            ["--env", "prod"],
            "credentials",
            "NOT_SET_ANYWHERE",
        ),
    ],
    ids=["invalid-definitions", "unknown-environment", "invalid-config", "missing-variable"],
)
def test_each_failed_check_exits_1_and_says_why(project_dir, cli, setup, args, check, fragment):
    setup(project_dir)
    result = cli("doctor", "--json", *args)
    assert result.exit_code == 1, result.output
    failed = [c for c in json.loads(result.stdout)["checks"] if c["status"] == "failed"]
    assert [c["check"] for c in failed] == [check]
    assert fragment in failed[0]["message"]
