"""Webhook notifications (``notification_url``), signed as Cloudinary signs them.

Why: moderation is asynchronous, and Cloudinary tells an application about decisions by
POSTing to its ``notification_url``. A client's webhook handler (and its signature
check) can only be tested against something that really sends them.

Signature (pycloudinary ``utils.verify_notification_signature``): ``X-Cld-Timestamp`` is
Unix seconds, ``X-Cld-Signature`` the hex SHA-1 (SHA-256 when the account is configured
for it) of ``body + timestamp + api_secret``. The emulator never calls out to the
internet: only ``http`` URLs on a loopback host are POSTed to, from one background
thread, with a short timeout and no retries; anything else is recorded as refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudinary_presets.emulator import net

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
LOG_SIZE = 1000
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def sign(body: str, timestamp: int, secret: str, algorithm: str = "sha1") -> str:
    """``X-Cld-Signature``: hex digest of ``body + timestamp + secret``."""
    return _ALGORITHMS[algorithm](f"{body}{timestamp}{secret}".encode()).hexdigest()


@dataclass(frozen=True)
class Notification:
    """One notification to send; the secret signs it and is never logged."""

    url: str
    payload: dict[str, object]
    timestamp: int
    secret: str
    algorithm: str = "sha1"

    def body(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect could leave loopback


class Notifier:
    """Sends notifications in order from one daemon thread; remembers what happened.

    ``history()`` lists the last attempts (URL, type, payload, outcome), never the
    signature: tests and ``GET /_emulator/notifications`` read it.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[Notification | None] = queue.Queue()
        self._history: deque[dict[str, object]] = deque(maxlen=LOG_SIZE)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._outstanding = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def send(self, notification: Notification) -> None:
        with self._lock:
            if self._closed:
                return
            self._outstanding += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="emulator-notifications", daemon=True
                )
                self._thread.start()
        self._queue.put(notification)

    def history(self) -> list[dict[str, object]]:
        with self._lock:
            return [dict(item) for item in self._history]

    def clear(self) -> None:
        with self._lock:
            self._history.clear()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued notification was attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    def close(self) -> None:
        """Stop the thread after the notification in flight (queued ones are dropped)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=TIMEOUT_SECONDS + 1)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._closed:
                return
            outcome = deliver(item)
            with self._idle:
                self._history.append(
                    {
                        "url": item.url,
                        "notification_type": item.payload.get("notification_type"),
                        "payload": item.payload,
                        "outcome": outcome,
                    }
                )
                self._outstanding -= 1
                self._idle.notify_all()


def deliver(notification: Notification) -> str:
    """POST one notification; the outcome as a short phrase (never raises)."""
    parts = urlsplit(notification.url)
    if parts.scheme != "http" or not net.is_loopback_host(parts.hostname or ""):
        return "refused: the emulator only notifies http URLs on a loopback host"
    body = notification.body()
    headers = {
        "Content-Type": "application/json",
        "X-Cld-Timestamp": str(notification.timestamp),
        "X-Cld-Signature": sign(
            body, notification.timestamp, notification.secret, notification.algorithm
        ),
        "User-Agent": "cloudinary-presets-emulator",
    }
    request = urllib.request.Request(
        notification.url, data=body.encode("utf-8"), headers=headers, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return f"delivered: HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        exc.close()
        return f"failed: HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        log.debug("notification to %s failed", notification.url, exc_info=True)
        return f"failed: {getattr(exc, 'reason', exc)}"
