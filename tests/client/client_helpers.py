"""Shared constants and helpers of the client tests (a module of its own: several
``conftest.py`` files exist, so ``from conftest import`` would be ambiguous)."""

from __future__ import annotations

import email.utils
import socket
from collections.abc import Callable

from cloudinary_presets.cloudinary.transport import Transport

#: The sentinel: a secret that must never appear in any log record, message or repr.
SENTINEL_SECRET = "Sentinel-7f3a9c-DO-NOT-LEAK"
SENTINEL_KEY = "777000111222333"


class Sleeps(list[float]):
    """Records requested sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


MakeTransport = Callable[..., Transport]

#: a fixed "now" (2027-01-15) for the tests of dates in headers
NOW = 1_800_000_000.0


def http_date(timestamp: float) -> str:
    """``timestamp`` as an HTTP date header writes it."""
    return email.utils.formatdate(timestamp, usegmt=True)


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
