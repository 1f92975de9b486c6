"""The emulator's sockets: responses leave without waiting for a delayed ACK.

The handler writes a response's headers and its body separately. With Nagle's algorithm on
the accepted socket, the body would wait for the client's ACK of the headers, which a
client delays by up to 40 ms while it waits for the rest: every keep-alive request would
take 40 ms more, and every benchmark figure with it.
"""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

from cloudinary_presets.emulator import Emulator


def test_accepted_connections_disable_nagle(emulator: Emulator) -> None:
    address = urlsplit(emulator.url)
    assert address.hostname is not None
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        for _ in range(2):  # the second request reuses the connection (keep-alive)
            connection.request("GET", "/v1_1/demo/upload_presets")
            response = connection.getresponse()
            response.read()
            assert response.status == 401  # no credentials: answered, and kept open
        accepted = list(emulator._server._connections)  # type: ignore[union-attr]
        assert len(accepted) == 1
        assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        connection.close()
