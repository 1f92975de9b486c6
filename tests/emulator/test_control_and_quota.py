"""The /_emulator control API, the stats document, reset, and the hourly quota."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import cloudinary.api as api
import pytest
from cloudinary.exceptions import RateLimited

from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount, Emulator
from cloudinary_presets.emulator.messages import Request
from cloudinary_presets.emulator.net import is_loopback_host
from cloudinary_presets.emulator.routes import route
from cloudinary_presets.emulator.server import Dispatcher

OTHER = CloudAccount(name="other", api_key="200000000000002", api_secret="other-secret")


def test_stats_document(emu: Emulator, client, files) -> None:
    client.admin("POST", "/upload_presets", json={"name": "p"})
    client.admin("POST", "/upload_presets", json={"name": "p"})  # 409: counted, not a write
    client.admin("GET", "/upload_presets")
    client.admin("GET", "/upload_presets/p")
    client.admin("PUT", "/upload_presets/p", json={"folder": "f"})
    client.admin("DELETE", "/upload_presets/p")
    client.admin("GET", "/ping")
    uploaded = client.upload({"moderation": "manual"}, files.png()).json()
    client.admin("GET", f"/resources/image/upload/{uploaded['public_id']}")
    client.admin("GET", f"/resources/{uploaded['asset_id']}")
    client.admin("GET", "/resources/image/moderations/manual/pending")
    client.admin("POST", f"/resources/image/upload/{uploaded['public_id']}", json={})
    client.control("GET", "/presets/demo")  # control calls are not counted
    stats = client.control("GET", "/stats").json()
    assert stats == emu.stats()
    assert stats["requests"] == {
        "GET /upload_presets": 1,
        "GET /upload_presets/{name}": 1,
        "POST /upload_presets": 2,
        "PUT /upload_presets/{name}": 1,
        "DELETE /upload_presets/{name}": 1,
        "GET /ping": 1,
        "POST /{resource_type}/upload": 1,
        "GET /resources/{resource_type}/{type}/{public_id}": 1,
        "POST /resources/{resource_type}/{type}/{public_id}": 1,
        "GET /resources/{resource_type}/moderations/{kind}/{status}": 1,
        "GET /resources/{asset_id}": 1,
        "other": 0,
    }
    # resource calls are Admin API calls (metered); preset writes only count as writes
    assert (stats["admin_calls"], stats["writes"], stats["uploads"]) == (11, 3, 1)
    assert stats["faults_injected"] == 0
    assert stats["by_cloud"]["demo"]["writes"] == 3
    assert stats["quota"]["demo"]["limit"] == 2000
    assert stats["quota"]["demo"]["remaining"] == 2000 - 11
    assert stats["presets"] == {"demo": 0}


def test_stats_by_cloud(make_client) -> None:
    with Emulator(clouds=[DEMO_CLOUD, OTHER]) as emu:
        make_client(emu).admin("GET", "/ping")
        other = make_client(emu, OTHER)
        other.admin("POST", "/upload_presets", json={"name": "x"})
        other.admin("GET", "/ping", cloud="unknown")  # unknown clouds: totals only
        stats = emu.stats()
        assert stats["admin_calls"] == 3
        assert stats["by_cloud"]["demo"]["admin_calls"] == 1
        assert stats["by_cloud"]["other"]["writes"] == 1
        assert set(stats["by_cloud"]) == {"demo", "other"}
        assert stats["presets"] == {"demo": 0, "other": 1}


def test_reset_forgets_state_but_keeps_clouds(emu: Emulator, client, files) -> None:
    client.admin("POST", "/upload_presets", json={"name": "p"})
    client.upload({}, files.png())
    emu.register_labels(files.png(), labels=[{"name": "Drugs", "confidence": 99}])
    emu.set_faults([{"kind": "latency", "latency_ms": 1, "method": "PUT"}])
    emu.set_quota("demo", limit=50, remaining=3)
    emu.set_addons("demo", [])
    emu.configure(put_semantics="merge", moderation_timing="sync", moderation_delay=1)
    emu.set_signature_algorithm("demo", "sha256")
    assert client.control("POST", "/reset").json() == {"message": "reset"}
    assert emu.settings() == {  # the constructor's switches again
        "put_semantics": "replace",
        "moderation_timing": "async",
        "moderation_delay": 0.05,
    }
    assert emu.presets("demo") == []
    assert emu.assets("demo") == []
    assert emu.faults() == {"rules": [], "seed": None}
    assert emu.stats()["admin_calls"] == 0
    assert emu.quota("demo")["limit"] == 2000
    assert emu.quota("demo")["remaining"] == 2000
    emu.configure(moderation_timing="sync")  # decisions in the response: about labels here
    moderated = client.upload({"moderation": "aws_rek"}, files.png()).json()
    assert moderated["moderation_status"] == "approved"  # labels and add-on limits are gone
    assert client.admin("GET", "/ping").status_code == 200  # the cloud is still there


def test_control_quota_addons_presets_assets_and_seed(emu: Emulator, client, files) -> None:
    quota = client.control("POST", "/quota", json={"cloud": "demo", "limit": 10, "remaining": 4})
    assert (quota.json()["limit"], quota.json()["remaining"]) == (10, 4)
    addons = client.control("POST", "/addons", json={"cloud": "demo", "enabled": ["webpurify"]})
    assert addons.json() == {"cloud": "demo", "enabled": ["webpurify"]}
    seeded = client.control(
        "POST", "/seed", json={"cloud": "demo", "presets": [{"name": "s1"}, {}]}
    )
    names = seeded.json()["names"]
    assert names[0] == "s1"
    assert len(names) == 2
    assert [p["name"] for p in client.control("GET", "/presets/demo").json()] == names
    client.upload({"public_id": "a"}, files.png())
    assert [a["public_id"] for a in client.control("GET", "/assets/demo").json()] == ["a"]
    dropped = client.admin("POST", "/upload_presets", json={"name": "m", "moderation": "aws_rek"})
    assert dropped.status_code == 200
    assert client.admin("GET", "/upload_presets/m").json()["settings"] == {}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/nothing", None, 404),
        ("POST", "/quota", {"limit": 3}, 400),
        ("POST", "/quota", {"cloud": "nope", "limit": 3}, 400),
        ("POST", "/quota", {"cloud": "demo", "remaining": 5000}, 400),
        ("POST", "/addons", {"cloud": "demo", "enabled": "aws_rek"}, 400),
        ("POST", "/faults", {"rules": "all"}, 400),
        ("GET", "/presets/nope", None, 400),
        ("POST", "/labels", {"labels": []}, 400),
    ],
)
def test_control_errors(
    emu: Emulator, client, method: str, path: str, body: object, status: int
) -> None:
    response = client.control(method, path, json=body)
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_control_body_must_be_json(emu: Emulator, client) -> None:
    response = client.control("POST", "/quota", data=b"cloud=demo")
    assert response.status_code == 400


def test_the_control_api_refuses_remote_clients(emu: Emulator) -> None:
    # the project's test guard allows loopback sockets only, so the remote client is
    # simulated one layer down: the dispatcher sees the peer address the server saw
    dispatcher = Dispatcher(emu._service, emu._faults, emu)
    for host, status in (("192.0.2.7", 403), ("::ffff:10.1.2.3", 403), ("127.0.0.1", 200)):
        request = Request("GET", "/_emulator/stats", "", {}, b"", client_host=host)
        response = dispatcher.control(request, route("GET", "/_emulator/stats"))
        assert response.status == status, host
    assert emu.stats()["admin_calls"] == 0


def test_loopback_detection() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "localhost", "[::1]", "::ffff:127.0.0.1"):
        assert is_loopback_host(host), host
    for host in ("0.0.0.0", "10.0.0.1", "::", "example.com", "", "::ffff:10.0.0.1"):
        assert not is_loopback_host(host), host


class TestQuota:
    @pytest.fixture
    def small(self) -> Iterator[Emulator]:
        with Emulator(quota_per_hour=3) as emulator:
            yield emulator

    def test_exhaustion_is_420_with_zero_remaining(
        self, small: Emulator, make_client, files
    ) -> None:
        client = make_client(small)
        assert client.admin("GET", "/upload_presets", auth=("x", "y")).status_code == 401
        remaining = [
            client.admin("GET", "/ping").headers["X-FeatureRateLimit-Remaining"] for _ in range(3)
        ]
        assert remaining == ["2", "1", "0"]
        limited = client.admin("POST", "/upload_presets", json={"name": "late"})
        assert limited.status_code == 420
        assert limited.json() == {"error": {"message": "Rate Limit Exceeded"}}
        assert limited.headers["X-FeatureRateLimit-Limit"] == "3"
        assert limited.headers["X-FeatureRateLimit-Remaining"] == "0"
        reset = email.utils.parsedate_to_datetime(limited.headers["X-FeatureRateLimit-Reset"])
        assert reset.timestamp() == (int(time.time()) // 3600 + 1) * 3600
        assert small.presets("demo") == []
        assert client.upload({}, files.png()).status_code == 200  # uploads are not metered
        assert small.quota("demo")["remaining"] == 0

    def test_the_sdk_sees_rate_limited(self, sdk: Emulator) -> None:
        sdk.set_quota("demo", remaining=1)
        assert api.ping().rate_limit_remaining == 0
        with pytest.raises(RateLimited, match="Rate Limit Exceeded"):
            api.upload_presets()

    def test_set_quota_limit_only_keeps_usage(self, emu: Emulator, client) -> None:
        client.admin("GET", "/ping")
        emu.set_quota("demo", limit=5)
        assert emu.quota("demo")["remaining"] == 4
        with pytest.raises(ValueError, match="between 0 and the limit"):
            emu.set_quota("demo", remaining=6)
        with pytest.raises(ValueError, match="unknown cloud"):
            emu.set_quota("nope", limit=1)
