"""The network cannot hold the tool hostage: every request has a total time limit, and
the retries of one call have a budget of their own.

Each test talks to a small misbehaving server on 127.0.0.1 (a body dribbled one byte at
a time, a server that never answers, one that never reads, repeated ``Retry-After``)
with timeouts of a fraction of a second, and asserts the bound: how long the call took
(real time, measured here) and what the error says about it.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from client_helpers import MakeTransport, Sleeps
from client_stub import Reply, StubServer

from cli_runner import run_main
from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.errors import NetworkError, RateLimited, ServerError

#: what a call may take beyond its bound on a loaded machine (thread wake-ups, teardown)
SLACK = 0.5


def timed(call: object) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        call()  # type: ignore[operator]
    return caught.value, time.monotonic() - started


# --------------------------------------------------------------------------- total time


def test_a_dribbled_body_fails_within_the_request_time_limit(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    # headers at once, then one byte every 0.2 s: every read succeeds, none is idle long
    stub.default = Reply(body={"padding": "x" * 200}, action="dribble", interval=0.2)
    transport = make_transport(stub_creds, timeout=1.0, retry=RetryPolicy(max_attempts=1))
    error, seconds = timed(lambda: transport.request("GET", "/ping", idempotent=True))
    assert isinstance(error, NetworkError)
    assert 1.0 <= seconds < 1.0 + SLACK
    assert str(error) == (
        f"GET /v1_1/demo/ping: no complete response from 127.0.0.1:{stub.port} within 1 s "
        "(the request time limit, --timeout)"
    )


def test_a_dribbled_body_with_retries_stays_within_the_retry_budget(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(body={"padding": "x" * 200}, action="dribble", interval=0.2)
    retry = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.01)  # budget: 2 x 0.6 s
    transport = make_transport(stub_creds, timeout=0.6, retry=retry)
    error, seconds = timed(lambda: transport.request("GET", "/ping", idempotent=True))
    assert isinstance(error, NetworkError)
    assert seconds < 1.2 + SLACK
    assert len(stub.seen) == 2  # the second attempt had what was left of the budget
    assert re.search(r"within 0\.\d+ s \(what was left of the retry budget\)", str(error))
    assert "hint: gave up after 2 attempts in 1.2 s" in str(error)
    assert re.search(r"(the 1.2 s retry budget is spent|would pass the 1.2 s retry budget)$",
                     str(error))  # fmt: skip


def test_a_server_that_never_answers_costs_the_budget_not_five_timeouts(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(action="hang")
    retry = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.01)
    transport = make_transport(stub_creds, timeout=0.4, retry=retry)
    error, seconds = timed(lambda: transport.request("GET", "/ping", idempotent=True))
    assert isinstance(error, NetworkError)
    assert 0.75 <= seconds < 0.8 + SLACK  # 2 x the timeout, not 5 x
    assert len(stub.seen) == 2
    assert "gave up after 2 attempts in 0.8 s" in str(error)


def test_a_post_that_hangs_is_not_retried_and_is_bounded(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(action="hang")
    transport = make_transport(stub_creds, timeout=0.4)
    error, seconds = timed(
        lambda: transport.request("POST", "/upload_presets", json={}, idempotent=False)
    )
    assert isinstance(error, NetworkError)
    assert 0.4 <= seconds < 0.4 + SLACK
    assert len(stub.seen) == 1
    assert "hint" not in str(error)  # one attempt, nothing to explain


def test_a_create_reconciled_against_a_hanging_server_shares_one_budget(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    """The POST times out (its outcome unknown), the read-back GET hangs too: the whole
    create costs the budget (2 x 0.4 s), not 3 creates x (POST + 5 GETs) x 0.4 s."""
    stub.default = Reply(action="hang")
    retry = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.01)
    admin = AdminApi(make_transport(stub_creds, timeout=0.4, retry=retry))
    error, seconds = timed(lambda: admin.create_preset({"name": "p"}, same=lambda got: True))
    assert isinstance(error, NetworkError)
    assert seconds < 0.8 + SLACK
    assert stub.paths() == ["POST /v1_1/demo/upload_presets", "GET /v1_1/demo/upload_presets/p"]
    assert "reading it back failed too: its outcome is unknown; run plan again" in str(error)


@pytest.fixture
def deaf_server() -> Iterator[int]:
    """Accepts connections and never reads from them (an upload's body fills the buffers)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(timeout=2)
    listener.close()
    for sock in held:
        sock.close()


class Body:
    """A 64 MiB streamed body (zeros), opened afresh per attempt."""

    content_type = "application/octet-stream"
    length = 64 * 1024 * 1024

    def open(self) -> _Zeros:
        return _Zeros(self.length)


class _Zeros:
    """A reader as requests streams it: ``read``, ``__iter__`` and ``__len__``."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        n = self.left if size < 0 else min(size, self.left)
        self.left -= n
        return bytes(n)

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(65536):
            yield block

    def __len__(self) -> int:
        return self.left

    def close(self) -> None:
        pass


def test_an_upload_to_a_server_that_stops_reading_is_bounded(
    deaf_server: int, make_transport: MakeTransport
) -> None:
    creds = Credentials("demo", "1", None, api_host=f"http://127.0.0.1:{deaf_server}")
    transport = make_transport(creds, timeout=0.5)
    error, seconds = timed(
        lambda: transport.request(
            "POST", "/image/upload", body=Body(), auth=False, idempotent=False
        )
    )
    assert isinstance(error, NetworkError)
    assert 0.5 <= seconds < 0.5 + SLACK
    assert "within 0.5 s (the request time limit, --timeout)" in str(error)


def test_a_fast_answer_is_untouched_by_the_limit(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(body={"status": "ok"})
    transport = make_transport(stub_creds, timeout=0.3)
    for _ in range(20):  # reused keep-alive connections: each request is limited afresh
        assert transport.request("GET", "/ping", idempotent=True).json == {"status": "ok"}
    time.sleep(0.4)  # the first requests' deadlines pass: nothing happens to the next one
    assert transport.request("GET", "/ping", idempotent=True).json == {"status": "ok"}
    assert stub.connections == 1


# --------------------------------------------------------------------------- name resolution


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``localhost`` resolved by a stand-in for the operating system's resolver: it waits
    ``delay`` seconds, then fails with ``error`` or answers ``addresses`` (IP literals,
    which urllib3 resolves again, go to the real resolver)."""
    behaviour: dict[str, Any] = {"delay": 0.0, "error": None, "addresses": ["127.0.0.1"]}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real(host, port, *args, **kwargs)
        time.sleep(behaviour["delay"])
        if behaviour["error"] is not None:
            raise behaviour["error"]
        return [entry for a in behaviour["addresses"] for entry in real(a, port, *args, **kwargs)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return behaviour


def by_name(stub: StubServer, creds: Credentials) -> Credentials:
    return dataclasses.replace(creds, api_host=f"http://localhost:{stub.port}")


def test_a_resolver_that_hangs_costs_the_request_time_limit_not_more(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, resolver: Any
) -> None:
    resolver["delay"] = 3.0
    transport = make_transport(
        by_name(stub, stub_creds), timeout=0.5, retry=RetryPolicy(max_attempts=1)
    )
    error, seconds = timed(lambda: transport.request("GET", "/ping", idempotent=True))
    assert isinstance(error, NetworkError)
    assert 0.5 <= seconds < 0.5 + SLACK
    assert "within 0.5 s (the request time limit, --timeout)" in str(error)
    assert stub.seen == []


def test_each_address_of_a_name_is_tried_in_turn(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, resolver: Any
) -> None:
    stub.default = Reply(body={"status": "ok"})
    resolver.update(delay=0.05, addresses=["::1", "127.0.0.1"])  # the stub is on IPv4 only
    transport = make_transport(by_name(stub, stub_creds), timeout=2.0)
    assert transport.request("GET", "/ping", idempotent=True).json == {"status": "ok"}
    assert stub.seen[0].headers["Host"] == f"localhost:{stub.port}"  # the name, not the address


def test_a_name_that_does_not_resolve_is_a_network_error(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, resolver: Any
) -> None:
    resolver["error"] = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    transport = make_transport(
        by_name(stub, stub_creds), timeout=1.0, retry=RetryPolicy(max_attempts=1)
    )
    error, seconds = timed(lambda: transport.request("GET", "/ping", idempotent=True))
    assert isinstance(error, NetworkError)
    assert seconds < SLACK
    assert "localhost" in str(error)
    assert "time limit" not in str(error)


# --------------------------------------------------------------------------- Retry-After


def test_repeated_retry_after_59_costs_one_wait_not_four(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(status=429, body={"error": {"message": "slow down"}},
                         headers={"Retry-After": "59"})  # fmt: skip
    transport = make_transport(stub_creds, timeout=30.0, retry=RetryPolicy())
    with pytest.raises(RateLimited) as caught:
        transport.request("GET", "/ping", idempotent=True)
    assert sleeps == [59.0]  # the budget (2 x 30 s) allows one such wait, not four
    assert len(stub.seen) == 2
    assert str(caught.value).splitlines()[1] == (
        "  hint: gave up after 2 attempts in 59.0 s (59.0 s of it waiting): waiting 59 s more "
        "(as the server asked) would pass the 60 s retry budget"
    )


def test_retry_after_waits_are_bounded_in_real_time(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(status=503, body={"error": {"message": "busy"}},
                         headers={"Retry-After": "0.3"})  # fmt: skip
    transport = make_transport(
        stub_creds, timeout=0.5, retry=RetryPolicy(max_attempts=10), sleep=time.sleep
    )
    error, seconds = timed(lambda: transport.request("GET", "/ping", idempotent=True))
    assert seconds < 1.0 + SLACK  # the budget is 2 x 0.5 s
    assert len(stub.seen) == 4  # waits at 0.3, 0.6, 0.9 s; a fourth would pass 1 s
    assert "gave up after 4 attempts" in str(error)
    assert str(error).endswith(
        "(0.9 s of it waiting): waiting 0.3 s more (as the server asked) would pass the "
        "1 s retry budget"
    )


def test_a_single_wait_beyond_max_wait_is_refused_at_once(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(status=503, body={"error": {"message": "busy"}},
                         headers={"Retry-After": "600"})  # fmt: skip
    with pytest.raises(ServerError) as caught:
        make_transport(stub_creds).request("GET", "/ping", idempotent=True)
    assert sleeps == []
    assert "the server asked to retry after 600 s (more than 60 s)" in str(caught.value)


# --------------------------------------------------------------------------- the CLI option


@pytest.mark.parametrize("how", ["option", "environment"])
def test_presets_timeout_bounds_a_command(
    how: str, stub: StubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``presets --timeout 0.3 plan`` (or PRESETS_TIMEOUT=0.3) against a server that never
    answers: exit 1 within the budget, the error names the limit."""
    stub.default = Reply(action="hang")
    (tmp_path / "presets").mkdir()
    monkeypatch.setenv(
        "CLOUDINARY_URL", f"cloudinary://1:stub-secret-0123@demo?upload_prefix={stub.url}"
    )
    monkeypatch.delenv("PRESETS_TIMEOUT", raising=False)
    args = ["plan", "--root", str(tmp_path)]
    if how == "option":
        args = ["--timeout", "0.3", *args]
    else:
        monkeypatch.setenv("PRESETS_TIMEOUT", "0.3")
    started = time.monotonic()
    result = run_main(args)
    seconds = time.monotonic() - started
    assert result.exit_code == 1
    assert seconds < 0.6 + 5 * 0.5 + SLACK  # two attempts of 0.3 s, jittered backoff between
    # the first attempt takes the whole 0.3 s; whether a second one fits in the 0.6 s
    # budget depends on the jittered backoff (0 to 0.5 s): both endings are right
    assert "within 0.3 s (the request time limit, --timeout)" in result.stderr or (
        "s (what was left of the retry budget)" in result.stderr
    )
    assert re.search(r"hint: gave up after [12] attempts? in 0\.\d s", result.stderr)
    assert "0.6 s retry budget" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf"])
def test_a_bad_timeout_is_a_usage_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESETS_TIMEOUT", value)
    result = run_main(["validate"])
    assert result.exit_code == 64
    assert "Invalid value for '--timeout' (env var: 'PRESETS_TIMEOUT')" in result.stderr
