"""The retry policy to the number: how long the transport waits between attempts, when it
stops, what it says when it gives up, and which failures count as TLS or as never sent.

Waits are checked against a scripted server on loopback with the sleeps recorded (and a
jitter that always draws its upper bound, so the backoff's ceiling shows); the budget's
wording and the walk over an exception's causes are pure, checked directly.
"""

from __future__ import annotations

import itertools
import random
import ssl
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests
import urllib3.exceptions
from client_helpers import NOW, MakeTransport, Sleeps, http_date
from client_stub import Reply, StubServer

from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import (
    RetryBudget,
    RetryPolicy,
    causes,
    is_tls_failure,
    never_sent,
    parse_http_date,
    required_wait,
    retryable_network,
)
from cloudinary_presets.errors import RateLimited, ServerError


class Ceiling(random.Random):
    """Full jitter that always draws the top of its range: each wait is the ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def ping(make_transport: MakeTransport, creds: Credentials, **kw: object) -> None:
    make_transport(creds, **kw).request("GET", "/ping", idempotent=True)


# --------------------------------------------------------------------------- backoff


def test_backoff_doubles_from_the_base_delay_up_to_the_cap(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.script(*[Reply(status=503)] * 5, Reply(body={}))
    retry = RetryPolicy(max_attempts=6, base_delay=0.5, max_delay=3.0, budget=100)
    ping(make_transport, stub_creds, retry=retry, rng=Ceiling())
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert len(stub.seen) == 6


# --------------------------------------------------------------------------- server-imposed waits


def test_a_retry_after_of_exactly_the_longest_wait_is_waited(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.script(Reply(status=503, headers={"Retry-After": "60"}), Reply(body={}))
    retry = RetryPolicy(max_wait=60.0, budget=300)
    ping(make_transport, stub_creds, retry=retry, clock=lambda: NOW)
    assert sleeps == [60.0]


def test_a_retry_after_that_looks_like_a_timestamp_is_not_read_as_a_date(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    """Retry-After is seconds (at most 9 digits here) or an HTTP-date, never epoch seconds:
    ``1800003600`` an hour after now is garbage, and the plain backoff applies."""
    stub.script(Reply(status=503, headers={"Retry-After": str(int(NOW) + 3600)}), Reply(body={}))
    retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
    ping(make_transport, stub_creds, retry=retry, rng=Ceiling(), clock=lambda: NOW)
    assert sleeps == [0.01]


def test_a_rate_limit_reset_due_now_or_under_a_second_away(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    """A reset that is due now is no wait at all (the plain backoff); one half a second
    away is waited for, to the half second."""
    stub.script(
        Reply(status=429, headers={"X-FeatureRateLimit-Reset": http_date(NOW)}),
        Reply(status=429, headers={"X-FeatureRateLimit-Reset": http_date(NOW + 1)}),
        Reply(body={}),
    )
    clock = iter([NOW, NOW + 0.5])
    retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
    ping(make_transport, stub_creds, retry=retry, rng=Ceiling(), clock=lambda: next(clock))
    assert sleeps == [0.01, 0.5]


def test_a_rate_limit_too_far_away_says_the_quota_is_hourly(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(
        status=429, body={"error": {"message": "Slow down"}}, headers={"Retry-After": "3600"}
    )
    with pytest.raises(RateLimited) as info:
        ping(make_transport, stub_creds, clock=lambda: NOW)
    error = info.value
    assert error.hint == "the Admin API quota is hourly; retry after that time"
    until = datetime.fromtimestamp(NOW + 3600, tz=timezone.utc)
    assert error.reset_at == until
    assert f"Slow down; rate limited until {until:%Y-%m-%d %H:%M:%S} UTC" in str(error)
    assert (error.status, error.method, error.path) == (429, "GET", "/v1_1/demo/ping")
    assert sleeps == []


def test_a_server_asking_for_too_long_a_wait_keeps_its_message_and_where(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(
        status=503, body={"error": {"message": "maintenance"}}, headers={"Retry-After": "7200"}
    )
    with pytest.raises(ServerError) as info:
        ping(make_transport, stub_creds, clock=lambda: NOW)
    error = info.value
    assert error.cloudinary_message == "maintenance"
    assert error.hint == "the server asked to retry after 7200 s (more than 60 s)"
    assert (error.status, error.method, error.path) == (503, "GET", "/v1_1/demo/ping")
    assert sleeps == []


def test_the_server_imposed_wait_reads_the_headers_by_their_documented_names() -> None:
    """Any mapping of headers will do, not only a case-insensitive one: the names are the
    ones the server sends (``Retry-After``, ``X-FeatureRateLimit-Reset``)."""
    error = ServerError("busy", status=429)
    asked = {"Retry-After": "5"}
    assert required_wait(error, 429, asked, now=NOW, max_wait=60.0) == 5.0
    reset = {"X-FeatureRateLimit-Reset": http_date(NOW + 30)}
    assert required_wait(error, 429, reset, now=NOW, max_wait=60.0) == 30.0
    assert required_wait(error, 429, {}, now=NOW, max_wait=60.0) is None


def test_a_quota_reset_past_the_year_9999_is_ignored_not_a_crash(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    """Twelve digits of epoch seconds can name the year 33658, which no datetime holds:
    the header is unreadable, like garbage, and the call goes on (it used to raise a
    ValueError out of every response that carried it)."""
    far = {"X-FeatureRateLimit-Reset": "999999999999", "X-FeatureRateLimit-Limit": "500"}
    stub.script(Reply(status=429, headers=far), Reply(body={}, headers=far))
    transport = make_transport(stub_creds, retry=RetryPolicy(base_delay=0.01), rng=Ceiling())
    transport.request("GET", "/ping", idempotent=True)
    assert sleeps == [0.01]  # the plain backoff: no reset to wait for
    assert transport.quota.limit == 500
    assert transport.quota.reset_at is None
    assert parse_http_date("999999999999") is None


# --------------------------------------------------------------------------- the budget's words


def test_a_budget_spent_to_the_last_second_allows_no_more_attempts() -> None:
    assert RetryBudget(2.0, spent=2.0).refusal(0.0, 1, 5) == "the 2 s retry budget is spent"


def test_a_wait_that_would_reach_the_budget_exactly_is_refused() -> None:
    budget = RetryBudget(2.0, spent=1.0)
    assert budget.refusal(0.9, 1, 5) is None
    assert budget.refusal(1.0, 1, 5) == "waiting 1.0 s more would pass the 2 s retry budget"


def test_a_refused_wait_says_why_it_was_asked_for_only_when_there_is_a_reason() -> None:
    budget = RetryBudget(5.0)
    assert budget.refusal(9.5, 1, 5) == "waiting 9.5 s more would pass the 5 s retry budget"
    assert budget.refusal(10.0, 1, 5, "as the server asked") == (
        "waiting 10 s more (as the server asked) would pass the 5 s retry budget"
    )


def test_the_last_attempt_is_named_only_when_retries_were_allowed() -> None:
    assert RetryBudget(5.0).refusal(0.1, 3, 3) == "the limit of 3 attempts is reached"
    assert RetryBudget(5.0).refusal(0.1, 1, 1) == ""


def test_giving_up_counts_the_attempts_and_the_time_spent_waiting() -> None:
    assert RetryBudget(5.0, spent=0.3).gave_up(1, "why") == "gave up after 1 attempt in 0.3 s: why"
    assert RetryBudget(5.0, spent=1.0, waited=0.05).gave_up(2, "why") == (
        "gave up after 2 attempts in 1.0 s (0.1 s of it waiting): why"
    )
    assert RetryBudget(5.0, spent=1.0, waited=0.04).gave_up(2, "why") == (
        "gave up after 2 attempts in 1.0 s: why"
    )


# --------------------------------------------------------------------------- dates


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time five hours behind UTC (a POSIX zone: no tz database)."""
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_reset_dates_are_read_as_utc_whatever_the_local_zone() -> None:
    """Quota resets are shown as ``%H:%M UTC``: a date without a zone is UTC, and every
    date comes back in UTC, not in the machine's zone."""
    expected = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
    for text in ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:00 -0000"):
        parsed = parse_http_date(text)
        assert parsed == expected
        assert parsed is not None
        assert parsed.utcoffset() == timedelta(0)
        assert f"{parsed:%H:%M}" == "07:28"
    assert parse_http_date("Wed, 21 Oct 2015 02:28:00 -0500") == expected


