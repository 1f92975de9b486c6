"""The client against the emulator: paging, every retry path under injected faults,
create reconciliation, error mapping, quota bookkeeping and uploads."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import cloudinary.utils
import pytest
from client_helpers import MakeTransport, Sleeps

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.cloudinary.upload_api import UploadApi
from cloudinary_presets.errors import (
    AlreadyExists,
    AuthenticationError,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    UsageError,
)
from wire_forms import form_fields

LIST = "/v1_1/demo/upload_presets"
ONE = "/v1_1/demo/upload_presets/*"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def requests_of(emu: Any, key: str) -> int:
    return int(emu.stats()["requests"][key])


def body(name: str, folder: str = "f") -> dict[str, Any]:
    return {"name": name, "unsigned": False, "folder": folder, "tags": "a,b"}


def same_folder(folder: str) -> Any:
    return lambda preset: preset.get("settings", {}).get("folder") == folder


@pytest.fixture
def admin(emu_creds: Credentials, make_transport: MakeTransport) -> AdminApi:
    return AdminApi(make_transport(emu_creds))


# --------------------------------------------------------------------------- paging


def test_paging_1234_presets_in_three_calls(emu: Any, admin: AdminApi) -> None:
    emu.seed_presets("demo", [{"name": f"p{i:04d}", "folder": "x"} for i in range(1234)])
    presets = admin.list_presets()
    assert len(presets) == 1234
    assert {p["name"] for p in presets} == {f"p{i:04d}" for i in range(1234)}
    assert requests_of(emu, "GET /upload_presets") == 3
    assert admin.transport.calls.total == 3
    pages = [len(page) for page in admin.iter_preset_pages(page_size=500)]
    assert pages == [500, 500, 234]


def test_empty_account(admin: AdminApi) -> None:
    assert admin.list_presets() == []


# --------------------------------------------------------------------------- retry paths


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500, "count": 2},
        {"kind": "status", "status": 503, "count": 2},
        {"kind": "status", "status": 502, "nth": [1, 2]},
        {"kind": "reset", "count": 2},
        {"kind": "reset", "when": "after", "count": 2},
        {"kind": "truncate", "when": "after", "count": 2},
        {"kind": "truncate", "count": 2},
    ],
)
def test_get_retries_through_faults(
    emu: Any, admin: AdminApi, sleeps: Sleeps, fault: dict[str, Any]
) -> None:
    emu.seed_presets("demo", [body("p1")])
    emu.set_faults([{**fault, "method": "GET", "path": ONE}], seed=1)
    preset = admin.get_preset("p1")
    assert preset["name"] == "p1"
    assert len(sleeps) == 2
    assert requests_of(emu, "GET /upload_presets/{name}") == 3


def test_rate_faults_on_listing(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.seed_presets("demo", [{"name": f"p{i:04d}"} for i in range(60)])
    emu.set_faults(
        [{"kind": "status", "status": 503, "method": "GET", "path": LIST, "rate": 0.4}], seed=3
    )
    assert len(admin.list_presets(page_size=10)) == 60
    assert requests_of(emu, "GET /upload_presets") == 6 + len(sleeps)


def test_persistent_5xx_gives_up(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.set_faults([{"kind": "status", "status": 503, "path": "/v1_1/demo/ping"}])
    with pytest.raises(ServerError) as info:
        admin.ping()
    assert info.value.status == 503
    assert "gave up after 5 attempts" in str(info.value)
    assert requests_of(emu, "GET /ping") == 5
    assert len(sleeps) == 4


def test_501_is_not_retried(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.set_faults([{"kind": "status", "status": 501, "path": "/v1_1/demo/ping"}])
    with pytest.raises(ServerError):
        admin.ping()
    assert requests_of(emu, "GET /ping") == 1
    assert sleeps == []


def test_retry_after_is_honoured(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.set_faults(
        [{"kind": "status", "status": 503, "retry_after": 2, "count": 1, "path": "/v1_1/demo/ping"}]
    )
    admin.ping()
    assert sleeps == [2.0]


@pytest.mark.parametrize("status", [420, 429])
def test_rate_limit_burst_with_reset_header(
    emu: Any, admin: AdminApi, sleeps: Sleeps, status: int
) -> None:
    emu.set_faults(
        [
            {
                "kind": "status",
                "status": status,
                "reset_seconds": 3,
                "count": 2,
                "path": "/v1_1/demo/ping",
            }
        ]
    )
    admin.ping()
    assert len(sleeps) == 2
    # The reset header is an HTTP-date (whole seconds): the wait is about 3 s.
    assert all(1.5 <= s <= 3.5 for s in sleeps), sleeps


def test_rate_limit_burst_with_retry_after(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.set_faults(
        [{"kind": "status", "status": 429, "retry_after": 1, "count": 3, "path": "/v1_1/demo/ping"}]
    )
    admin.ping()
    assert sleeps == [1.0, 1.0, 1.0]


def test_latency_beyond_read_timeout_is_retried(
    emu: Any, emu_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    emu.seed_presets("demo", [body("slow")])
    emu.set_faults(
        [{"kind": "latency", "latency_ms": 600, "count": 1, "method": "GET", "path": ONE}]
    )
    admin = AdminApi(make_transport(emu_creds, timeout=(2.0, 0.2)))
    assert admin.get_preset("slow")["name"] == "slow"
    assert len(sleeps) == 1


def test_read_timeout_on_every_attempt(
    emu: Any, emu_creds: Credentials, make_transport: MakeTransport
) -> None:
    emu.set_faults([{"kind": "latency", "latency_ms": 400, "path": "/v1_1/demo/ping"}])
    retry = RetryPolicy(max_attempts=2, base_delay=0.01, budget=5)
    transport = make_transport(emu_creds, timeout=(2.0, 0.1), retry=retry)
    with pytest.raises(
        NetworkError, match=r"within 0.1 s .*\n.*gave up after 2 attempts in .*: the limit of 2"
    ):
        AdminApi(transport).ping()


def test_quota_exhausted_maps_to_rate_limited(emu: Any, admin: AdminApi) -> None:
    emu.set_quota("demo", 10, 0)
    with pytest.raises(RateLimited) as info:
        admin.list_presets()
    error = info.value
    assert error.status == 420
    assert error.reset_at is not None
    assert error.reset_at > datetime.now(timezone.utc)
    assert admin.transport.quota.remaining == 0
    assert admin.transport.quota.limit == 10


def test_quota_headers_recorded(emu: Any, admin: AdminApi) -> None:
    emu.set_quota("demo", 100, 50)
    assert not admin.transport.quota.observed
    admin.ping()
    quota = admin.transport.quota
    assert quota.observed
    assert quota.limit == 100
    assert quota.remaining in (49, 50)
    assert quota.reset_at is not None
    assert quota.reset_at > datetime.now(timezone.utc)
    remaining = quota.remaining
    admin.list_presets()
    assert admin.transport.quota.remaining == remaining - 1
    assert admin.transport.calls.total == 2
    assert dict(admin.transport.calls.by_method) == {"GET": 2}


def test_parallel_calls_share_one_transport(emu: Any, admin: AdminApi) -> None:
    emu.seed_presets("demo", [body(f"p{i}") for i in range(16)])
    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(lambda i: admin.get_preset(f"p{i}")["name"], range(16)))
    assert names == [f"p{i}" for i in range(16)]
    assert admin.transport.calls.total == 16
    assert requests_of(emu, "GET /upload_presets/{name}") == 16


# --------------------------------------------------------------------------- writes


def test_crud_round_trip(emu: Any, admin: AdminApi) -> None:
    created = admin.create_preset(body("p1"), same=same_folder("f"))
    assert not created.reconciled
    assert created.attempts == 1
    assert created.response.get("name") == "p1"
    assert admin.get_preset("p1")["settings"]["folder"] == "f"
    admin.update_preset("p1", {"unsigned": False, "folder": "g"})
    assert admin.get_preset("p1")["settings"]["folder"] == "g"
    deleted = admin.delete_preset("p1")
    assert not deleted.reconciled
    with pytest.raises(NotFound) as info:
        admin.get_preset("p1")
    assert info.value.status == 404
    assert info.value.request_id
    assert emu.presets("demo") == []


def test_post_is_never_blindly_retried(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.set_faults([{"kind": "status", "status": 503, "method": "POST", "path": LIST}])
    with pytest.raises(ServerError):
        admin.transport.request("POST", "/upload_presets", json=body("p1"), idempotent=False)
    assert requests_of(emu, "POST /upload_presets") == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "reset", "when": "after"},
        {"kind": "truncate", "when": "after"},
        {"kind": "status", "status": 503, "when": "after"},
        {"kind": "latency", "when": "after", "latency_ms": 600},
    ],
)
def test_lost_create_response_is_reconciled_without_duplicate(
    emu: Any,
    emu_creds: Credentials,
    make_transport: MakeTransport,
    fault: dict[str, Any],
) -> None:
    admin = AdminApi(make_transport(emu_creds, timeout=(2.0, 0.3)))
    emu.set_faults([{**fault, "method": "POST", "path": LIST, "count": 1}])
    result = admin.create_preset(body("p1"), same=same_folder("f"))
    assert result.reconciled
    assert result.attempts == 1
    assert result.response["name"] == "p1"
    assert requests_of(emu, "POST /upload_presets") == 1
    assert [p["name"] for p in emu.presets("demo")] == ["p1"]


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "reset", "when": "before"},
        {"kind": "status", "status": 500, "when": "before"},
    ],
)
def test_create_lost_before_processing_is_posted_again(
    emu: Any, admin: AdminApi, sleeps: Sleeps, fault: dict[str, Any]
) -> None:
    emu.set_faults([{**fault, "method": "POST", "path": LIST, "count": 1}])
    result = admin.create_preset(body("p1"), same=same_folder("f"))
    assert not result.reconciled
    assert result.attempts == 2
    assert requests_of(emu, "POST /upload_presets") == 2
    assert requests_of(emu, "GET /upload_presets/{name}") == 1
    assert [p["name"] for p in emu.presets("demo")] == ["p1"]
    assert len(sleeps) == 1


def test_create_gives_up_when_it_never_lands(emu: Any, admin: AdminApi) -> None:
    emu.set_faults([{"kind": "status", "status": 503, "method": "POST", "path": LIST}])
    with pytest.raises(ServerError, match="still absent after 3 create attempts"):
        admin.create_preset(body("p1"), same=same_folder("f"))
    assert requests_of(emu, "POST /upload_presets") == 3


def test_create_conflict_same_settings_is_reconciled(emu: Any, admin: AdminApi) -> None:
    emu.seed_presets("demo", [body("p1")])
    result = admin.create_preset(body("p1"), same=same_folder("f"))
    assert result.reconciled
    assert len(emu.presets("demo")) == 1


def test_create_conflict_different_settings(emu: Any, admin: AdminApi) -> None:
    emu.seed_presets("demo", [body("p1", folder="theirs")])
    with pytest.raises(AlreadyExists) as info:
        admin.create_preset(body("p1"), same=same_folder("f"))
    assert "preset 'p1' exists with different settings (created outside this apply?)" in str(
        info.value
    )
    assert info.value.status == 409


def test_create_409_but_absent_raises(emu: Any, admin: AdminApi) -> None:
    emu.set_faults([{"kind": "status", "status": 409, "method": "POST", "path": LIST}])
    with pytest.raises(AlreadyExists):
        admin.create_preset(body("p1"), same=same_folder("f"))
    assert requests_of(emu, "POST /upload_presets") == 1


def test_create_reconcile_read_fails_too(emu: Any, admin: AdminApi) -> None:
    emu.set_faults(
        [
            {"kind": "reset", "when": "after", "method": "POST", "path": LIST},
            {"kind": "status", "status": 503, "method": "GET", "path": ONE},
        ]
    )
    with pytest.raises(ServerError, match="outcome is unknown"):
        admin.create_preset(body("p1"), same=same_folder("f"))


def test_create_needs_a_name(admin: AdminApi) -> None:
    with pytest.raises(UsageError):
        admin.create_preset({"folder": "x"}, same=lambda p: True)


def test_update_is_retried(emu: Any, admin: AdminApi, sleeps: Sleeps) -> None:
    emu.seed_presets("demo", [body("p1")])
    emu.set_faults([{"kind": "reset", "when": "after", "method": "PUT", "path": ONE, "count": 1}])
    admin.update_preset("p1", {"unsigned": False, "folder": "g"})
    assert admin.get_preset("p1")["settings"]["folder"] == "g"
    assert requests_of(emu, "PUT /upload_presets/{name}") == 2


def test_lost_delete_response_counts_as_deleted(emu: Any, admin: AdminApi) -> None:
    emu.seed_presets("demo", [body("p1")])
    emu.set_faults(
        [{"kind": "reset", "when": "after", "method": "DELETE", "path": ONE, "count": 1}]
    )
    result = admin.delete_preset("p1")
    assert result.reconciled
    assert emu.presets("demo") == []
    assert requests_of(emu, "DELETE /upload_presets/{name}") == 2


def test_plain_delete_404_raises(emu: Any, admin: AdminApi) -> None:
    with pytest.raises(NotFound) as info:
        admin.delete_preset("nope")
    assert info.value.method == "DELETE"
    assert info.value.path == "/v1_1/demo/upload_presets/nope"


def test_delete_404_after_rate_limit_is_still_not_found(emu: Any, admin: AdminApi) -> None:
    emu.set_faults(
        [
            {
                "kind": "status",
                "status": 429,
                "retry_after": 0,
                "count": 1,
                "method": "DELETE",
                "path": ONE,
            }
        ]
    )
    with pytest.raises(NotFound):
        admin.delete_preset("nope")


# --------------------------------------------------------------------------- auth and errors


def test_wrong_secret_is_authentication_error(
    emu: Any, emu_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    wrong = Credentials(
        emu_creds.cloud_name,
        emu_creds.api_key,
        Secret("Wrong-Secret-123"),
        api_host=emu_creds.api_host,
    )
    with pytest.raises(AuthenticationError) as info:
        AdminApi(make_transport(wrong)).list_presets()
    assert info.value.status == 401
    assert info.value.cloudinary_message
    assert "check the API key and secret" in str(info.value)
    assert sleeps == []


def test_unknown_cloud(emu: Any, emu_creds: Credentials, make_transport: MakeTransport) -> None:
    other = Credentials(
        "nocloud", emu_creds.api_key, emu_creds.api_secret, api_host=emu_creds.api_host
    )
    with pytest.raises((AuthenticationError, NotFound)):
        AdminApi(make_transport(other)).ping()


def test_get_missing_preset(admin: AdminApi) -> None:
    with pytest.raises(NotFound) as info:
        admin.get_preset("missing one")
    assert info.value.path == "/v1_1/demo/upload_presets/missing%20one"
    assert info.value.cloudinary_message


# --------------------------------------------------------------------------- uploads


def test_signed_upload(emu: Any, emu_creds: Credentials, make_transport: MakeTransport) -> None:
    uploads = UploadApi(make_transport(emu_creds))
    result = uploads.upload(
        PNG, {"tags": ["a", "b"], "folder": "up", "overwrite": True}, signed=True
    )
    assert result.get("public_id")
    assert emu.stats()["uploads"] == 1
    assert admin_calls(emu) == 0


def admin_calls(emu: Any) -> int:
    return int(emu.stats()["admin_calls"])


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_signed_upload_uses_the_configured_algorithm(
    algorithm: str,
    emu: Any,
    emu_creds: Credentials,
    make_transport: MakeTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The emulator accepts SHA-1 and SHA-256 alike, so its acceptance proves nothing about
    the algorithm: the signature on the wire must be the SDK's for the configured one."""
    creds = Credentials(
        emu_creds.cloud_name,
        emu_creds.api_key,
        emu_creds.api_secret,
        api_host=emu_creds.api_host,
        signature_algorithm=algorithm,  # type: ignore[arg-type]
    )
    sent: list[dict[str, str]] = []
    original = Transport.request

    def spy(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        sent.append(dict(form_fields(kwargs["body"])))
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(Transport, "request", spy)
    result = UploadApi(make_transport(creds)).upload(PNG, {"context": "a=b&c"}, signed=True)
    assert result["public_id"]
    [fields] = sent
    signature = fields.pop("signature")
    assert fields.pop("api_key") == emu_creds.api_key
    assert emu_creds.api_secret is not None
    secret = emu_creds.api_secret.reveal()
    assert signature == cloudinary.utils.api_sign_request(fields, secret, algorithm)
    other = "sha1" if algorithm == "sha256" else "sha256"
    assert signature != cloudinary.utils.api_sign_request(fields, secret, other)


def test_unsigned_upload(
    emu: Any, admin: AdminApi, emu_creds: Credentials, make_transport: MakeTransport
) -> None:
    admin.create_preset(
        {"name": "open", "unsigned": True, "allowed_formats": "png"}, same=lambda p: True
    )
    keyonly = Credentials(
        emu_creds.cloud_name, emu_creds.api_key, None, api_host=emu_creds.api_host
    )
    uploads = UploadApi(make_transport(keyonly))
    result = uploads.upload(PNG, {"upload_preset": "open"}, signed=False, filename="one.png")
    assert result.get("public_id")
    with pytest.raises(UsageError, match="needs an API secret"):
        uploads.upload(PNG, {"upload_preset": "open"}, signed=True)
    with pytest.raises(UsageError, match="needs an upload_preset"):
        uploads.upload(PNG, {}, signed=False)
    assert emu.stats()["requests"]["POST /{resource_type}/upload"] == 1


def test_upload_argument_checks(emu_creds: Credentials, make_transport: MakeTransport) -> None:
    uploads = UploadApi(make_transport(emu_creds))
    with pytest.raises(UsageError, match="resource_type"):
        uploads.upload(PNG, {}, resource_type="pdf", signed=True)
    with pytest.raises(UsageError, match="may not set signature, timestamp"):
        uploads.upload(PNG, {"timestamp": 1, "signature": "x"}, signed=True)
    with pytest.raises(UsageError, match="remote URL"):
        uploads.upload("/etc/passwd", {}, signed=True)
    with pytest.raises(UsageError, match="encode structured values"):
        uploads.upload(PNG, {"context": {"a": "b"}}, signed=True)


def test_stale_signature_hints_clock_skew(
    emu: Any, emu_creds: Credentials, make_transport: MakeTransport, sleeps: Sleeps
) -> None:
    uploads = UploadApi(make_transport(emu_creds), clock=lambda: time.time() - 7200)
    with pytest.raises(AuthenticationError) as info:
        uploads.upload(PNG, {"folder": "x"}, signed=True)
    text = str(info.value)
    assert "Stale request" in text
    assert "s ahead of the server's" not in text
    assert "behind the server's" in text
    assert "sync the clock" in text
    assert sleeps == []


def test_error_mapping_from_emulator(
    emu: Any, admin: AdminApi, emu_creds: Credentials, make_transport: MakeTransport
) -> None:
    emu.seed_presets("demo", [body("taken")])
    with pytest.raises(AlreadyExists) as conflict:
        admin.transport.request("POST", "/upload_presets", json=body("taken"), idempotent=False)
    with pytest.raises(NotFound) as missing:
        admin.transport.request("GET", "/upload_presets/nope", idempotent=True)
    wrong = Credentials("demo", emu_creds.api_key, Secret("Wrong-Secret-9"), api_host=emu.url)
    with pytest.raises(AuthenticationError) as denied:
        make_transport(wrong).request("GET", "/ping", idempotent=True)
    emu.set_quota("demo", 5, 0)
    with pytest.raises(RateLimited) as limited:
        admin.transport.request("PUT", "/upload_presets/taken", json={}, idempotent=False)
    for info, status in ((conflict, 409), (missing, 404), (denied, 401), (limited, 420)):
        error = info.value
        assert error.status == status
        assert error.cloudinary_message
        assert error.request_id
        assert f"HTTP {status}: {error.cloudinary_message}" in str(error)


def test_file_object_upload(
    emu: Any, emu_creds: Credentials, make_transport: MakeTransport
) -> None:
    handle = io.BytesIO(b"hello raw world")
    handle.name = "/tmp/dir/notes.txt"
    result = UploadApi(make_transport(emu_creds)).upload(
        handle, {"use_filename": True}, resource_type="raw", signed=True
    )
    assert result["resource_type"] == "raw"
    assert result["original_filename"] == "notes"
    assert emu.stats()["uploads"] == 1
