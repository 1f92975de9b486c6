"""Fault injection: every kind, every selection mode, seeds, and "after" commits."""

from __future__ import annotations

import email.utils
import time

import cloudinary.api as api
import pytest
import requests
from cloudinary.exceptions import GeneralError, RateLimited

from cloudinary_presets.emulator import Emulator, FaultRule

CREATE = "/v1_1/*/upload_presets"


def _create(client, name: str, **kwargs: object) -> requests.Response:
    return client.admin("POST", "/upload_presets", json={"name": name}, **kwargs)


def _names(emu: Emulator) -> list[object]:
    return [p["name"] for p in emu.presets("demo")]


def test_status_before_is_not_processed(emu: Emulator, client) -> None:
    emu.set_faults(
        [{"kind": "status", "status": 503, "method": "POST", "path": CREATE, "retry_after": 2.5}]
    )
    response = _create(client, "p")
    assert response.status_code == 503
    assert response.json() == {"error": {"message": "Injected fault: HTTP 503"}}
    assert response.headers["Retry-After"] == "3"
    assert response.headers["X-FeatureRateLimit-Limit"] == "2000"
    assert _names(emu) == []
    stats = emu.stats()
    assert stats["faults_injected"] == 1
    assert stats["writes"] == 0
    assert stats["requests"]["POST /upload_presets"] == 1
    assert emu.quota("demo")["remaining"] == 2000  # never reached the API


def test_status_after_commits_the_write(emu: Emulator, client) -> None:
    emu.set_faults(
        [FaultRule(kind="status", when="after", status=500, method="POST", message="boom")]
    )
    response = _create(client, "p")
    assert (response.status_code, response.json()) == (500, {"error": {"message": "boom"}})
    assert _names(emu) == ["p"]
    assert emu.stats()["writes"] == 1


def test_rate_limit_fault_headers_and_the_sdk(sdk: Emulator, client) -> None:
    sdk.set_faults([{"kind": "status", "status": 420, "reset_seconds": 30, "count": 1}])
    with pytest.raises(RateLimited, match="Rate Limit Exceeded"):
        api.upload_presets()
    sdk.set_faults([{"kind": "status", "status": 429, "reset_seconds": 30, "count": 1}])
    before = time.time()
    response = client.admin("GET", "/upload_presets", auth=("k", "s"))
    assert response.status_code == 429
    assert response.headers["X-FeatureRateLimit-Remaining"] == "0"
    reset = email.utils.parsedate_to_datetime(response.headers["X-FeatureRateLimit-Reset"])
    assert before + 28 <= reset.timestamp() <= before + 32
    assert api.upload_presets()["presets"] == []  # count=1: the next call passes


@pytest.mark.parametrize("when", ["before", "after"])
def test_reset_closes_without_a_response(emu: Emulator, client, when: str) -> None:
    emu.set_faults([{"kind": "reset", "when": when, "method": "POST"}])
    with pytest.raises(requests.ConnectionError):
        _create(client, "p")
    assert _names(emu) == ([] if when == "before" else ["p"])
    assert client.admin("GET", "/upload_presets").status_code == 200  # the server lives on


@pytest.mark.parametrize("when", ["before", "after"])
def test_truncate_breaks_the_body(emu: Emulator, client, when: str) -> None:
    emu.set_faults([{"kind": "truncate", "when": when, "method": "POST"}])
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _create(client, "p")
    assert _names(emu) == ([] if when == "before" else ["p"])


def test_truncate_seen_by_the_sdk_is_a_general_error(sdk: Emulator) -> None:
    sdk.set_faults([{"kind": "truncate", "method": "GET"}])
    with pytest.raises(GeneralError, match="Unexpected error"):
        api.upload_presets()


def test_latency_beyond_the_read_timeout(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "latency", "when": "after", "latency_ms": 400, "method": "POST"}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        _create(client, "slow", timeout=(2, 0.1))
    assert _names(emu) == ["slow"]  # "after": processed before the delay


def test_latency_without_timeout_only_delays(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "latency", "latency_ms": 150, "jitter_ms": 50}])
    started = time.monotonic()
    assert client.admin("GET", "/upload_presets").status_code == 200
    assert 0.15 <= time.monotonic() - started < 2


