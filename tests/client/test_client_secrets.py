"""The sentinel secret never leaks: not in a log record (DEBUG, every logger), not in an
exception's message, repr, hint or formatted traceback, not as its Basic-auth base64 form,
and no computed signature either."""

from __future__ import annotations

import base64
import functools
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from client_helpers import SENTINEL_KEY, SENTINEL_SECRET, MakeTransport, closed_port
from client_stub import Reply, StubServer

import cloudinary_presets.cloudinary.upload_api as upload_module
from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.credential_sources import resolve_credentials
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.upload_api import UploadApi
from cloudinary_presets.errors import PresetsError

pytestmark = pytest.mark.secrets

BLOB = base64.b64encode(f"{SENTINEL_KEY}:{SENTINEL_SECRET}".encode()).decode()
PNG = bytes.fromhex("89504e470d0a1a0a")


class Evidence:
    """Everything a user or a log could ever see."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.signatures: list[str] = []
        self.errors = 0

    def attempt(self, action: Callable[[], object]) -> None:
        try:
            result = action()
        except PresetsError as exc:
            self.errors += 1
            self.texts += [str(exc), repr(exc), exc.message, exc.hint]
            self.texts += traceback.format_exception(exc)
        else:
            self.texts.append(repr(result))

    def forbidden(self) -> list[str]:
        return [SENTINEL_SECRET, BLOB, quote(SENTINEL_SECRET, safe=""), *self.signatures]


@pytest.fixture
def evidence(monkeypatch: pytest.MonkeyPatch) -> Evidence:
    found = Evidence()
    real_sign = upload_module.sign

    def recording_sign(*args: Any, **kw: Any) -> str:
        signature = real_sign(*args, **kw)
        found.signatures.append(signature)
        return signature

    monkeypatch.setattr(upload_module, "sign", recording_sign)
    return found


@pytest.fixture
def sentinel_emu() -> Iterator[Any]:
    from cloudinary_presets.emulator import CloudAccount, Emulator

    emulator = Emulator(":memory:", clouds=[CloudAccount("demo", SENTINEL_KEY, SENTINEL_SECRET)])
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def test_sentinel_never_leaks(
    sentinel_emu: Any,
    stub: StubServer,
    make_transport: MakeTransport,
    evidence: Evidence,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = sentinel_emu.cloudinary_url("demo")
    assert SENTINEL_SECRET in url
    creds = parse_cloudinary_url(url, "CLOUDINARY_URL")
    evidence.texts += [repr(creds), str(creds), creds.redacted_url()]
    admin = AdminApi(make_transport(creds, timeout=(2.0, 0.3)))
    uploads = UploadApi(admin.transport)
    same = lambda p: True  # noqa: E731
    emu = sentinel_emu

    # Happy paths.
    emu.seed_presets("demo", [{"name": f"p{i}", "folder": "x"} for i in range(12)])
    evidence.attempt(lambda: admin.list_presets(page_size=5))
    evidence.attempt(lambda: admin.create_preset({"name": "new", "folder": "f"}, same=same))
    evidence.attempt(lambda: admin.update_preset("new", {"folder": "g"}))
    evidence.attempt(lambda: admin.get_preset("new"))
    evidence.attempt(lambda: uploads.upload(PNG, {"tags": ["a"], "folder": "s"}, signed=True))
    evidence.attempt(lambda: admin.delete_preset("new"))

    # Faults and their retries / reconciliation.
    for fault in (
        {"kind": "reset", "when": "after", "method": "POST", "count": 1},
        {"kind": "truncate", "when": "after", "method": "GET", "count": 1},
        {"kind": "status", "status": 503, "method": "*", "count": 2},
        {"kind": "latency", "latency_ms": 500, "method": "GET", "count": 1},
    ):
        emu.set_faults([fault])
        evidence.attempt(lambda: admin.create_preset({"name": "f1", "folder": "f"}, same=same))
        evidence.attempt(lambda: admin.get_preset("f1"))
        evidence.attempt(lambda: admin.delete_preset("f1"))
    emu.set_faults([{"kind": "status", "status": 503}])
    evidence.attempt(admin.ping)
    evidence.attempt(lambda: uploads.upload(PNG, {"folder": "s"}, signed=True))
    emu.clear_faults()

    # Error mapping.
    evidence.attempt(lambda: admin.get_preset("missing"))
    evidence.attempt(lambda: admin.delete_preset("missing"))
    emu.seed_presets("demo", [{"name": "taken", "folder": "other"}])
    evidence.attempt(
        lambda: admin.create_preset({"name": "taken", "folder": "f"}, same=lambda p: False)
    )
    stale = UploadApi(admin.transport, clock=lambda: time.time() - 7200)
    evidence.attempt(lambda: stale.upload(PNG, {"folder": "s"}, signed=True))
    wrong = Credentials(
        "demo", SENTINEL_KEY, Secret(SENTINEL_SECRET + "x"), api_host=creds.api_host
    )
    evidence.attempt(lambda: AdminApi(make_transport(wrong)).ping())
    evidence.attempt(lambda: UploadApi(make_transport(wrong)).upload(PNG, {}, signed=True))
    emu.set_quota("demo", 10, 0)
    evidence.attempt(admin.ping)

    # Network failures and hostile responses, on a stub that accepts anything.
    stub_creds = Credentials("demo", SENTINEL_KEY, Secret(SENTINEL_SECRET), api_host=stub.url)
    echo = AdminApi(make_transport(stub_creds, retry=RetryPolicy(max_attempts=2, base_delay=0)))
    stub.route = lambda seen: Reply(
        status=200, body=f"<html>{seen.headers}</html>", content_type="text/html"
    )
    evidence.attempt(echo.ping)
    stub.route = lambda seen: Reply(
        status=302, headers={"Location": f"https://u:{SENTINEL_SECRET}@evil.example/"}
    )
    evidence.attempt(echo.ping)
    stub.route = lambda seen: Reply(
        status=500, body={"error": {"message": f"echo {seen.headers.get('Authorization')}"}}
    )
    evidence.attempt(echo.ping)
    stub.route = lambda seen: Reply(action="reset")
    evidence.attempt(echo.ping)
    down = Credentials(
        "demo", SENTINEL_KEY, Secret(SENTINEL_SECRET), api_host=f"http://127.0.0.1:{closed_port()}"
    )
    evidence.attempt(lambda: AdminApi(make_transport(down)).ping())

    # Configuration errors that carry the secret in their input.
    for bad in (
        f"cloudinary://{SENTINEL_KEY}:{SENTINEL_SECRET}@demo:1",
        f"cloudinary://{SENTINEL_KEY}:{SENTINEL_SECRET}/x@demo",
        f"https://{SENTINEL_KEY}:{SENTINEL_SECRET}@demo",
        f"cloudinary://{SENTINEL_KEY}:{SENTINEL_SECRET}@demo?upload_prefix=http://example.com",
        f"cloudinary://{SENTINEL_KEY}:{SENTINEL_SECRET}@demo?signature_algorithm={SENTINEL_SECRET}",
    ):
        evidence.attempt(functools.partial(parse_cloudinary_url, bad, "--url"))
    environ = {
        "CLOUDINARY_URL": url,
        "CLOUDINARY_CLOUD_NAME": "other",
        "CLOUDINARY_API_KEY": SENTINEL_KEY,
        "CLOUDINARY_API_SECRET": SENTINEL_SECRET,
    }
    evidence.attempt(
        lambda: resolve_credentials(
            url=None, profile=None, env_credentials=None, environ=environ, home=tmp_path
        )
    )

    assert evidence.errors >= 20
    assert evidence.signatures, "no signed request was made"
    assert any(r.name == "cloudinary_presets.cloudinary.transport" for r in caplog.records)
    logged = [caplog.text] + [r.getMessage() for r in caplog.records]
    logged += [r.exc_text or "" for r in caplog.records]
    for text in evidence.texts + logged:
        for secret in evidence.forbidden():
            assert secret not in text, f"{secret[:6]}... leaked in {text[:300]!r}"
