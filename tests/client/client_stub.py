"""A scripted HTTP server on 127.0.0.1 for the wire faults the emulator does not model.

The emulator speaks Cloudinary's API; this stub answers whatever a test scripts (a
redirect, an HTML page, a malformed listing, a raw TCP reset) and records every request,
so the client's handling of responses Cloudinary should never send is tested too.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted answer. ``action``: ``send``, ``reset`` (TCP RST, no response),
    ``truncate`` (declares a longer Content-Length than it sends, then closes),
    ``dribble`` (the headers at once, then the body one byte every ``interval`` seconds)
    or ``hang`` (reads the request, never answers)."""

    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    action: str = "send"
    delay: float = 0.0
    interval: float = 0.0

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StubServer:
    """Answers from a queue of :class:`Reply` (or a ``route`` function), on 127.0.0.1."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.replies: list[Reply] = []
        self.route: Callable[[Seen], Reply] | None = None
        self.default = Reply()
        self.seen: list[Seen] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                with stub._lock:
                    stub.seen.append(seen)
                    if stub.route is not None:
                        reply = stub.route(seen)
                    else:
                        reply = stub.replies.pop(0) if stub.replies else stub.default
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.action == "hang":
                    stub._stopping.wait()
                    self.close_connection = True
                    return
                if reply.action == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                data = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.action == "truncate":
                    self.send_header("Content-Length", str(len(data) + 100))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data[: max(1, len(data) // 2)])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if reply.action == "dribble":
                    self.wfile.flush()
                    for index in range(len(data)):
                        if stub._stopping.wait(reply.interval):
                            break
                        try:
                            self.wfile.write(data[index : index + 1])
                            self.wfile.flush()
                        except OSError:  # the client gave up: what the test wants
                            break
                    self.close_connection = True
                    return
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[socket.socket, object]:
                sock, address = super().get_request()
                with stub._lock:
                    stub.connections += 1
                if tls is not None:
                    sock = tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                return sock, address

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # TLS handshakes the client aborts on purpose

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def paths(self) -> list[str]:
        return [f"{s.method} {s.path}" for s in self.seen]
