"""Transport behaviour on responses Cloudinary should never send, against a scripted stub:
redirects, HTML and non-JSON bodies, malformed listings, odd headers, TLS and refused
connections. (Cloudinary's own behaviour is tested against the emulator.)"""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
import urllib3.filepost
from client_helpers import (
    NOW,
    SENTINEL_KEY,
    SENTINEL_SECRET,
    MakeTransport,
    Sleeps,
    closed_port,
    http_date,
)
from client_stub import Reply, StubServer

from cloudinary_presets import __version__
from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy, parse_retry_after
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.errors import (
    ApiError,
    AuthenticationError,
    BadResponse,
    CredentialsError,
    NetworkError,
    NotAllowed,
    RateLimited,
    ServerError,
    UsageError,
)

# --------------------------------------------------------------------------- request shape


def test_request_shape(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.route = lambda seen: Reply(body={"name": "my preset/ü", "settings": {}})
    admin = AdminApi(make_transport(stub_creds))
    assert admin.get_preset("my preset/ü")["name"] == "my preset/ü"
    stub.route = lambda seen: Reply(body={"message": "ok"})
    admin.update_preset("p1", {"settings": {"folder": "f"}, "unsigned": True})
    admin.delete_preset("p1")
    get, put, delete = stub.seen
    assert get.method == "GET"
    assert get.path == "/v1_1/demo/upload_presets/my%20preset%2F%C3%BC"
    blob = base64.b64encode(f"{SENTINEL_KEY}:{SENTINEL_SECRET}".encode()).decode()
    assert get.headers["Authorization"] == f"Basic {blob}"
    assert get.headers["User-Agent"] == (
        f"cloudinary-presets/{__version__} (python-requests/{requests.__version__}; "
        f"Python {__import__('platform').python_version()})"
    )
    assert SENTINEL_SECRET not in get.path
    assert put.method == "PUT"
    assert put.headers["Content-Type"] == "application/json"
    assert json.loads(put.body) == {"settings": {"folder": "f"}, "unsigned": True}
    assert delete.method == "DELETE"
    assert delete.body == b"{}"


class _Streamed:
    content_type = "application/octet-stream"
    length = 5

    def open(self) -> io.BytesIO:
        return _Sized(b"hello")


class _Sized(io.BytesIO):
    def __len__(self) -> int:
        return 5


def test_requests_go_out_as_session_request_sends_them(
    stub: StubServer,
    stub_creds: Credentials,
    make_transport: MakeTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The transport prepares its own session's requests and hands them to the adapter
    (Session.request merged the same settings again on every call): every kind of request
    must reach the server byte for byte as ``Session.request`` sent it."""
    monkeypatch.setattr(urllib3.filepost, "choose_boundary", lambda: "b0undary")
    stub.default = Reply(body={"message": "ok"})
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/upload_presets", {"params": {"max_results": 500, "next_cursor": "a b/ü"}}),
        ("POST", "/upload_presets", {"data": {"name": "n", "tags": "a,b", "unsigned": "1"}}),
        ("PUT", "/upload_presets/n", {"json": {"settings": {"folder": "é"}}}),
        ("POST", "/image/upload", {"files": {"file": ("a.png", b"\x89PNG")}, "auth": False}),
        ("POST", "/image/upload", {"body": _Streamed(), "headers": {"X-Unique-Upload-Id": "u"}}),
        ("DELETE", "/upload_presets/n", {}),
    ]
    sent = []
    for direct in (False, True):
        transport = make_transport(stub_creds)
        transport._direct = direct  # False: through Session.request, as before
        for method, path, options in calls:
            transport.request(method, path, idempotent=True, **options)
        sent.append([(s.method, s.path, list(s.headers.items()), s.body) for s in stub.seen])
        stub.seen.clear()
    assert len(sent[1]) == len(calls)
    assert sent[1] == sent[0]


@pytest.mark.parametrize("name", ["", ".", ".."])
def test_dot_and_empty_preset_names_refused(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, name: str
) -> None:
    with pytest.raises(UsageError):
        AdminApi(make_transport(stub_creds)).get_preset(name)
    assert stub.seen == []


def test_admin_call_without_secret_is_refused_before_sending(
    stub: StubServer, make_transport: MakeTransport
) -> None:
    creds = Credentials("demo", "123", None, api_host=stub.url, source="a key-only URL")
    with pytest.raises(CredentialsError, match="a key-only URL have no API secret"):
        AdminApi(make_transport(creds)).ping()
    assert stub.seen == []


# --------------------------------------------------------------------------- redirects


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirect_refused(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, method: str
) -> None:
    stub.default = Reply(status=302, headers={"Location": "http://127.0.0.2:1/elsewhere"})
    transport = make_transport(stub_creds)
    with pytest.raises(BadResponse) as info:
        transport.request(method, "/upload_presets", idempotent=method == "GET")
    assert "unexpected redirect to http://127.0.0.2:1/elsewhere; refusing" in str(info.value)
    assert info.value.status == 302
    assert len(stub.seen) == 1


def test_redirect_during_create_is_not_reconciled(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(status=307, headers={"Location": "https://evil.example/x"})
    with pytest.raises(BadResponse, match="redirect"):
        AdminApi(make_transport(stub_creds)).create_preset({"name": "p"}, same=lambda p: True)
    assert stub.paths() == ["POST /v1_1/demo/upload_presets"]


# --------------------------------------------------------------------------- bodies


def test_html_200_is_bad_response_with_auth_hint(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(body="<html>please log in</html>\r\n", content_type="text/html")
    with pytest.raises(BadResponse) as info:
        AdminApi(make_transport(stub_creds)).ping()
    text = str(info.value)
    assert "unexpected non-JSON response (HTTP 200, text/html, 28 bytes)" in text
    assert "authentication problem" in text
    assert "\\r\\n" in text  # escaped, not raw
    assert len(stub.seen) == 1


def test_huge_body_is_truncated_in_message(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(body="x" * 100_000 + "END", content_type="text/plain")
    with pytest.raises(BadResponse) as info:
        make_transport(stub_creds).request("GET", "/ping", idempotent=True)
    assert len(str(info.value)) < 400
    assert "END" not in str(info.value)
    assert "100003 bytes" in str(info.value)


def test_body_over_the_limit(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(body={"presets": ["x" * 2000]})
    with pytest.raises(BadResponse, match="exceeds the 1000 byte limit"):
        make_transport(stub_creds, max_body_bytes=1000).request("GET", "/ping", idempotent=True)


@pytest.mark.parametrize(
    ("reply", "cls", "fragment"),
    [
        (Reply(status=401, body="<html>x</html>", content_type="text/html"), AuthenticationError,
         "authentication problem"),
        (Reply(status=401, body={"error": {"message": "Invalid api_key 1"}}), AuthenticationError,
         "check the API key and secret for cloud 'demo' (test stub)"),
        (Reply(status=403, body={"error": {"message": "no"}}), NotAllowed, "lack the permission"),
        (Reply(status=404, body="<html>nginx</html>", content_type="text/html"), BadResponse,
         "HTTP 404, text/html"),
        (Reply(status=409, body=b""), BadResponse, "HTTP 409, application/json, 0 bytes"),
        (Reply(status=418, body={"error": {"message": "teapot"}}), ApiError, "HTTP 418: teapot"),
        (Reply(status=501, body={"error": {"message": "nope"}}), ServerError, "nope"),
        (Reply(body=[1, 2]), BadResponse, "unexpected JSON list response (HTTP 200)"),
        (Reply(body={"error": {"message": "odd"}}), BadResponse, "carries an error: odd"),
        (Reply(body=b"{trunc"), BadResponse, "non-JSON"),
        (Reply(body=b"\xff\xfe"), BadResponse, "non-JSON"),
    ],
)  # fmt: skip
def test_error_mapping_without_cloudinary_body(
    stub: StubServer,
    stub_creds: Credentials,
    make_transport: MakeTransport,
    reply: Reply,
    cls: type[ApiError],
    fragment: str,
) -> None:
    stub.default = reply
    with pytest.raises(ApiError) as info:
        make_transport(stub_creds).request("GET", "/upload_presets/x", idempotent=True)
    assert type(info.value) is cls
    assert fragment in str(info.value)
    assert len(stub.seen) == 1  # none of these is retried


def test_error_carries_request_id_method_and_path(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(
        status=400, body={"error": {"message": "Bad thing"}}, headers={"X-Request-Id": "rid-1"}
    )
    with pytest.raises(ApiError) as info:
        make_transport(stub_creds).request(
            "GET", "/upload_presets", params={"next_cursor": "c"}, idempotent=True
        )
    error = info.value
    assert (error.status, error.request_id, error.method) == (400, "rid-1", "GET")
    assert error.path == "/v1_1/demo/upload_presets"
    assert str(error) == "GET /v1_1/demo/upload_presets HTTP 400: Bad thing (request id rid-1)"


def test_5xx_html_is_retried_then_server_error(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(status=502, body="<html>bad gateway</html>", content_type="text/html")
    with pytest.raises(ServerError) as info:
        make_transport(stub_creds).request("GET", "/ping", idempotent=True)
    assert len(stub.seen) == 5
    assert len(sleeps) == 4
    assert "gave up after 5 attempts" in str(info.value)
    assert "HTTP 502, text/html" in str(info.value)


# --------------------------------------------------------------------------- listings


def page(names: list[str], cursor: str | None = None) -> Reply:
    body: dict[str, object] = {"presets": [{"name": n, "settings": {}} for n in names]}
    if cursor is not None:
        body["next_cursor"] = cursor
    return Reply(body=body)


@pytest.mark.parametrize(
    ("replies", "fragment"),
    [
        ([Reply(body={"next_cursor": None})], "'presets' is missing or not a list"),
        ([Reply(body={"presets": {"a": 1}})], "'presets' is missing or not a list"),
        ([Reply(body={"presets": [{"settings": {}}]})], "entry 0 has no name"),
        ([Reply(body={"presets": ["a"]})], "entry 0 is not an object"),
        ([Reply(body={"presets": [], "next_cursor": 5})], "'next_cursor' is not a string"),
        ([page(["a"], "c1"), page(["b"], "c1")], "a next_cursor repeated"),
        ([page(["a"], "c1"), page(["a"])], "preset 'a' appears twice"),
        ([page(["a"], "c1"), Reply(body={"presets": None})], "'presets' is missing"),
    ],
)
def test_malformed_listing_never_returns_partial(
    stub: StubServer,
    stub_creds: Credentials,
    make_transport: MakeTransport,
    replies: list[Reply],
    fragment: str,
) -> None:
    stub.script(*replies)
    with pytest.raises(BadResponse) as info:
        AdminApi(make_transport(stub_creds)).list_presets()
    assert f"malformed preset listing: {fragment}" in str(info.value)


def test_listing_page_limit(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    counter = iter(range(10_000))
    stub.route = lambda seen: page([f"p{next(counter)}"], f"c{len(stub.seen)}")
    admin = AdminApi(make_transport(stub_creds))
    with pytest.raises(BadResponse, match="no end after 3 pages"):
        list(admin.iter_preset_pages(max_pages=3))
    with pytest.raises(UsageError):
        admin.list_presets(page_size=501)


def test_listing_query(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.script(page(["a", "b"], "cur/1+2"), page(["c"], ""))
    names = [p["name"] for p in AdminApi(make_transport(stub_creds)).list_presets(page_size=2)]
    assert names == ["a", "b", "c"]
    assert stub.paths() == [
        "GET /v1_1/demo/upload_presets?max_results=2",
        "GET /v1_1/demo/upload_presets?max_results=2&next_cursor=cur%2F1%2B2",
    ]


# --------------------------------------------------------------------------- retry timing


def test_retry_after_seconds_and_date(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.script(
        Reply(status=503, body={"error": {"message": "busy"}}, headers={"Retry-After": "3"}),
        Reply(status=503, body={}, headers={"Retry-After": http_date(NOW + 7)}),
        Reply(body={"status": "ok"}),
    )
    retry = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.05, budget=60)
    transport = make_transport(stub_creds, clock=lambda: NOW, retry=retry)
    assert transport.request("GET", "/ping", idempotent=True).json == {"status": "ok"}
    assert sleeps == [3.0, 7.0]


@pytest.mark.parametrize("value", ["-5", "soon", "1e9", "inf", "Thu, 99 Foo 2099", "-1 day"])
def test_garbage_retry_after_falls_back_to_backoff(
    stub: StubServer,
    stub_creds: Credentials,
    make_transport: MakeTransport,
    sleeps: Sleeps,
    value: str,
) -> None:
    stub.script(Reply(status=503, headers={"Retry-After": value}), Reply(body={}))
    make_transport(stub_creds, clock=lambda: NOW).request("GET", "/ping", idempotent=True)
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 0.05


def test_retry_after_parsing() -> None:
    assert parse_retry_after("0", NOW) == 0.0
    assert parse_retry_after(" 12 ", NOW) == 12.0
    assert parse_retry_after(http_date(NOW - 100), NOW) == 0.0
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("", NOW) is None


def test_long_retry_after_on_5xx_is_not_slept(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.default = Reply(
        status=503, body={"error": {"message": "maint"}}, headers={"Retry-After": "3600"}
    )
    with pytest.raises(ServerError, match="asked to retry after 3600 s"):
        make_transport(stub_creds).request("GET", "/ping", idempotent=True)
    assert sleeps == []
    assert len(stub.seen) == 1


def test_rate_limit_reset_far_away_raises_without_sleeping(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    reset = NOW + 1800
    stub.default = Reply(
        status=420,
        body={"error": {"message": "Rate Limit Exceeded"}},
        headers={
            "X-FeatureRateLimit-Limit": "500",
            "X-FeatureRateLimit-Remaining": "0",
            "X-FeatureRateLimit-Reset": http_date(reset),
        },
    )
    transport = make_transport(stub_creds, clock=lambda: NOW)
    with pytest.raises(RateLimited) as info:
        transport.request("GET", "/upload_presets", idempotent=True)
    expected = datetime.fromtimestamp(reset, tz=timezone.utc)
    assert info.value.reset_at == expected
    assert f"rate limited until {expected:%Y-%m-%d %H:%M:%S} UTC" in str(info.value)
    assert sleeps == []
    assert len(stub.seen) == 1
    assert transport.quota.remaining == 0
    assert transport.quota.limit == 500


def test_rate_limit_reset_soon_is_waited(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.script(
        Reply(status=429, headers={"X-FeatureRateLimit-Reset": http_date(NOW + 4)}),
        Reply(status=429, headers={"X-FeatureRateLimit-Reset": http_date(NOW - 4)}),
        Reply(body={}),
    )
    make_transport(stub_creds, clock=lambda: NOW).request("GET", "/ping", idempotent=True)
    assert sleeps[0] == 4.0
    assert 0 <= sleeps[1] <= 0.05  # a reset in the past: plain backoff


def test_quota_headers_garbage_ignored(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(
        body={}, headers={"X-FeatureRateLimit-Limit": "lots", "X-FeatureRateLimit-Remaining": "9"}
    )
    transport = make_transport(stub_creds)
    assert not transport.quota.observed
    transport.request("GET", "/ping", idempotent=True)
    quota = transport.quota
    assert quota.observed
    assert quota.limit is None
    assert quota.remaining == 9
    assert quota.reset_at is None


# --------------------------------------------------------------------------- network


def test_connection_refused(make_transport: MakeTransport, sleeps: Sleeps) -> None:
    creds = Credentials(
        "demo", "1", Secret(SENTINEL_SECRET), api_host=f"http://127.0.0.1:{closed_port()}"
    )
    transport = make_transport(creds)
    with pytest.raises(NetworkError) as info:
        transport.request("GET", "/ping", idempotent=True)
    assert "connection refused" in str(info.value)
    assert "gave up after 5 attempts" in str(info.value)
    assert len(sleeps) == 4
    sleeps.clear()
    with pytest.raises(NetworkError, match="connection refused"):
        transport.request("POST", "/upload_presets", json={"name": "x"}, idempotent=False)
    assert sleeps == []


def test_tls_failure_not_retried_and_hints_ca_bundle(
    tls_stub: StubServer, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    creds = Credentials("demo", "1", Secret(SENTINEL_SECRET), api_host=tls_stub.url)
    with pytest.raises(NetworkError) as info:
        make_transport(creds).request("GET", "/ping", idempotent=True)
    assert "TLS verification failed for 127.0.0.1" in str(info.value)
    assert "REQUESTS_CA_BUNDLE" in str(info.value)
    assert sleeps == []
    assert tls_stub.connections == 1


def test_raw_reset_and_truncation_on_get_are_retried(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    stub.script(
        Reply(action="reset"), Reply(body={"a": "b" * 50}, action="truncate"), Reply(body={"ok": 1})
    )
    response = make_transport(stub_creds).request("GET", "/ping", idempotent=True)
    assert response.json == {"ok": 1}
    assert response.attempts == 3
    assert response.after_ambiguous_failure
    assert len(sleeps) == 2


def test_read_timeout_message(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(body={}, delay=0.5)
    transport = make_transport(stub_creds, timeout=(1.0, 0.1), retry=RetryPolicy(max_attempts=1))
    with pytest.raises(NetworkError, match=r"within 0.1 s \(the request time limit, --timeout\)$"):
        transport.request("GET", "/ping", idempotent=True)


def test_call_counters(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.script(Reply(status=500), Reply(body={}), Reply(body={"message": "x"}))
    transport = make_transport(stub_creds)
    transport.request("GET", "/ping", idempotent=True)
    transport.request("PUT", "/upload_presets/a", json={}, idempotent=True)
    transport.request(
        "POST", "/image/upload", files=[("a", (None, "b"))], auth=False, idempotent=False
    )
    calls = transport.calls
    assert calls.total == 3
    assert dict(calls.by_method) == {"GET": 2, "PUT": 1}


def test_get_preset_body_must_name_the_preset(
    stub: StubServer, stub_creds: Credentials, make_transport: MakeTransport
) -> None:
    stub.default = Reply(body={"name": "someone-else", "settings": {}})
    with pytest.raises(BadResponse, match="returned a body without its name"):
        AdminApi(make_transport(stub_creds)).get_preset("mine")
