"""Where a URL's host is: this machine, a private network, or the internet.

One answer for the whole client side, read two ways: plain ``http://`` to an API host is
allowed only when the host is certainly this machine (``"loopback"``), and a lint warns
when a notification URL is anywhere Cloudinary cannot reach (not ``"public"``). A
``*.localhost`` name usually resolves to this machine but only a resolver says so: it
counts as ``"private"``, never as a safe ``"loopback"``.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

HostScope = Literal["loopback", "private", "public"]


def host_scope(url: str) -> HostScope:
    """Classify the host of ``url`` (a URL with a scheme); an absent host is ``"public"``."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return "loopback"
    if host.endswith(".localhost"):
        return "private"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "public"
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local:
        return "private"
    return "public"
