"""Fixtures of the end-to-end tests: the official SDK pointed at the test's emulator (the
"someone else changed it in the Console" actor), this tool's own client for the same
emulator, and retries that wait milliseconds."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from cloudinary_presets.cloudinary import transport
from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.remote import RemotePresets
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.emulator import Emulator


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's transports keep their retry counts but back off for milliseconds."""
    quick = functools.partial(RetryPolicy, base_delay=0.005, max_delay=0.02)
    monkeypatch.setattr(transport, "RetryPolicy", quick)


@pytest.fixture
def remote(emulator: Emulator) -> Iterator[RemotePresets]:
    """This tool's own typed client for the emulator's demo cloud."""
    credentials = parse_cloudinary_url(emulator.cloudinary_url("demo"), "the e2e tests")
    client = transport.Transport(credentials, timeout=(2.0, 10.0))
    try:
        yield RemotePresets(client)
    finally:
        client.close()
