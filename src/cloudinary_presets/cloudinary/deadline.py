"""A total time limit for each HTTP request: connect to last byte, not just idle gaps.

requests' ``timeout`` bounds each socket operation, not the request: a server that answers
the headers and then sends one byte every two seconds never trips it. Here a watchdog
thread shuts down the socket of a request that passes its deadline, so the read (or the
write of an upload) blocked on it fails at once, and the transport reports a timeout.

The sockets are found through the connection classes of :class:`DeadlineAdapter`: a
connection registers its socket with the request running in its thread (a new connection
as soon as it exists, a reused one when the request starts). Host name resolution, the
operating system's and uninterruptible, runs in a helper thread that the request waits
for only until its deadline.
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError
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


def _connect_within(guard: Guard, connect: Callable[[], socket.socket], host: str) -> socket.socket:
    """``connect()`` (urllib3's: resolve the name, then connect to each address in turn)
    in a helper thread that the request waits for only until its deadline: the operating
    system's resolver cannot be interrupted, and one that hangs must not hold the request.
    A connection that the helper makes after the request gave up is closed."""
    outcome: list[socket.socket | BaseException] = []
    lock = threading.Lock()
    done = threading.Event()

    def run() -> None:
        try:
            result: socket.socket | BaseException = connect()
        except BaseException as exc:  # handed to the request's thread
            result = exc
        with lock:
            if done.is_set() and isinstance(result, socket.socket):
                result.close()  # the request gave up on it
            outcome.append(result)
            done.set()

    threading.Thread(target=run, name="presets-connect", daemon=True).start()
    if not done.wait(max(0.0, guard.deadline - time.monotonic())):
        with lock:
            if not done.is_set():
                done.set()  # from now on the helper closes what it gets
                guard.expire()
                raise TimeoutError(f"connecting to {host} took longer than the time limit")
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class _Registering:
    """Mixin for urllib3 connections: hand the socket to the running request's guard, and
    connect (host name resolution included) within the request's time limit."""

    sock: socket.socket | None
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        guard: Guard | None = getattr(_active, "guard", None)
        connect = super()._new_conn  # type: ignore[misc]
        if guard is None or _is_address(self._dns_host):  # nothing to resolve: no thread
            sock: socket.socket = connect()
        else:
            try:
                sock = _connect_within(guard, connect, self._dns_host)
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, str(exc)) from exc
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
