"""Loopback checks and the one outbound fetch the emulator makes.

Why: the emulator must never become a way to reach other machines. It binds to
loopback unless told otherwise, its control API answers loopback clients only, and an
upload ``file=http://...`` is fetched only from a loopback address (typically an asset
the emulator itself serves), without proxies and without following redirects.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from urllib.parse import urlsplit

MAX_FETCH_BYTES = 100 * 1024 * 1024
FETCH_TIMEOUT = 10.0


def is_loopback_host(host: str) -> bool:
    """``127.0.0.1``, ``::1``, ``localhost`` (and the rest of 127/8) are loopback."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is answered as an HTTPError: it could leave loopback


def fetch_loopback(url: str) -> bytes:
    """GET a loopback URL's bytes; ValueError with a short reason otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_loopback_host(parts.hostname or ""):
        raise ValueError("the emulator cannot fetch remote URLs")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(url, timeout=FETCH_TIMEOUT) as response:
            content = response.read(MAX_FETCH_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ValueError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ValueError(str(getattr(exc, "reason", exc))) from None
    if len(content) > MAX_FETCH_BYTES:
        raise ValueError("the file is larger than 100 MB")
    return bytes(content)
