"""The examples/web applications served on loopback over real HTTP, as in production.

``serve(app)`` runs a Flask app (WSGI, werkzeug's server) or a FastAPI app (ASGI,
uvicorn) on 127.0.0.1 with a free port in a thread, and yields its base URL. The
emulator's notifications and the tests' requests reach it exactly as they would reach a
deployed receiver.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests


@contextlib.contextmanager
def _wsgi(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def _asgi(app: Any) -> Iterator[str]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def serve(app: Any) -> contextlib.AbstractContextManager[str]:
    """Serve a Flask (WSGI) or FastAPI (ASGI) app on loopback; yields ``http://127.0.0.1:PORT``."""
    return _wsgi(app) if hasattr(app, "wsgi_app") else _asgi(app)


def client() -> requests.Session:
    """A session that never uses a proxy (loopback only)."""
    session = requests.Session()
    session.trust_env = False
    return session
