"""Secrets: the sentinel secret, its Basic-auth form and every computed signature never show.

The ``secret_scan`` plugin (``tests/secret_scan.py``) watches the whole suite: captured
output and logs of every test, everything the CLI prints, and at the end every file
under the base temporary directory. This module checks the plugin itself (it fails a
test that leaks, in each form, and a session that leaves a leaking file behind; it lets
environment variables and the emulator's SQLite state through) and runs the flows most
likely to leak with ``--debug`` on: plan, saved plan, apply, a stale apply, signed
uploads, authentication failures and network faults.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

import secret_scan
from secret_scan import SENTINEL_BASIC, SENTINEL_KEY, SENTINEL_SECRET

pytestmark = pytest.mark.secrets

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent


def leaks(text: str) -> list[str]:
    return secret_scan.find_leaks(text, "output")


# --------------------------------------------------------------------------- the plugin itself

INNER_TESTS = """
import base64, logging
from urllib.parse import quote
import click
import pytest
from secret_scan import SENTINEL_KEY, SENTINEL_SECRET, SENTINEL_BASIC, record

def test_prints_the_secret():
    print("url: cloudinary://" + SENTINEL_KEY + ":" + SENTINEL_SECRET + "@demo")

def test_prints_the_basic_form():
    print("Authorization: Basic " + SENTINEL_BASIC)

def test_prints_the_percent_encoded_secret(capsys):
    print(quote(SENTINEL_SECRET, safe=""))

def test_logs_the_secret():
    logging.getLogger("somewhere").warning("secret=%s", SENTINEL_SECRET)

def test_echo_to_a_redirected_stream():
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        click.echo("the CLI said " + SENTINEL_SECRET)

def test_prints_a_computed_signature():
    from cloudinary_presets.cloudinary.credentials import Secret
    from cloudinary_presets.cloudinary.upload_api import sign
    params = {"timestamp": 1700000000, "folder": "x"}
    print("signature=" + sign(params, Secret("another-secret"), "sha1"))

def test_records_subprocess_output():
    record(b"child said " + SENTINEL_SECRET.encode(), "a subprocess")

def test_env_is_not_output(monkeypatch):
    url = "cloudinary://" + SENTINEL_KEY + ":" + SENTINEL_SECRET + "@demo"
    monkeypatch.setenv("CLOUDINARY_URL", url)
    print("configured cloud demo")

def test_writes_a_leaking_plan_file(tmp_path):
    (tmp_path / "plan.json").write_text('{"secret": "' + SENTINEL_SECRET + '"}')

def test_writes_the_emulator_database(tmp_path):
    (tmp_path / "emulator.sqlite").write_text(SENTINEL_SECRET)