def test_reset_given_as_epoch_seconds() -> None:
    parsed = parse_http_date(" 1800000000 ")
    assert parsed == datetime.fromtimestamp(NOW, tz=timezone.utc)
    assert parsed is not None
    assert parsed.tzinfo is not None


# --------------------------------------------------------------------------- causes


def test_causes_follow_args_reasons_and_links_once_each_in_order() -> None:
    root = ConnectionRefusedError("refused")
    pooled = urllib3.exceptions.MaxRetryError(None, "/ping", reason=root)  # type: ignore[arg-type]
    inner = ValueError("inner")
    outer = RuntimeError(pooled, pooled, inner)
    assert list(causes(outer)) == [outer, pooled, root, inner]


def test_causes_stop_on_a_cycle() -> None:
    first, second = ValueError("first"), ValueError("second")
    first.__context__, second.__cause__ = second, first
    assert list(itertools.islice(causes(first), 10)) == [first, second]


def test_causes_of_a_runaway_chain_stop_at_32() -> None:
    chain = [ValueError(str(n)) for n in range(50)]
    for current, deeper in itertools.pairwise(chain):
        current.__cause__ = deeper
    assert list(causes(chain[0])) == chain[:32]


# --------------------------------------------------------------------------- what is retried


@pytest.mark.parametrize(
    "tls",
    [
        ssl.SSLCertVerificationError(1, "certificate verify failed"),
        ssl.SSLError(1, "wrong version number"),
        urllib3.exceptions.SSLError("handshake"),
    ],
    ids=["cert", "ssl", "urllib3"],
)
def test_a_tls_failure_under_a_connection_error_is_not_retried(tls: BaseException) -> None:
    wrapped = requests.exceptions.ConnectionError(tls)
    assert is_tls_failure(wrapped)
    assert not retryable_network(wrapped)
    assert retryable_network(requests.exceptions.ConnectionError(OSError("reset")))


def test_a_connect_timeout_never_reached_the_server() -> None:
    assert never_sent(requests.exceptions.ConnectTimeout("slow"))
    refused = urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    assert never_sent(requests.exceptions.ConnectionError(refused))
    assert not never_sent(requests.exceptions.ReadTimeout("slow"))
