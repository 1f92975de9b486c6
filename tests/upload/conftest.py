"""Fixtures for the upload helper, the moderation simulator and the decision rule.

Everything runs against the project's emulator over loopback HTTP (the root conftest's
socket guard refuses anything else). ``applied`` is the usual starting point: a copy of
the example project as the cwd, its presets applied to a fresh emulator with the CLI.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudinary
import cloudinary.api_client.call_api
import cloudinary.uploader
import pytest
from upload_helpers import IMAGES, upload_requests

from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.operations.uploader import Uploader
from wire_forms import form_fields


@pytest.fixture
def applied(project_dir: Path, remote_cli: Any, emulator: Emulator) -> Emulator:
    """The example presets applied to the emulator (no upload made yet)."""
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 0, result.output
    assert sorted(p["name"] for p in emulator.presets("demo")) == [
        "avatar", "product-images", "ugc-moderated",
    ]  # fmt: skip
    assert upload_requests(emulator) == 0
    return emulator


@pytest.fixture
def make_uploader(project_dir: Path) -> Iterator[Any]:
    """``make_uploader(url)``: an Uploader from that CLOUDINARY_URL; all closed at teardown."""
    made: list[Uploader] = []

    def factory(url: str) -> Uploader:
        made.append(Uploader.from_env({"CLOUDINARY_URL": url}))
        return made[-1]

    yield factory
    for uploader in made:
        uploader.close()


@pytest.fixture
def uploader(applied: Emulator, make_uploader: Any, cloudinary_url: str) -> Uploader:
    """Signed (SHA-1) uploads to the emulator with the example presets applied."""
    return make_uploader(cloudinary_url)  # type: ignore[no-any-return]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The form fields of every upload request the helper sends (``file`` excluded), read
    back from the body as it goes on the wire."""
    captured: list[dict[str, str]] = []
    original = Transport.request

    def spy(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/upload"):
            fields: dict[str, str] = {}
            for key, value in form_fields(kwargs["body"]):
                fields[key] = value if key not in fields else f"{fields[key]},{value}"
            captured.append(fields)
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(Transport, "request", spy)
    return captured


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def image_server() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` serving examples/images (for remote-URL uploads)."""
    handler = functools.partial(_QuietHandler, directory=str(IMAGES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sdk_reset() -> Iterator[None]:
    """Reset the official SDK's global configuration and connection pools after the test."""
    cloudinary.reset_config()
    yield
    cloudinary.reset_config()
    cloudinary.api_client.call_api._http.clear()
    cloudinary.uploader._http.clear()