def test_latency_and_a_terminal_fault_combine(emu: Emulator, client) -> None:
    emu.set_faults(
        [
            {"kind": "latency", "latency_ms": 100},
            {"kind": "status", "status": 502},
            {"kind": "status", "status": 504},
        ]
    )
    started = time.monotonic()
    response = client.admin("GET", "/upload_presets")
    assert response.status_code == 502  # the first terminal rule in list order wins
    assert time.monotonic() - started >= 0.1
    assert emu.stats()["faults_injected"] == 2


def _statuses(client, n: int) -> list[int]:
    return [client.admin("GET", "/ping").status_code for _ in range(n)]


def test_nth_selects_indexes_among_matching_requests(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "status", "status": 503, "path": "/v1_1/*/ping", "nth": [2, 4]}])
    client.admin("GET", "/upload_presets")  # does not match the rule: not counted by it
    assert _statuses(client, 5) == [200, 503, 200, 503, 200]


def test_count_selects_the_first_n(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "status", "status": 500, "count": 2}])
    assert _statuses(client, 4) == [500, 500, 200, 200]


def test_no_selector_hits_every_matching_request_and_method_filters(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "status", "status": 500, "method": "DELETE"}])
    assert _statuses(client, 3) == [200, 200, 200]
    _create(client, "p")
    assert client.admin("DELETE", "/upload_presets/p").status_code == 500
    assert client.admin("DELETE", "/upload_presets/p").status_code == 500
    assert _names(emu) == ["p"]


def test_rate_is_reproducible_with_a_seed(emu: Emulator, client) -> None:
    rule = {"kind": "status", "status": 503, "rate": 0.5}
    runs = []
    for seed in (42, 42, 7):
        emu.set_faults([rule], seed=seed)
        runs.append(_statuses(client, 30))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert 5 < runs[0].count(503) < 25


def test_rate_extremes(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "status", "status": 503, "rate": 0.0}])
    assert _statuses(client, 5) == [200] * 5
    emu.set_faults([{"kind": "status", "status": 503, "rate": 1.0}])
    assert _statuses(client, 5) == [503] * 5


def test_control_endpoints_are_never_faulted(emu: Emulator, client) -> None:
    emu.set_faults([{"kind": "status", "status": 500}])
    assert client.control("GET", "/stats").status_code == 200
    assert client.control("DELETE", "/faults").status_code == 200
    assert client.admin("GET", "/ping").status_code == 200


def test_faults_over_http(emu: Emulator, client) -> None:
    body = {"rules": [{"kind": "status", "status": 503, "nth": [1]}], "seed": 42}
    response = client.control("POST", "/faults", json=body)
    assert response.status_code == 200
    assert response.json()["seed"] == 42
    assert response.json()["rules"][0]["nth"] == [1]
    assert client.control("GET", "/faults").json()["rules"][0]["status"] == 503
    assert _statuses(client, 2) == [503, 200]
    assert client.control("DELETE", "/faults").json() == {"rules": [], "seed": None}
    bad = client.control("POST", "/faults", json={"rules": [{"kind": "explode"}]})
    assert bad.status_code == 400
    assert "explode" in bad.json()["error"]["message"]


def test_faults_on_uploads_are_counted_per_cloud(emu: Emulator, client, files) -> None:
    emu.set_faults([{"kind": "status", "status": 500, "path": "/v1_1/*/image/upload"}])
    assert client.upload({}, files.png()).status_code == 500
    stats = emu.stats()
    assert stats["by_cloud"]["demo"]["faults_injected"] == 1
    assert stats["uploads"] == 0
    assert emu.assets("demo") == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "explode"}, "fault kind"),
        ({"kind": "status", "rate": 0.5, "count": 1}, "one of rate, nth, count"),
        ({"kind": "status", "nth": [0]}, "1-based"),
        ({"kind": "status", "rate": 2}, "between 0 and 1"),
        ({"kind": "status", "when": "during"}, "'before' or 'after'"),
        ({"kind": "status", "method": "PATCH"}, "fault method"),
        ({"kind": "latency"}, "latency_ms"),
        ({"kind": "status", "bogus": 1}, "unknown fault rule key"),
        ({"status": 500}, "needs a 'kind'"),
    ],
)
def test_invalid_rules(emu: Emulator, rule: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        emu.set_faults([rule])
