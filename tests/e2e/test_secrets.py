"""Secrets never leave the process (issue 10, item 3).

* A definition value that would carry the API secret of any credentials the tool can
  resolve (after variable expansion) is a validation error at its file:line:col naming
  the variable, never the value: in ``plan``, ``render``, ``validate`` (every format) and
  ``resolve``, including commands that never open a target.
* Every output path masks every secret the process knows, whatever characters it
  contains: text, Markdown and JSON plans, the saved plan, ``$GITHUB_STEP_SUMMARY``,
  ``--debug`` logs, GitHub annotations, exception messages, a non-JSON error body quoted
  from a server, and ``import`` never writes one into a file.

The staging environment talks to the test's emulator (the sentinel secret); production's
credentials (never used to connect) hold an awkward secret. A remote preset in staging's
cloud carries production's secret in its values, as if pasted into the Console.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from e2e_helpers import config, write

from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.remote import RemotePresets
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import ApiError, CredentialsError
from cloudinary_presets.model.sensitive import forms_of, mask

AWKWARD = {
    "regex": r"a+b*c?(d)[e]{f}|g^$.\x",
    "unicode": "sécrét-ключ-密钥-🔑-x",
    "spaces": "has some  spaces inside",
    "markup": "q\"u'o<t>e%41&x=1;|pipe",
    "eight": "Eight8ch",
}

CONFIG = """\
environments:
  staging:
    credentials: {env: STAGING_URL}
  production:
    credentials: {env: PRODUCTION_URL}
    name_prefix: prod_
"""


def _leaks(secret: str, *texts: str) -> list[str]:
    """Each form of ``secret`` found in ``texts`` (and where), never the secret itself."""
    found = []
    for index, text in enumerate(texts):
        for form in forms_of(secret):
            if form in text:
                found.append(f"text #{index} holds a form of the secret ({len(form)} chars)")
    return found


@pytest.fixture
def two_envs(project_dir, cli, cloudinary_url):
    config(project_dir, CONFIG)
    cli.env["STAGING_URL"] = cloudinary_url
    return cli


@pytest.mark.parametrize("kind", sorted(AWKWARD))
def test_every_output_masks_a_known_secret(kind, two_envs, project_dir, emulator, tmp_path):
    secret = AWKWARD[kind]
    cli = two_envs
    # production answers at once (an unknown cloud: 401), so --all-envs stays fast
    cli.env["PRODUCTION_URL"] = (
        f"cloudinary://200000000000002:{quote(secret, safe='')}@prod?upload_prefix={emulator.url}"
    )
    summary = tmp_path / "summary.md"
    cli.env["GITHUB_STEP_SUMMARY"] = str(summary)
    emulator.seed_presets(
        "demo",
        [
            {
                "name": "leaky",
                "folder": f"pasted-{secret}-here",
                "tags": f"t1,{secret}",
                "context": f"note={secret.replace('|', '')}",
            }
        ],
    )
    outputs = []
    for args in (
        ("plan", "--env", "staging", "--prune", "--force", "--out", "plan.json", "-v"),
        ("plan", "--env", "staging", "--format", "markdown"),
        ("plan", "--env", "staging", "--format", "json"),
        ("plan", "--env", "staging", "--debug", "--prune", "--force"),
        ("plan", "--all-envs", "--format", "json"),
    ):
        result = cli(*args)
        outputs += [result.stdout, result.stderr]
        assert result.exit_code in (0, 1), result.output
    plan_text = (project_dir / "plan.json").read_text()
    assert _leaks(secret, *outputs, plan_text, summary.read_text()) == []
    assert '- settings.folder: "pasted-***-here"' in outputs[6]  # shown, masked
    data = json.loads(plan_text)
    leaky = next(c for c in data["changes"] if c["remote_name"] == "leaky")
    assert leaky["action"] == "delete"
    assert "pasted-***-here" in plan_text
    assert json.loads(outputs[8])["environments"]["staging"]["summary"]["unmanaged"] == 1

    imported = cli("import", "leaky", "--env", "staging")
    assert imported.exit_code == 3, imported.output
    assert (
        "leaky: a remote value contains the API secret of configured credentials; remove it "
        "in Cloudinary, then import" in imported.stderr
    )
    assert not (project_dir / "presets" / "leaky.yaml").exists()
    assert _leaks(secret, imported.output) == []


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('"${env:STAGING_URL}"', "${env:STAGING_URL} expands to a value that contains"),
        ('"x-${env:PRODUCTION_URL}"', "${env:PRODUCTION_URL} expands to a value that contains"),
        ('"${env:SECRET_ONLY}"', "${env:SECRET_ONLY} expands to a value that contains"),
        ('"${pasted}"', "${pasted} expands to a value that contains"),
        ('"Production-Secret-77"', "the value contains"),
    ],
    ids=["own-url", "other-env-url", "bare-secret", "variable", "literal"],
)
def test_a_definition_carrying_a_secret_is_a_located_error(
    value, named, two_envs, project_dir, emulator
):
    cli = two_envs
    cli.env["PRODUCTION_URL"] = "cloudinary://200000000000002:Production-Secret-77@prod"
    cli.env["SECRET_ONLY"] = "Production-Secret-77"
    config(
        project_dir,
        CONFIG.replace(
            "    name_prefix: prod_\n",
            "    name_prefix: prod_\n    variables: {pasted: Production-Secret-77}\n",
        ),
    )
    env = "production" if "pasted" in value else "staging"  # where the variable lives
    write(project_dir, "avatar", f"name: avatar\nsettings:\n  tags: [a]\n  folder: {value}\n")
    message = (
        f"presets/avatar.yaml:4:11: error: settings.folder: {named} the API secret of "
        "configured credentials; a secret may never be a preset setting"
    )
    outputs = []
    for args in (
        ("plan", "--env", env),
        ("apply", "--yes", "--env", env),
        ("render", "--env", env),
        ("resolve", "avatar", "--env", env),
        ("validate", "--env", env),
        ("validate", "--env", env, "--format", "json"),
        ("validate", "--env", env, "--format", "github"),
    ):
        result = cli(*args)
        assert result.exit_code == 1, (args, result.output)
        outputs += [result.stdout, result.stderr]
    assert message in outputs[1]  # plan's stderr
    assert message in outputs[5]  # render's
    assert "::error file=presets/avatar.yaml,line=4,col=11,title=settings.folder::" in (outputs[12])
    assert _leaks("Production-Secret-77", *outputs) == []
    assert _leaks("S3ntinel+9c41e7=Do-Not-Leak", *outputs) == []
    assert emulator.stats()["admin_calls"] == 0, "invalid definitions: nothing is read either"


def test_secrets_are_learnt_without_a_target(project_dir, cli, monkeypatch):
    """`render` reads no credentials to talk to anyone, but knows their secrets."""
    config(project_dir, CONFIG)
    cli.env["PRODUCTION_URL"] = "cloudinary://200000000000002:Production-Secret-77@prod"
    write(project_dir, "avatar", 'name: avatar\nsettings:\n  folder: "${env:PRODUCTION_URL}"\n')
    result = cli("render", "--env", "production")
    assert result.exit_code == 1
    assert "${env:PRODUCTION_URL} expands to a value that contains the API secret" in (
        result.stderr
    )
    assert "Production-Secret-77" not in result.output
    assert not (project_dir / ".presets").exists()


# --------------------------------------------------------------------------- below the CLI


class _Answer(http.server.BaseHTTPRequestHandler):
    body = b""
    content_type = "text/html"

    def do_GET(self) -> None:
        self.send_response(502)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy() -> Iterator[str]:
    """A misbehaving proxy on loopback that answers every GET with a non-JSON 502."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", sorted(AWKWARD))
