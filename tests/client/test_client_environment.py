"""What the transport takes from the environment: proxies, NO_PROXY, the CA bundle.

The transport reads them once, when it is made (requests would read them twice per
request); these tests pin down that it still honours each of them. A recording proxy on
127.0.0.1 shows where requests go; a direct connection to anything but loopback is
recorded and refused before any packet leaves (no name is resolved either).
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3.util.connection
from client_helpers import SENTINEL_SECRET
from client_stub import Reply, StubServer

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import NetworkError

CLOUDINARY = Credentials("demo", "1234", Secret(SENTINEL_SECRET), source="test")
ONCE = RetryPolicy(max_attempts=1)


class Proxy:
    """A forward proxy that records each request line and answers 502."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline().decode("latin-1").split()
                proxy.lines.append(" ".join(line[:2]))  # method and target
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    server = Proxy()
    yield server
    server.stop()


@pytest.fixture
def direct(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Direct connections the transport opens to anything but loopback (refused)."""
    real = urllib3.util.connection.create_connection
    attempts: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] in ("127.0.0.1", "localhost", "::1"):
            return real(address, *args, **kwargs)
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no direct connection to {address[0]}")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return attempts


def _ping(credentials: Credentials) -> None:
    with Transport(credentials, retry=ONCE, sleep=lambda s: None) as transport:
        transport.request("GET", "/ping", idempotent=True)


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_cloudinary_is_reached_through_the_configured_proxy(
    variable: str, proxy: Proxy, direct: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, proxy.url)
    with pytest.raises(NetworkError):  # the proxy answers 502 to the CONNECT
        _ping(CLOUDINARY)
    assert proxy.lines == ["CONNECT api.cloudinary.com:443"]
    assert direct == []


@pytest.mark.parametrize(
    "no_proxy",
    ["api.cloudinary.com", "cloudinary.com", ".cloudinary.com", "*", "a.b,api.cloudinary.com"],
)
def test_no_proxy_sends_cloudinary_calls_direct(
    no_proxy: str, proxy: Proxy, direct: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    with pytest.raises(NetworkError):
        _ping(CLOUDINARY)
    assert proxy.lines == []
    assert direct == [("api.cloudinary.com", 443)]


def test_the_environment_is_read_when_the_transport_is_made(
    proxy: Proxy, direct: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with Transport(CLOUDINARY, retry=ONCE, sleep=lambda s: None) as transport:
        monkeypatch.delenv("HTTPS_PROXY")
        for _ in range(2):
            with pytest.raises(NetworkError):
                transport.request("GET", "/ping", idempotent=True)
    assert proxy.lines == ["CONNECT api.cloudinary.com:443"] * 2
    assert direct == []


def test_a_local_emulator_is_never_reached_through_a_proxy(
    proxy: Proxy, emu_creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(variable, proxy.url)
    with Transport(emu_creds, retry=ONCE) as transport:
        assert AdminApi(transport).list_presets() == []
    assert proxy.lines == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate valid for 127.0.0.1 (its own CA)."""
    directory = tmp_path_factory.mktemp("ca")
    key, cert = directory / "key.pem", directory / "cert.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"openssl is not usable: {exc}")
    return key, cert


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_ca_bundle_of_the_environment_is_trusted(
    variable: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    key, cert = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = StubServer(tls=context).start()
    server.default = Reply(body={"status": "ok"})
    try:
        credentials = Credentials("demo", "1", Secret(SENTINEL_SECRET), api_host=server.url)
        with pytest.raises(NetworkError, match="TLS verification failed"):
            _ping(credentials)
        monkeypatch.setenv(variable, str(cert))
        _ping(credentials)
    finally:
        server.stop()
