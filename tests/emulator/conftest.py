"""Fixtures for the emulator tests: a fresh emulator per test, the SDK pointed at it,
a ``requests`` client with explicit timeouts, and small valid image files."""

from __future__ import annotations

import base64
import struct
import time
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import cloudinary
import cloudinary.api_client.call_api
import cloudinary.uploader
import cloudinary.utils
import pytest
import requests

from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount, Emulator

TIMEOUT = 5.0


# --------------------------------------------------------------------------- sample files


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int = 1, height: int = 1, note: str = "") -> bytes:
    """A valid RGB PNG; ``note`` (a tEXt chunk) makes distinct contents."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    text = _png_chunk(b"tEXt", b"Comment\x00" + note.encode()) if note else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + text
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def jpeg(width: int = 3, height: int = 2) -> bytes:
    """A JPEG skeleton: SOI, APP0, SOF0 with the size, EOI (enough for sniffing)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def gif(width: int = 4, height: int = 5) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00" + b"\x3b"


def webp(width: int = 6, height: int = 7) -> bytes:
    """A WebP with a VP8X header chunk (extended format) carrying the canvas size."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


class Samples:
    """Sample files, reachable from tests through the ``files`` fixture."""

    png = staticmethod(png)
    jpeg = staticmethod(jpeg)
    gif = staticmethod(gif)
    webp = staticmethod(webp)

    @staticmethod
    def data_uri(content: bytes, media_type: str = "image/png") -> str:
        return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


@pytest.fixture
def files() -> type[Samples]:
    return Samples


# --------------------------------------------------------------------------- emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(":memory:").start()
    yield emulator
    emulator.stop()


class Client:
    """``requests`` against one emulator, with explicit timeouts and Basic auth."""

    def __init__(self, emulator: Emulator, account: CloudAccount = DEMO_CLOUD) -> None:
        self.emu = emulator
        self.account = account
        self.session = requests.Session()
        self.session.trust_env = False  # never route loopback calls through an env proxy

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """GET an absolute URL (an asset the emulator serves)."""
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.get(url, **kwargs)

    def admin_url(self, path: str, cloud: str | None = None) -> str:
        return f"{self.emu.url}/v1_1/{cloud or self.account.name}{path}"

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """An Admin API call; ``auth=None`` sends no credentials."""
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("auth", (self.account.api_key, self.account.api_secret))
        cloud = kwargs.pop("cloud", None)
        return self.session.request(method, self.admin_url(path, cloud), **kwargs)

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, f"{self.emu.url}/_emulator{path}", **kwargs)

    def signed_params(
        self, params: Mapping[str, object], *, algorithm: str = "sha1", timestamp: int | None = None
    ) -> dict[str, object]:
        signed: dict[str, object] = {"timestamp": int(time.time()), **params}
        if timestamp is not None:
            signed["timestamp"] = timestamp
        # the SDK's own signer: an oracle independent of the emulator's verifier
        signed["signature"] = cloudinary.utils.api_sign_request(
            signed, self.account.api_secret, algorithm
        )
        signed["api_key"] = self.account.api_key
        return signed

    def upload(
        self,
        params: Mapping[str, object],
        content: bytes | None = None,
        *,
        filename: str = "file",
        resource_type: str = "image",
        signed: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        """A multipart upload, signed with the account's secret unless ``signed=False``."""
        fields = self.signed_params(params) if signed else dict(params)
        data: list[tuple[str, str]] = []
        for key, value in fields.items():
            if isinstance(value, list):
                data.extend((f"{key}[]", str(item)) for item in value)
            else:
                data.append((key, str(value)))
        upload_files = {"file": (filename, content)} if content is not None else None
        kwargs.setdefault("timeout", TIMEOUT)
        url = f"{self.emu.url}/v1_1/{self.account.name}/{resource_type}/upload"
        return self.session.post(url, data=data, files=upload_files, **kwargs)


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    http = Client(emu)
    yield http
    http.close()


@pytest.fixture
def make_client() -> Iterator[Any]:
    """Clients for other emulators or accounts; all closed at teardown."""
    made: list[Client] = []

    def factory(emulator: Emulator, account: CloudAccount = DEMO_CLOUD) -> Client:
        made.append(Client(emulator, account))
        return made[-1]

    yield factory
    for http in made:
        http.close()


def _clear_sdk_pools() -> None:
    cloudinary.api_client.call_api._http.clear()
    cloudinary.uploader._http.clear()


@pytest.fixture
def sdk(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The official SDK configured for the emulator's demo cloud; global config reset after."""
    for name in ("CLOUDINARY_URL", "CLOUDINARY_CLOUD_NAME", "CLOUDINARY_UPLOAD_PRESET"):
        monkeypatch.delenv(name, raising=False)
    cloudinary.reset_config()
    cloudinary.config(
        cloud_name=DEMO_CLOUD.name,
        api_key=DEMO_CLOUD.api_key,
        api_secret=DEMO_CLOUD.api_secret,
        upload_prefix=emu.url,
    )
    yield emu
    cloudinary.reset_config()
    _clear_sdk_pools()


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A loopback webhook receiver (``receiver.url`` as ``notification_url``)."""
    from webhooks import Receiver

    hook = Receiver()
    yield hook
    hook.close()


def wait_decided(public_id: str, resource_type: str = "image", timeout: float = 5.0) -> Any:
    """Poll the Admin API resource details (official SDK) until no automatic moderator
    is left pending; asynchronous decisions land ``moderation_delay`` after the upload."""
    import cloudinary.api

    deadline = time.monotonic() + timeout
    while True:
        details = cloudinary.api.resource(public_id, resource_type=resource_type)
        waiting = [
            m
            for m in details.get("moderation") or []
            if m["status"] == "pending" and m["kind"] != "manual"
        ]
        if not waiting:
            return details
        assert time.monotonic() < deadline, f"{public_id}: still waiting for {waiting}"
        time.sleep(0.01)


@pytest.fixture
def decided() -> Any:
    """``decided(public_id, resource_type="image")``: the resource details once decided."""
    return wait_decided
