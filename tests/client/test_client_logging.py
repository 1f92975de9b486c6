"""The redacting log filter and the per-attempt DEBUG line."""

from __future__ import annotations

import base64
import logging

import pytest
from client_helpers import SENTINEL_KEY, SENTINEL_SECRET, MakeTransport
from client_stub import Reply, StubServer

from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.log_redaction import RedactingFilter, install_redaction

BLOB = base64.b64encode(f"{SENTINEL_KEY}:{SENTINEL_SECRET}".encode()).decode()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_filter_installed_once_at_import() -> None:
    for name in ("cloudinary_presets", "cloudinary_presets.cloudinary.transport"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactingFilter) for f in filters) == 1
    install_redaction(logging.getLogger("cloudinary_presets"))
    assert (
        sum(isinstance(f, RedactingFilter) for f in logging.getLogger("cloudinary_presets").filters)
        == 1
    )


def test_filter_scrubs_messages_args_and_tracebacks(
    stub_creds: Credentials, debug_logs: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("cloudinary_presets")
    logger.debug("secret %s and blob %s", SENTINEL_SECRET, BLOB)
    logger.debug("Authorization: Basic %s", "QUJDREVGOkdISUpLTA==")
    logger.debug({"headers": {"authorization": "Bearer abc.def.ghi"}})
    logger.debug("GET /x?timestamp=1&signature=0123abcd&api_secret=s3 via https://k:pw@h/")
    logger.debug('form {"signature": "0123abcd", "api_secret": "zz"}')
    try:
        raise RuntimeError(f"boom with {SENTINEL_SECRET}")
    except RuntimeError:
        logger.exception("failed")
    logging.getLogger("cloudinary_presets.cloudinary.transport").info("child %s", SENTINEL_SECRET)
    text = debug_logs.text
    for leaked in (SENTINEL_SECRET, BLOB, "QUJDREVG", "abc.def", "0123abcd", "s3 ", "pw@", '"zz"'):
        assert leaked not in text, leaked
    assert "timestamp=1&signature=***&api_secret=***" in text
    assert "https://k:***@h/" in text
    assert "boom with ***" in text
    assert "child ***" in text


def test_broken_format_does_not_crash(debug_logs: pytest.LogCaptureFixture) -> None:
    logging.getLogger("cloudinary_presets").debug("%s %s", SENTINEL_SECRET)
    assert SENTINEL_SECRET not in debug_logs.text


def test_handler_level_filter_covers_other_loggers(debug_logs: pytest.LogCaptureFixture) -> None:
    """What the CLI does: a filter on its handler also covers records propagated from any
    child logger (a logger's own filters do not)."""
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    install_redaction(handler)
    other = logging.getLogger("cloudinary_presets.someone_else")
    other.addHandler(handler)
    try:
        other.warning("leak? %s", SENTINEL_SECRET)
    finally:
        other.removeHandler(handler)
    assert seen == ["leak? ***"]


def test_one_debug_line_per_attempt(
    stub: StubServer,
    stub_creds: Credentials,
    make_transport: MakeTransport,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    stub.script(
        Reply(status=503, body={"error": {"message": "busy"}}),
        Reply(
            body={"presets": []},
            headers={"X-FeatureRateLimit-Limit": "500", "X-FeatureRateLimit-Remaining": "498"},
        ),
    )
    transport = make_transport(stub_creds)
    transport.request(
        "GET",
        "/upload_presets",
        params={"max_results": 5, "signature": "sig-value-1", "api_key": SENTINEL_KEY},
        idempotent=True,
    )
    lines = [
        r.getMessage()
        for r in debug_logs.records
        if r.name == "cloudinary_presets.cloudinary.transport"
    ]
    attempts = [line for line in lines if " -> " in line]
    assert len(attempts) == 2
    assert attempts[0].startswith(
        "GET /v1_1/demo/upload_presets?max_results=5&signature=***&api_key=*** -> 503 in "
    )
    assert "(attempt 1/5, quota ?/?)" in attempts[0]
    assert "-> 200 in" in attempts[1]
    assert "(attempt 2/5, quota 498/500)" in attempts[1]
    assert any(line.startswith("retrying GET") for line in lines)
    assert "sig-value-1" not in debug_logs.text
    assert SENTINEL_KEY not in "".join(attempts)
