"""``Emulator``: one local Cloudinary, its lifecycle and its Python control API.

Why one facade: tests, benchmarks and the ``presets emulator`` command all need the
same few things (start on a free port, hand the SDK a ``CLOUDINARY_URL``, inject
faults, read counters, seed state, stop cleanly), and each ``Emulator`` must be fully
independent of the others running in the same process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from types import TracebackType

from cloudinary_presets.emulator.accounts import DEMO_CLOUD, CloudAccount
from cloudinary_presets.emulator.admin import new_preset, normalize
from cloudinary_presets.emulator.clock import http_date, iso_time
from cloudinary_presets.emulator.faults import FaultInjector, FaultRule
from cloudinary_presets.emulator.http_error import HttpError
from cloudinary_presets.emulator.moderation import ADDON_KINDS, normalize_labels
from cloudinary_presets.emulator.net import is_loopback_host
from cloudinary_presets.emulator.presets import list_form
from cloudinary_presets.emulator.quota import hour_of
from cloudinary_presets.emulator.server import Dispatcher, EmulatorHTTPServer
from cloudinary_presets.emulator.service import Service
from cloudinary_presets.emulator.settings import (
    DEFAULT_MODERATION_DELAY,
    SIGNATURE_ALGORITHMS,
    choice,
)
from cloudinary_presets.emulator.settings import build as build_settings
from cloudinary_presets.emulator.stats import Stats
from cloudinary_presets.emulator.store import CloudRecord, DuplicateName, Store

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Emulator:
    """A local Cloudinary Admin + Upload API on a loopback port, state in SQLite.

    The socket is bound on first need (``start``, ``serve_forever``, ``url``), so a
    caller can print :meth:`startup_lines` before blocking in :meth:`serve_forever`.
    """

    def __init__(
        self,
        db_path: str | PathLike[str] = ":memory:",
        clouds: Iterable[CloudAccount] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        quota_per_hour: int = 2000,
        allow_remote: bool = False,
        labels_file: str | PathLike[str] | None = None,
        put_semantics: str = "replace",
        moderation_timing: str = "async",
        moderation_delay: float = DEFAULT_MODERATION_DELAY,
    ) -> None:
        self._initial_settings = build_settings(put_semantics, moderation_timing, moderation_delay)
        if not allow_remote and not is_loopback_host(host):
            raise ValueError(
                f"refusing to listen on {host!r}: the emulator has no real security and binds"
                " to loopback (127.0.0.1, ::1, localhost) unless allow_remote=True"
            )
        if isinstance(quota_per_hour, bool) or quota_per_hour < 0:
            raise ValueError("quota_per_hour must be 0 or more")
        accounts = list(clouds) if clouds is not None else [DEMO_CLOUD]
        if not accounts:
            raise ValueError("the emulator needs at least one cloud account")
        names = [a.name for a in accounts]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate cloud names in {names}")
        self._accounts = accounts
        self._host = host
        self._port = port
        self._labels_file = Path(labels_file) if labels_file is not None else None
        path = str(db_path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._store = Store(path)
        try:
            self._store.upsert_clouds(accounts)
            self._stats = Stats()
            self._faults = FaultInjector()
            self._service = Service(
                self._store,
                self._stats,
                quota_per_hour,
                lambda: self.url,
                settings=self._initial_settings,
            )
            self._load_labels_file()
        except BaseException:
            self._store.close()
            raise
        self._lifecycle = threading.RLock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._loop_running = False
        self._stopped = False

    # ------------------------------------------------------------------ lifecycle

    def _bind(self) -> EmulatorHTTPServer:
        with self._lifecycle:
            if self._stopped:
                raise RuntimeError("this emulator was stopped; create a new one")
            if self._server is None:
                dispatcher = Dispatcher(self._service, self._faults, self)
                self._server = EmulatorHTTPServer((self._host, self._port), dispatcher)
            return self._server

    def start(self) -> Emulator:
        """Serve in a daemon thread; returns self (``Emulator(...).start()``)."""
        server = self._bind()
        self._service.moderation.start()
        with self._lifecycle:
            if self._thread is None and not self._loop_running:
                self._loop_running = True
                self._thread = threading.Thread(
                    target=self._run_loop,
                    args=(server, 0.02),  # stop() waits up to one poll: keep tests quick
                    name=f"emulator:{self.port}",
                    daemon=True,
                )
                self._thread.start()
        return self

    def _run_loop(self, server: EmulatorHTTPServer, poll_interval: float) -> None:
        try:
            server.serve_forever(poll_interval=poll_interval)
        finally:
            self._loop_running = False

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C is the caller's to catch)."""
        server = self._bind()
        self._service.moderation.start()
        with self._lifecycle:
            if self._loop_running:
                raise RuntimeError("the emulator is already serving")
            self._loop_running = True
        try:
            self._run_loop(server, 0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving, end open connections and close the database; idempotent."""
        with self._lifecycle:
            if self._stopped:
                return
            self._stopped = True
            server, thread = self._server, self._thread
        if server is not None:
            if self._loop_running:
                server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        self._service.moderation.stop()
        self._service.notifier.close()
        self._store.close()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not bound"
        return f"<Emulator {where} clouds={','.join(a.name for a in self._accounts)}>"

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        server = self._server or self._bind()  # still known after stop(), for messages
        return int(server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (the ``upload_prefix`` for the SDK)."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    @property
    def clouds(self) -> list[CloudAccount]:
        """The accounts this emulator was created with (the first is the default)."""
        return list(self._accounts)

    def cloudinary_url(self, cloud: str | None = None) -> str:
        """``cloudinary://key:secret@cloud?upload_prefix=http://127.0.0.1:PORT``."""
        return self._record(cloud or self._accounts[0].name).account.cloudinary_url(self.url)

    def startup_lines(self) -> list[str]:
        """What ``presets emulator`` prints: one CLOUDINARY_URL per cloud, then the address."""
        lines = [f"CLOUDINARY_URL={self.cloudinary_url(a.name)}" for a in self._accounts]
        lines.append(f"listening on {self.url}")
        return lines

    # ------------------------------------------------------------------ control API

    def _record(self, cloud: str) -> CloudRecord:
        record = self._store.cloud(cloud)
        if record is None:
            known = ", ".join(r.account.name for r in self._store.clouds())
            raise ValueError(f"unknown cloud {cloud!r} (this emulator serves: {known})")
        return record

    def set_faults(
        self, rules: Sequence[FaultRule | Mapping[str, object]], seed: int | None = None
    ) -> None:
        """Replace the fault rules (dicts or FaultRule); ``seed`` makes ``rate`` reproducible."""
        self._faults.set(rules, seed)

    def clear_faults(self) -> None:
        self._faults.clear()

    def faults(self) -> dict[str, object]:
        """The active rules and seed, as ``GET /_emulator/faults`` shows them."""
        return self._faults.describe()

    def quota(self, cloud: str) -> dict[str, object]:
        """``{"limit", "remaining", "reset"}`` for this hour (reset as an HTTP-date)."""
        limit, remaining, reset_at = self._service.quota_state(
            self._record(cloud), self._service.clock()
        )
        return {"limit": limit, "remaining": remaining, "reset": http_date(reset_at)}

    def stats(self) -> dict[str, object]:
        """Request counters, quota and preset counts (the JSON of ``GET /_emulator/stats``)."""
        data = self._stats.snapshot()
        clouds = [r.account.name for r in self._store.clouds()]
        data["quota"] = {name: self.quota(name) for name in clouds}
        data["presets"] = self._store.preset_counts()
        return data

    def reset(self) -> None:
        """Forget presets, assets, labels, counters, faults, quota usage, overrides and the
        notification history; switches return to the constructor's values.

        Clouds are kept; the ``labels_file`` given at construction is loaded again.
        """
        self._store.reset()
        self._stats.reset()
        self._faults.clear()
        self._service.settings = self._initial_settings
        self._service.signature_algorithms.clear()
        self._service.notifier.clear()
        self._load_labels_file()

    def register_labels(
        self,
        content: bytes | None = None,
        *,
        sha256: str | None = None,
        labels: list[dict[str, object]],
    ) -> str:
        """Set the Rekognition labels of some content (by bytes or sha256); returns the sha256."""
        if (content is None) == (sha256 is None):
            raise ValueError("register_labels needs exactly one of content or sha256")
        digest = hashlib.sha256(content).hexdigest() if content is not None else str(sha256).lower()
        if not _SHA256.match(digest):
            raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
        self._store.put_labels(digest, normalize_labels(labels))
        return digest

    def set_quota(self, cloud: str, limit: int | None = None, remaining: int | None = None) -> None:
        """Set a cloud's hourly limit and/or what is left of it this hour."""
        record = self._record(cloud)
        if limit is not None:
            if isinstance(limit, bool) or limit < 0:
                raise ValueError("quota limit must be 0 or more")
            self._store.set_quota_limit(cloud, limit)
        if remaining is not None:
            effective = limit if limit is not None else self._service.quota_limit(record)
            if isinstance(remaining, bool) or not 0 <= remaining <= effective:
                raise ValueError(f"remaining must be between 0 and the limit ({effective})")
            hour = hour_of(self._service.clock())
            self._store.set_quota_used(cloud, hour, effective - remaining)

    def set_addons(self, cloud: str, enabled: Sequence[str] | None) -> None:
        """Enable exactly these moderation add-ons for a cloud (None: all of them)."""
        self._record(cloud)
        if enabled is not None:
            unknown = sorted(set(enabled) - set(ADDON_KINDS) - {"manual"})
            if unknown:
                raise ValueError(
                    f"unknown add-on(s) {', '.join(unknown)}; known: {', '.join(ADDON_KINDS)}"
                )
            enabled = [name for name in enabled if name != "manual"]
        self._store.set_addons(cloud, enabled)

    # ------------------------------------------------------------------ switches

    def configure(
        self,
        *,
        put_semantics: str | None = None,
        moderation_timing: str | None = None,
        moderation_delay: float | None = None,
    ) -> dict[str, object]:
        """Switch readings of unverified Cloudinary behaviour (None: unchanged); returns
        all switches. Takes effect for the next request; ``reset()`` restores the
        constructor's values."""
        self._service.settings = self._service.settings.updated(
            {
                "put_semantics": put_semantics,
                "moderation_timing": moderation_timing,
                "moderation_delay": moderation_delay,
            }
        )
        return self.settings()

    def settings(self) -> dict[str, object]:
        """``{"put_semantics", "moderation_timing", "moderation_delay"}``."""
        return self._service.settings.to_dict()

    def set_signature_algorithm(self, cloud: str, algorithm: str) -> None:
        """Sign this cloud's notifications with ``sha1`` (the default) or ``sha256``."""
        self._record(cloud)
        self._service.signature_algorithms[cloud] = choice(
            "algorithm", algorithm, SIGNATURE_ALGORITHMS
        )

    def notifications(self, wait: float = 0.0) -> list[dict[str, object]]:
        """The notifications sent (or refused): URL, type, payload, outcome; oldest first.
        ``wait``: first wait up to that many seconds for queued ones to be attempted."""
        if wait:
            self._service.notifier.wait_idle(wait)
        return self._service.notifier.history()

    # ------------------------------------------------------------------ state

    def presets(self, cloud: str) -> list[dict[str, object]]:
        """The stored presets, raw (list form), in creation order. Not counted; no quota."""
        self._record(cloud)
        return [list_form(row) for row in self._store.presets(cloud)]

    def assets(self, cloud: str) -> list[dict[str, object]]:
        """Uploaded assets: the upload result of each (with the moderation decisions due
        by now), plus its ``sha256``."""
        self._record(cloud)
        self._service.moderation.settle()
        return [{**row.info, "sha256": row.sha256} for row in self._store.assets(cloud)]

    def seed_presets(self, cloud: str, bodies: Sequence[Mapping[str, object]]) -> list[str]:
        """Insert presets in bulk, bypassing HTTP; bodies are create bodies. Returns names."""
        record = self._record(cloud)
        addons = self._service.enabled_addons(record)
        rows = []
        for index, body in enumerate(bodies):
            try:
                rows.append(new_preset(normalize(cloud, dict(body), addons)))
            except HttpError as exc:
                raise ValueError(f"preset body {index}: {exc.message}") from None
        names = [row.name for row in rows]
        if len(set(names)) != len(names):
            raise ValueError("seed_presets: the same name appears twice")
        try:
            self._store.insert_presets(cloud, rows, iso_time(self._service.clock()))
        except DuplicateName:
            raise ValueError(
                "seed_presets: a preset with one of these names already exists"
            ) from None
        return names

    def _load_labels_file(self) -> None:
        if self._labels_file is None:
            return
        text = self._labels_file.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{self._labels_file}:{number}"
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("expected a JSON object")
                content = entry.get("content_base64")
                self.register_labels(
                    base64.b64decode(content, validate=True) if isinstance(content, str) else None,
                    sha256=entry.get("sha256"),
                    labels=entry.get("labels"),  # type: ignore[arg-type]  # validated inside
                )
            except (ValueError, binascii.Error) as exc:
                raise ValueError(f"{where}: {exc}") from None
