"""Shared fixtures: an isolated environment, a loopback-only network, the emulator, the CLI.

Every test runs with no Cloudinary credentials, no CI flag, a private HOME (so a
developer's cloudinary-cli profiles never leak in) and a socket guard that refuses any
connection that is not to loopback: tests talk to the emulator over real HTTP, never to
an external address.

The shared ``emulator`` serves the demo cloud with a sentinel secret
(``secret_scan.SENTINEL_SECRET``), and the ``secret_scan`` plugin fails any test whose
output, logs or files show it (see ``tests/secret_scan.py``).
"""

from __future__ import annotations

import io
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import cloudinary
import cloudinary.api
import cloudinary.api_client.call_api
import cloudinary.uploader
import pytest

from cli_runner import Result, run_main
from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount, Emulator

# Loaded by pytest (not imported here first, so its asserts are rewritten).
pytest_plugins = ["secret_scan"]


def sentinel_cloud() -> CloudAccount:
    """The demo cloud as the shared ``emulator`` serves it: the demo key, the sentinel secret."""
    from secret_scan import SENTINEL_KEY, SENTINEL_SECRET

    assert DEMO_CLOUD.api_key == SENTINEL_KEY
    return CloudAccount(DEMO_CLOUD.name, SENTINEL_KEY, SENTINEL_SECRET)


REPO = Path(__file__).resolve().parent.parent
_LOOPBACK = {"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"}
_real_connect = socket.socket.connect
_ENV_PREFIXES = ("CLOUDINARY_", "GITHUB_", "PRESETS_")
_ENV_NAMES = (
    "CI",
    "NO_COLOR",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
)


def _guarded_connect(self: socket.socket, address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOOPBACK:
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {host!r}")
    _real_connect(self, address)


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A fresh in-memory emulator, on a random loopback port, serving the demo cloud with
    the sentinel secret (:func:`sentinel_cloud`): the secret scan fails any test whose output
    shows it. Read credentials from ``emulator.clouds[0]``.

    Parametrise it indirectly with a PUT reading to run a test under each
    (``@pytest.mark.parametrize("emulator", ["replace", "merge"], indirect=True)``)."""
    put_semantics = getattr(request, "param", "replace")
    emu = Emulator(":memory:", clouds=[sentinel_cloud()], put_semantics=put_semantics).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def cloudinary_url(emulator: Emulator) -> str:
    return emulator.cloudinary_url(emulator.clouds[0].name)


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's example project (presets/ and schemas/) as the cwd."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "presets", root / "presets")
    shutil.copytree(REPO / "schemas", root / "schemas")
    monkeypatch.chdir(root)
    return root


class Cli:
    """Runs ``presets`` in-process (``cli.main``) with captured output and given variables."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.env: dict[str, str] = {}

    def __call__(self, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in {**self.env, **(env or {})}.items():
                mp.setenv(key, value)
            result = run_main(list(args), io.StringIO(stdin))
        from secret_scan import record

        record(result.output, f"presets {' '.join(args[:1])} output")
        return result


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(monkeypatch)


@pytest.fixture
def remote_cli(cli: Cli, cloudinary_url: str) -> Cli:
    """The CLI pointed at the test's emulator through CLOUDINARY_URL."""
    cli.env["CLOUDINARY_URL"] = cloudinary_url
    return cli


@pytest.fixture
def sdk(emulator: Emulator) -> Iterator[ModuleType]:
    """The official SDK (``cloudinary.api``) pointed at the test's emulator: the "someone
    changed it in the Console" actor. Its global configuration is reset after."""
    account = emulator.clouds[0]
    cloudinary.reset_config()
    cloudinary.config(
        cloud_name=account.name,
        api_key=account.api_key,
        api_secret=account.api_secret,
        upload_prefix=emulator.url,
    )
    try:
        yield cloudinary.api
    finally:
        cloudinary.reset_config()
        cloudinary.api_client.call_api._http.clear()
        cloudinary.uploader._http.clear()
