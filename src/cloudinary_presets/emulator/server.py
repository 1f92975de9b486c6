"""The HTTP layer: a threaded stdlib server, routing, and fault injection on the wire.

Why faults live here: they act on the connection (sleep, reset with RST, truncate a
body mid-way), which only the request handler can do; the API handlers below it stay
pure request-to-response functions. ``after`` faults run the request first, so the
write is committed when the client loses the response.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from cloudinary_presets._version import __version__
from cloudinary_presets.emulator import admin, assets, control, media, upload
from cloudinary_presets.emulator.clock import http_date
from cloudinary_presets.emulator.faults import FaultInjector, FaultRule, Selection
from cloudinary_presets.emulator.http_error import HttpError
from cloudinary_presets.emulator.messages import (
    Request,
    Response,
    error_response,
    json_response,
)
from cloudinary_presets.emulator.net import is_loopback_host
from cloudinary_presets.emulator.quota import next_reset
from cloudinary_presets.emulator.routes import Route, route
from cloudinary_presets.emulator.service import Service

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 200 * 1024 * 1024


class Dispatcher:
    """Everything about a request but the socket: counting, fault choice, the APIs."""

    def __init__(
        self, service: Service, faults: FaultInjector, controller: control.Controller
    ) -> None:
        self.service = service
        self.faults = faults
        self.controller = controller

    def control(self, request: Request, where: Route) -> Response:
        """The control API, for loopback clients only (it has no authentication)."""
        if not is_loopback_host(request.client_host):
            return error_response(HttpError(403, "The control API answers loopback clients only"))
        return control.handle(self.controller, request, where)

    def admit(self, request: Request, where: Route) -> Selection:
        """Count a request that reached routing and decide the faults that hit it.

        Asset delivery is not counted (it is the CDN, not the API) but may be faulted.
        """
        store, stats = self.service.store, self.service.stats
        known_cloud = where.cloud if where.cloud and store.cloud(where.cloud) else None
        if where.kind != "delivery":
            stats.request(known_cloud, where.stats_key, admin=where.kind == "admin")
        selection = self.faults.select(request.method, request.path)
        if selection.injected:
            stats.faults(known_cloud, selection.injected)
        return selection

    def process(self, request: Request, where: Route) -> Response:
        """Run the API behind a route; never raises."""
        try:
            if where.kind == "admin":
                return admin.handle(self.service, request, where)
            if where.kind == "upload":
                return upload.handle(self.service, request, where)
            if where.kind == "delivery":
                return self._deliver(where)
            raise HttpError(404, f"Unsupported endpoint {request.method} {request.path}")
        except HttpError as exc:
            return error_response(exc)
        except Exception as exc:  # the emulator must answer, whatever went wrong
            log.exception("emulator error on %s %s", request.method, request.path)
            return error_response(HttpError(500, f"Internal emulator error: {exc}"))

    def _deliver(self, where: Route) -> Response:
        assert where.cloud is not None
        asset = assets.find_asset(self.service, where.cloud, where.resource_type, where.name)
        if asset is None:
            raise HttpError(404, "Resource not found")
        fmt = asset.info.get("format")
        if not isinstance(fmt, str):
            fmt = media.extension_format(asset.public_id)
        headers = {"Content-Type": media.content_type(fmt), "ETag": f'"{asset.sha256}"'}
        return Response(200, asset.content, headers)

    def fault_response(self, rule: FaultRule, where: Route) -> Response:
        """The response of a ``status`` fault (also the body of a ``before`` truncate)."""
        now = self.service.clock()
        status = rule.status or (500 if rule.kind == "status" else 200)
        limited = status in (420, 429)
        default = "Rate Limit Exceeded" if limited else f"Injected fault: HTTP {status}"
        headers: dict[str, str] = {}
        if where.kind == "admin" and where.cloud is not None:
            record = self.service.store.cloud(where.cloud)
            headers.update(self.service.quota_headers(record, now))
        if limited:
            reset_at = (
                now + rule.reset_seconds if rule.reset_seconds is not None else next_reset(now)
            )
            headers["X-FeatureRateLimit-Remaining"] = "0"
            headers["X-FeatureRateLimit-Reset"] = http_date(reset_at)
            headers.setdefault("X-FeatureRateLimit-Limit", str(self.service.default_quota))
        if rule.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(rule.retry_after))
        message = rule.message or default
        if status < 400:
            return json_response(status, {"message": message}, headers)
        return error_response(HttpError(status, message), headers)


#: what lets a page on any origin read an Upload API answer
UPLOAD_CORS = {"Access-Control-Allow-Origin": "*"}


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threaded server that remembers its open connections, so stop() can end them."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops SYNs under concurrent clients

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake every handler thread blocked on a keep-alive connection."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 keep-alive, so clients may reuse it."""

    protocol_version = "HTTP/1.1"
    server_version = f"cloudinary-presets-emulator/{__version__}"
    sys_version = ""
    timeout = 120
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls
    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        """A browser's preflight before a cross-origin upload (chunked uploads send custom
        headers): allowed for the Upload API only; the Admin API is not for browsers."""
        try:
            self._read_body()
        except HttpError as exc:
            self.close_connection = True
            self._send(error_response(exc))
            return
        where = route("POST", urlsplit(self.path).path)
        if where.kind != "upload":
            self._send(error_response(HttpError(404, "Not Found")))
            return
        asked = self.headers.get("Access-Control-Request-Headers", "")
        headers = {**UPLOAD_CORS, "Access-Control-Allow-Methods": "POST, OPTIONS"}
        if asked:
            headers["Access-Control-Allow-Headers"] = asked
        self._send(Response(204, b"", {**headers, "Access-Control-Max-Age": "600"}))

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    # ------------------------------------------------------------------ request

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise HttpError(400, "Invalid Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise HttpError(413, "Request body too large for the emulator (200 MB)")
        return self._read_exactly(length)

    def _read_exactly(self, length: int) -> bytes:
        """A body cut short (the client died mid-send) is never processed: a real server
        would not see a complete request either."""
        body = self.rfile.read(length)
        if len(body) != length:
            self.close_connection = True
            raise HttpError(400, "Incomplete request body")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise HttpError(400, "Malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise HttpError(413, "Request body too large for the emulator (200 MB)")
            chunks.append(self._read_exactly(size))
            self.rfile.readline(1024)

    def _handle(self) -> None:
        dispatcher = self.server.dispatcher
        try:
            body = self._read_body()
        except HttpError as exc:
            self.close_connection = True
            self._send(error_response(exc))
            return
        parts = urlsplit(self.path)
        headers = {key.lower(): value for key, value in self.headers.items()}
        request = Request(
            self.command, parts.path, parts.query, headers, body, self.client_address[0]
        )
        where = route(self.command, parts.path)
        if where.kind == "control":
            self._send(dispatcher.control(request, where))
            return

        selection = dispatcher.admit(request, where)
        if selection.latency_before:
            time.sleep(selection.latency_before)
        terminal = selection.terminal
        if terminal is not None and terminal.when == "before":
            self._terminal(terminal, None, where)
            return
        response = dispatcher.process(request, where)
        if where.kind == "upload":  # browsers upload straight to Cloudinary, from any origin
            response.headers.update(UPLOAD_CORS)
        if selection.latency_after:
            time.sleep(selection.latency_after)
        if terminal is not None:
            self._terminal(terminal, response, where)
            return
        self._send(response)

    # ------------------------------------------------------------------ response

    def _send(self, response: Response, *, declared_length: int | None = None) -> None:
        body = response.body
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("X-Request-Id", secrets.token_hex(16))
        length = len(body) if declared_length is None else declared_length
        self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _terminal(self, rule: FaultRule, processed: Response | None, where: Route) -> None:
        dispatcher = self.server.dispatcher
        if rule.kind == "reset":
            self._reset()
            return
        if rule.kind == "status":
            self._send(dispatcher.fault_response(rule, where))
            return
        # truncate: announce the whole body, send half of it, close the connection
        response = processed or dispatcher.fault_response(rule, where)
        full = response.body
        declared = len(full) if len(full) >= 2 else len(full) + 64
        self.close_connection = True
        self._send(
            Response(response.status, full[: len(full) // 2], response.headers),
            declared_length=declared,
        )
        self.wfile.flush()

    def _reset(self) -> None:
        """Close abruptly: SO_LINGER 0 makes the kernel send RST instead of FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()
