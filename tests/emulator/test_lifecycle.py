"""Starting, stopping, persistence, isolation, loopback refusal and concurrency."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import cloudinary
import cloudinary.api as api
import pytest
import requests

from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount, Emulator

OTHER = CloudAccount(name="other", api_key="200000000000002", api_secret="other-secret")


def test_demo_cloud_constant() -> None:
    assert (
        CloudAccount(name="demo", api_key="100000000000001", api_secret="demo-emulator-secret")
        == DEMO_CLOUD
    )
    assert "demo-emulator-secret" not in repr(DEMO_CLOUD)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="allow_remote=True"):
        Emulator(host=host)


def test_allow_remote_lifts_the_refusal() -> None:
    """The same address is refused without ``allow_remote`` and accepted with it: the
    emulator is built and works (its state, without binding: no test listens on anything
    but loopback), and stops for good."""
    with pytest.raises(ValueError, match=r"refusing to listen on '0\.0\.0\.0'"):
        Emulator(host="0.0.0.0")
    emulator = Emulator(host="0.0.0.0", allow_remote=True)
    try:
        assert emulator.seed_presets("demo", [{"name": "p", "folder": "f"}]) == ["p"]
        assert [p["name"] for p in emulator.presets("demo")] == ["p"]
    finally:
        emulator.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        emulator.start()


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_other_loopback_spellings(host: str, make_client) -> None:
    try:
        emulator = Emulator(host=host).start()
    except OSError:  # pragma: no cover - no IPv6 loopback in this environment
        pytest.skip(f"cannot bind {host}")
    with emulator:
        assert emulator.url.startswith(("http://localhost:", "http://[::1]:"))
        assert make_client(emulator).admin("GET", "/ping").json() == {"status": "ok"}


def test_urls_and_startup_lines() -> None:
    with Emulator(clouds=[DEMO_CLOUD, OTHER]) as emulator:
        url = emulator.url
        assert url == f"http://127.0.0.1:{emulator.port}"
        expected_demo = (
            f"cloudinary://100000000000001:demo-emulator-secret@demo?upload_prefix={url}"
        )
        assert emulator.cloudinary_url("demo") == expected_demo
        assert emulator.cloudinary_url() == expected_demo
        assert emulator.startup_lines() == [
            f"CLOUDINARY_URL={expected_demo}",
            f"CLOUDINARY_URL=cloudinary://200000000000002:other-secret@other?upload_prefix={url}",
            f"listening on {url}",
        ]
        with pytest.raises(ValueError, match="unknown cloud 'nope'"):
            emulator.cloudinary_url("nope")


def test_the_sdk_works_from_cloudinary_url(monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator() as emulator:
        monkeypatch.setenv("CLOUDINARY_URL", emulator.cloudinary_url("demo"))
        monkeypatch.delenv("CLOUDINARY_CLOUD_NAME", raising=False)
        cloudinary.reset_config()
        try:
            assert api.ping() == {"status": "ok"}
        finally:
            monkeypatch.delenv("CLOUDINARY_URL")
            cloudinary.reset_config()
            cloudinary.api_client.call_api._http.clear()


def test_each_emulator_is_independent(make_client) -> None:
    with Emulator() as first, Emulator() as second:
        make_client(first).admin("POST", "/upload_presets", json={"name": "only-here"})
        assert [p["name"] for p in first.presets("demo")] == ["only-here"]
        assert second.presets("demo") == []
        assert second.stats()["requests"]["POST /upload_presets"] == 0


def test_a_file_database_survives_a_restart(tmp_path: Path, files, make_client) -> None:
    path = tmp_path / ".presets" / "emulator.sqlite"  # the parent is created
    hour = int(time.time() // 3600)
    with Emulator(path) as first:
        client = make_client(first)
        client.admin("POST", "/upload_presets", json={"name": "kept", "folder": "f"})
        uploaded = client.upload({"public_id": "pic"}, files.png(note="kept")).json()
        first.set_quota("demo", remaining=5)
    moved = CloudAccount(name="demo", api_key="100000000000001", api_secret="rotated")
    with Emulator(path, clouds=[moved, OTHER]) as second:
        assert [p["settings"] for p in second.presets("demo")] == [{"folder": "f"}]
        if int(time.time() // 3600) == hour:  # quota usage is per clock hour
            assert second.quota("demo")["remaining"] == 5
        old = make_client(second).admin("GET", "/upload_presets/kept")
        assert old.status_code == 401  # the upserted secret replaced the old one
        new = make_client(second, moved).admin("GET", "/upload_presets/kept")
        assert new.json()["settings"] == {"folder": "f"}
        assert make_client(second, OTHER).admin("GET", "/ping").status_code == 200
        delivered = client.get(uploaded["secure_url"].replace(first.url, second.url)).content
        assert delivered == files.png(note="kept")


def test_a_database_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema', '0')")
    db.commit()
    db.close()
    with pytest.raises(ValueError, match="delete the file"):
        Emulator(path)


def test_stop_is_idempotent_and_final(make_client) -> None:
    emulator = Emulator().start()
    client = make_client(emulator)
    assert client.admin("GET", "/ping").status_code == 200  # a keep-alive connection is open
    emulator.stop()
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        client.admin("GET", "/ping")
    with pytest.raises(RuntimeError, match="stopped"):
        emulator.start()


def test_serve_forever_blocks_until_stopped(make_client) -> None:
    emulator = Emulator()
    url = emulator.url  # binds, so the address is known before serving
    thread = threading.Thread(target=emulator.serve_forever)
    thread.start()
    try:
        assert make_client(emulator).admin("GET", "/ping").status_code == 200
        assert url == emulator.url
    finally:
        emulator.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_concurrent_creates_lose_and_duplicate_nothing(emu: Emulator, make_client) -> None:
    errors: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        client = make_client(emu)
        for n in range(10):
            named = client.admin("POST", "/upload_presets", json={"name": f"w{index}-{n}"})
            contested = client.admin("POST", "/upload_presets", json={"name": f"shared-{n}"})
            generated = client.admin("POST", "/upload_presets", json={"folder": "x"})
            with lock:
                statuses.append(contested.status_code)
                if named.status_code != 200 or generated.status_code != 200:
                    errors.append(f"{named.status_code} {generated.status_code}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(set(statuses)) == [200, 409]
    assert statuses.count(200) == 10  # each shared name was created exactly once
    names = [p["name"] for p in emu.presets("demo")]
    assert len(names) == len(set(names)) == 8 * 10 + 10 + 8 * 10
    assert emu.stats()["writes"] == len(names)


def test_seeding_thousands_and_listing_them_all(sdk: Emulator) -> None:
    started = time.monotonic()
    names = sdk.seed_presets("demo", [{"name": f"bulk-{i:04d}", "tags": "t"} for i in range(3000)])
    assert len(names) == 3000
    assert time.monotonic() - started < 5
    seen: list[str] = []
    cursor = None
    while True:
        page = api.upload_presets(max_results=500, **({"next_cursor": cursor} if cursor else {}))
        seen += [p["name"] for p in page["presets"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert sorted(seen) == sorted(names)
    assert sdk.stats()["requests"]["GET /upload_presets"] == 6
    assert sdk.stats()["presets"] == {"demo": 3000}


def test_seed_presets_validates_like_create(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="preset body 1: Invalid transformation"):
        emu.seed_presets("demo", [{"name": "ok"}, {"name": "bad", "transformation": "zz_1"}])
    emu.seed_presets("demo", [{"name": "ok"}])
    with pytest.raises(ValueError, match="already exists"):
        emu.seed_presets("demo", [{"name": "ok"}])
    with pytest.raises(ValueError, match="twice"):
        emu.seed_presets("demo", [{"name": "a"}, {"name": "a"}])
    with pytest.raises(ValueError, match="unknown cloud"):
        emu.seed_presets("nope", [])
    assert [p["name"] for p in emu.presets("demo")] == ["ok"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Demo", "api_key": "1", "api_secret": "s"}, "lowercase"),
        ({"name": "d", "api_key": "1:2", "api_secret": "s"}, "api_key"),
        ({"name": "d", "api_key": "1", "api_secret": ""}, "api_secret"),
    ],
)
def test_cloud_account_validation(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CloudAccount(**kwargs)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="at least one cloud"):
        Emulator(clouds=[])
    with pytest.raises(ValueError, match="duplicate cloud names"):
        Emulator(clouds=[DEMO_CLOUD, DEMO_CLOUD])
    with pytest.raises(ValueError, match="quota_per_hour"):
        Emulator(quota_per_hour=-1)


def test_the_emulator_imports_nothing_of_the_project_but_the_shared_rule() -> None:
    import ast

    import cloudinary_presets.emulator as package

    allowed = ("cloudinary_presets.emulator", "cloudinary_presets.model.moderation_rule")
    allowed_exact = ("cloudinary_presets._version",)
    offenders = []
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.split(".")[0] != "cloudinary_presets":
                    continue
                if name in allowed_exact or name.startswith(allowed):
                    continue
                offenders.append(f"{path.name}: {name}")
    assert offenders == []
