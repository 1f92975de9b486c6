"""A total time limit for each HTTP request: connect to last byte, not just idle gaps.

requests' ``timeout`` bounds each socket operation, not the request: a server that answers
the headers and then sends one byte every two seconds never trips it. Here a watchdog
thread shuts down the socket of a request that passes its deadline, so the read (or the
write of an upload) blocked on it fails at once, and the transport reports a timeout.

The sockets are found through the connection classes of :class:`DeadlineAdapter`: a
connection registers its socket with the request running in its thread (a new connection
as soon as it exists, a reused one when the request starts). Host name resolution is the
operating system's and cannot be interrupted; everything after it is bounded.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import ProxyManager

#: Bytes per write when a request body is streamed (a file upload); urllib3's default is
#: 16 KiB, which costs 65,536 system calls per GiB.
UPLOAD_BLOCK_BYTES = 256 * 1024


class Guard:
    """One request's deadline and the socket it is using right now."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sock = sock
            late = self.expired and not self._done
        if late:
            _shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self._done or self.expired:
                return
            self.expired = True
            sock = self._sock
        if sock is not None:
            _shutdown(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sock = None

    @property
    def done(self) -> bool:
        return self._done


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing is blocked on it
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for the process: expires guards as their deadlines pass.

    It sleeps until the earliest deadline and is woken only when a request brings an
    earlier one: requests that finish in time (nearly all) cost no thread switch. Guards
    of finished requests leave the heap when they reach its top.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Guard]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        #: when the thread wakes up by itself (inf: it waits until woken)
        self._wakes_at = math.inf

    def watch(self, guard: Guard) -> None:
        with self._wake:
            heap = self._heap
            while heap and heap[0][2].done:
                heapq.heappop(heap)
            heapq.heappush(heap, (guard.deadline, next(self._order), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="presets-http-deadlines", daemon=True
                )
                self._thread.start()
            if guard.deadline < self._wakes_at:
                self._wakes_at = guard.deadline
                self._wake.notify()

    def _run(self) -> None:
        while True:
            due: list[Guard] = []
            with self._wake:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
                if not due:
                    self._wakes_at = self._heap[0][0] if self._heap else math.inf
                    wait = self._wakes_at - now if self._heap else None
                    self._wake.wait(wait)
                    continue
            for guard in due:
                guard.expire()


_WATCHDOG = _Watchdog()
_active = threading.local()


@contextmanager
def time_limit(seconds: float) -> Iterator[Guard]:
    """Bound everything the calling thread sends and receives inside the block."""
    guard = Guard(time.monotonic() + max(0.0, seconds))
    _WATCHDOG.watch(guard)
    previous = getattr(_active, "guard", None)
    _active.guard = guard
    try:
        yield guard
    finally:
        _active.guard = previous
        guard.finish()


def _register(sock: socket.socket | None) -> None:
    guard: Guard | None = getattr(_active, "guard", None)
    if guard is not None:
        guard.attach(sock)


class _Registering:
    """Mixin for urllib3 connections: hand the socket to the running request's guard."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _register(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> Any:
        _register(self.sock)
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Registering, HTTPConnection):
    pass


class _HTTPSConnection(_Registering, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}
_BLOCKSIZE_KNOWN = int(metadata.version("urllib3").split(".")[0]) >= 2


class DeadlineAdapter(HTTPAdapter):
    """An :class:`HTTPAdapter` whose connections a :func:`time_limit` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if _BLOCKSIZE_KNOWN:
            kwargs.setdefault("blocksize", UPLOAD_BLOCK_BYTES)
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # not SOCKS: its own connection classes
            manager.pool_classes_by_scheme = _POOLS
        return manager


class DeadlineExceeded(requests.exceptions.ReadTimeout):
    """The request's total time limit passed (whatever phase it was in). ``clipped``: the
    limit was what remained of a retry budget, shorter than the request timeout."""

    def __init__(self, seconds: float, *, clipped: bool = False) -> None:
        super().__init__(f"no complete response within {seconds:g} s")
        self.seconds = seconds
        self.clipped = clipped