@pytest.mark.parametrize("offset", [0, 100, 117])
def test_a_non_json_error_body_quoting_the_secret_is_masked(kind, offset, proxy):
    secret = AWKWARD[kind] + "-proxy"
    credentials = Credentials("demo", "1234", Secret(secret), api_host=proxy)
    # the secret at the start, in the middle, and straddling the excerpt's cut
    _Answer.body = ("x" * offset + f"<p>echo {secret} and {quote(secret)}</p>").encode()
    once = RetryPolicy(max_attempts=1)
    with (
        Transport(credentials, timeout=(2.0, 5.0), retry=once) as transport,
        pytest.raises(ApiError) as caught,
    ):
        RemotePresets(transport).snapshot([])
    text = str(caught.value)
    assert "unexpected non-JSON response (HTTP 502, text/html" in text
    assert _leaks(secret, text) == []
    prefix = secret[:6]
    assert prefix not in text, "a cut secret does not show its start either"


@pytest.mark.parametrize("kind", sorted(AWKWARD))
def test_mask_handles_any_character(kind):
    secret = AWKWARD[kind] + "-unit"
    Secret(secret)
    for form in forms_of(secret):
        assert mask(f"before {form} after") == "before *** after"
    assert str(CredentialsError(f"failed with {secret!r}")) == "failed with '***'"


@pytest.mark.parametrize("short", ["a", "abc", "7chars!"])
def test_a_secret_too_short_to_mask_is_refused(short, cli, project_dir):
    result = cli("plan", env={"CLOUDINARY_URL": f"cloudinary://1234:{quote(short)}@demo"})
    assert result.exit_code == 64
    assert f"is {len(short)} character(s) long: too short to be kept out of output" in (
        result.stderr
    )
    assert not Path(project_dir, ".presets").exists()


def test_the_emulator_command_still_prints_its_own_url(tmp_path):
    """The one unmasked line: the local emulator's CLOUDINARY_URL is what a user copies."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudinary_presets", "emulator", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    with proc.stdout:
        try:
            first = proc.stdout.readline()
        finally:
            proc.terminate()
            proc.wait(10)
    assert first.startswith("CLOUDINARY_URL=cloudinary://100000000000001:demo-emulator-secret@demo")


def test_debug_logging_lasts_one_invocation(project_dir, remote_cli):
    debug = remote_cli("plan", "--debug")
    assert "debug: GET /v1_1/demo/upload_presets" in debug.stderr
    assert "S3ntinel" not in debug.stderr
    plain = remote_cli("plan")
    assert "debug:" not in plain.output