"""
LEAKING = {
    "test_prints_the_secret",
    "test_prints_the_basic_form",
    "test_prints_the_percent_encoded_secret",
    "test_logs_the_secret",
    "test_echo_to_a_redirected_stream",
    "test_prints_a_computed_signature",
    "test_records_subprocess_output",
}


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A directory outside this session's base temporary directory (its leaks are planted)."""
    path = Path(tempfile.mkdtemp(prefix="secret-scan-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_the_scan_fails_every_kind_of_leak_and_nothing_else(outside_tmp):
    (outside_tmp / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS), encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COV_CORE_", "COVERAGE_", "PYTEST_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "secret_scan",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rf",
            "--show-capture=no",
            "--basetemp",
            str(outside_tmp / "basetemp"),
            "test_inner.py",
        ],
        cwd=outside_tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    secret_scan.record(output, "inner pytest run")  # the plugin's own messages never quote it
    assert result.returncode == 1, output
    failed = set(re.findall(r"^FAILED test_inner\.py::(\w+)", output, re.MULTILINE))
    assert failed == LEAKING, output
    assert "7 failed, 3 passed in" in output, output
    assert "secret scan: leaks in files" in output, output
    assert re.search(r"test_writes_a_leaking_plan_fil\w*/plan\.json: <SENTINEL> found", output), (
        output
    )
    assert "emulator.sqlite" not in output, output
    assert "<BASIC base64(KEY:SECRET)>" in output, output
    assert "<SIGNATURE>" in output, output
    assert "<SENTINEL percent-encoded>" in output, output


def test_the_shared_emulator_serves_the_sentinel(emulator, cloudinary_url):
    assert emulator.clouds[0].api_secret == SENTINEL_SECRET
    assert emulator.clouds[0].api_key == SENTINEL_KEY
    assert f":{SENTINEL_SECRET}@" in cloudinary_url
    assert base64.b64decode(SENTINEL_BASIC).decode() == f"{SENTINEL_KEY}:{SENTINEL_SECRET}"
    assert quote(SENTINEL_SECRET, safe="") != SENTINEL_SECRET  # the encoded form is its own check
    assert leaks(f"x {SENTINEL_SECRET} y")
    assert not leaks("x *** y")


# --------------------------------------------------------------------------- the flows


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """``--debug`` adds a stderr handler to the package logger for the process's life; an
    in-process CLI run must not leave it behind for the next test."""
    logger = logging.getLogger("cloudinary_presets")
    handlers, level = list(logger.handlers), logger.level
    yield
    for handler in logger.handlers[:]:
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def assert_clean(*texts: str) -> None:
    for text in texts:
        found = leaks(text)
        assert not found, found


def test_a_debug_session_leaks_nothing(
    project_dir, remote_cli, emulator, cloudinary_url, debug_logging, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    outputs = []
    plan_file = tmp_path / "plan.json"
    for args in (
        ("plan", "--debug", "--out", str(plan_file)),
        ("plan", "--debug", "--format", "json"),
        ("plan", "--debug", "--format", "markdown"),
        ("apply", "--debug", str(plan_file)),
        ("plan", "--debug", "--detailed-exitcode"),
    ):
        result = remote_cli(*args)
        assert result.exit_code in (0, 2), result.output
        outputs.append(result.output)
    assert "debug: " in outputs[0]
    assert "Authorization" not in "".join(outputs)
    assert plan_file.stat().st_mode & 0o777 == 0o600
    assert_clean(plan_file.read_text(encoding="utf-8"))
    # a stale saved plan, a signed upload (sha1 and sha256), an unsigned one
    stale = remote_cli("apply", "--debug", str(plan_file))
    outputs.append(stale.output)
    image = tmp_path / "pixel.png"
    image.write_bytes(PNG)
    before = secret_scan.signatures_seen()
    for extra in ((), ("--json",)):
        upload = remote_cli("upload", str(image), "--preset", "product-images", "--debug", *extra)
        assert upload.exit_code in (0, 1), upload.output
        outputs.append(upload.output)
    sha256 = cloudinary_url + "&signature_algorithm=sha256"
    upload = remote_cli(
        "upload",
        str(image),
        "--preset",
        "product-images",
        "--debug",
        env={"CLOUDINARY_URL": sha256},
    )
    outputs.append(upload.output)
    assert secret_scan.signatures_seen() >= before + 1, "no signature was computed: nothing checked"
    assert_clean(*outputs, caplog.text, *(r.getMessage() for r in caplog.records))


def test_failures_leak_nothing(
    project_dir, remote_cli, emulator, cloudinary_url, debug_logging, caplog
):
    """Authentication failures, faults mid-apply and a refused lock, all with --debug."""
    caplog.set_level(logging.DEBUG)
    outputs = []
    wrong_key = cloudinary_url.replace(f"//{SENTINEL_KEY}:", "//999:")
    for env in ({"CLOUDINARY_URL": wrong_key}, {}):
        outputs.append(remote_cli("plan", "--debug", env=env).output)
    emulator.set_faults(
        [
            {"kind": "truncate", "when": "after", "method": "POST", "count": 1},
            {"kind": "reset", "method": "PUT", "count": 2},
            {
                "kind": "status",
                "status": 401,
                "method": "DELETE",
                "message": f"Invalid credentials {SENTINEL_SECRET}",
            },
            {
                "kind": "status",
                "status": 500,
                "method": "GET",
                "nth": [2],
                "message": f"echo {SENTINEL_BASIC}",
            },
        ],
        seed=3,
    )
    result = remote_cli("apply", "--debug", "--yes", "--prune")
    outputs.append(result.output)
    emulator.clear_faults()
    outputs.append(remote_cli("apply", "--debug", "--yes").output)
    assert_clean(*outputs, caplog.text)
    for record in caplog.records:
        assert_clean(record.getMessage(), record.exc_text or "")
