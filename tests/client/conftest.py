"""Fixtures for the client tests: the emulator, a scripted stub server, fast transports.

Everything listens on 127.0.0.1; no test reaches another address. Sleeps are recorded,
not slept, so every retry path runs in milliseconds.
"""

from __future__ import annotations

import random
import ssl
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import SENTINEL_KEY, SENTINEL_SECRET, MakeTransport, Sleeps
from client_stub import StubServer

from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.transport import Transport


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_transport(sleeps: Sleeps) -> Iterator[MakeTransport]:
    made: list[Transport] = []

    def make(credentials: Credentials, **kw: Any) -> Transport:
        kw.setdefault("sleep", sleeps)
        kw.setdefault("rng", random.Random(7))
        kw.setdefault("timeout", (2.0, 5.0))
        kw.setdefault("retry", RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05))
        transport = Transport(credentials, **kw)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


# --------------------------------------------------------------------------- stub server


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    yield server
    server.stop()


@pytest.fixture
def stub_creds(stub: StubServer) -> Credentials:
    return Credentials(
        cloud_name="demo",
        api_key=SENTINEL_KEY,
        api_secret=Secret(SENTINEL_SECRET),
        api_host=stub.url,
        source="test stub",
    )


@pytest.fixture(scope="session")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a throwaway self-signed certificate (clients must reject it)."""
    directory = tmp_path_factory.mktemp("tls")
    key, cert = directory / "key.pem", directory / "cert.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"openssl is not usable: {exc}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def tls_stub(tls_context: ssl.SSLContext) -> Iterator[StubServer]:
    server = StubServer(tls=tls_context).start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- emulator


@pytest.fixture
def emu() -> Iterator[Any]:
    from cloudinary_presets.emulator import Emulator

    emulator = Emulator(":memory:").start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def emu_creds(emu: Any) -> Credentials:
    return parse_cloudinary_url(emu.cloudinary_url("demo"), "emulator")
