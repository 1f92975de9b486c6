"""The emulator's state in SQLite: clouds, presets, assets, labels and quota usage.

Why SQLite: the CLI's embedded emulator keeps its state in ``.presets/emulator.sqlite``
and a later process must see what an earlier one wrote, while tests want a throwaway
``:memory:`` database. One connection guarded by one lock makes the store safe for the
threaded HTTP server (an in-memory database cannot be shared between connections), and
every write runs in a ``BEGIN IMMEDIATE`` transaction so two processes sharing a file
serialise instead of interleaving. Tables added after schema 1 (moderation state, upload
chunks) are created when missing, so an older database file keeps working.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from cloudinary_presets.emulator.accounts import CloudAccount

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clouds (
    name TEXT PRIMARY KEY,
    api_key TEXT NOT NULL,
    api_secret TEXT NOT NULL,
    quota_limit INTEGER,
    addons TEXT
);
CREATE TABLE IF NOT EXISTS presets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    cloud TEXT NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT NOT NULL,
    unsigned INTEGER NOT NULL,
    settings TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (cloud, name)
);
CREATE INDEX IF NOT EXISTS presets_by_cloud ON presets (cloud, seq);
CREATE TABLE IF NOT EXISTS assets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    cloud TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    public_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    info TEXT NOT NULL,
    UNIQUE (cloud, resource_type, public_id)
);
CREATE TABLE IF NOT EXISTS labels (sha256 TEXT PRIMARY KEY, labels TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS moderations (
    cloud TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    public_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    chain TEXT NOT NULL,
    notification_url TEXT NOT NULL,
    due REAL,
    PRIMARY KEY (cloud, resource_type, public_id)
);
CREATE INDEX IF NOT EXISTS moderations_due ON moderations (due);
CREATE TABLE IF NOT EXISTS upload_chunks (
    cloud TEXT NOT NULL,
    upload_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    end_byte INTEGER NOT NULL,
    total INTEGER,
    data BLOB NOT NULL,
    PRIMARY KEY (cloud, upload_id, start)
);
CREATE TABLE IF NOT EXISTS quota_usage (
    cloud TEXT NOT NULL,
    hour INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (cloud, hour)
);
"""


class DuplicateName(Exception):
    """A preset with this name already exists in the cloud."""


@dataclass(frozen=True)
class CloudRecord:
    """A stored cloud: its account, its hourly quota override and its enabled add-ons."""

    account: CloudAccount
    quota_limit: int | None
    addons: tuple[str, ...] | None  # None = every add-on enabled


@dataclass(frozen=True)
class PresetRow:
    seq: int
    name: str
    external_id: str
    unsigned: bool
    settings: dict[str, object]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class NewPreset:
    name: str
    external_id: str
    unsigned: bool
    settings: dict[str, object]


@dataclass(frozen=True)
class ModerationState:
    """What the emulator keeps about an asset's moderation beyond its entries: the chain
    (to continue it later), where to notify, and when automatic moderators are due."""

    cloud: str
    resource_type: str
    public_id: str
    version: int
    chain: str
    notification_url: str
    due: float | None


@dataclass(frozen=True)
class AssetRow:
    resource_type: str
    public_id: str
    sha256: str
    content: bytes
    info: dict[str, object]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _settings(text: str) -> dict[str, object]:
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


class Store:
    """Thread-safe access to one SQLite database (a file path or ``:memory:``)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            with self._tx() as db:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None:
                    db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                elif row[0] != SCHEMA_VERSION:
                    raise ValueError(
                        f"{path}: emulator database schema {row[0]} is not {SCHEMA_VERSION};"
                        " delete the file to start afresh"
                    )
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction (for the modules that keep their own tables here)."""
        return self._tx()

    def read(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self._read(sql, args)

    # ------------------------------------------------------------------ clouds

    def upsert_clouds(self, accounts: Iterable[CloudAccount]) -> None:
        with self._tx() as db:
            for a in accounts:
                db.execute(
                    "INSERT INTO clouds (name, api_key, api_secret) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET api_key = excluded.api_key,"
                    " api_secret = excluded.api_secret",
                    (a.name, a.api_key, a.api_secret),
                )

    def cloud(self, name: str) -> CloudRecord | None:
        rows = self._read(
            "SELECT name, api_key, api_secret, quota_limit, addons FROM clouds WHERE name = ?",
            (name,),
        )
        return self._cloud(rows[0]) if rows else None

    def clouds(self) -> list[CloudRecord]:
        rows = self._read(
            "SELECT name, api_key, api_secret, quota_limit, addons FROM clouds ORDER BY name"
        )
        return [self._cloud(row) for row in rows]

    @staticmethod
    def _cloud(row: tuple[object, ...]) -> CloudRecord:
        name, key, secret, limit, addons = row
        account = CloudAccount(str(name), str(key), str(secret))
        enabled = tuple(json.loads(str(addons))) if addons is not None else None
        return CloudRecord(account, int(str(limit)) if limit is not None else None, enabled)

    def set_quota_limit(self, cloud: str, limit: int | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE clouds SET quota_limit = ? WHERE name = ?", (limit, cloud))

    def set_addons(self, cloud: str, enabled: Sequence[str] | None) -> None:
        value = _dumps(list(enabled)) if enabled is not None else None
        with self._tx() as db:
            db.execute("UPDATE clouds SET addons = ? WHERE name = ?", (value, cloud))

    # ------------------------------------------------------------------ quota

    def quota_used(self, cloud: str, hour: int) -> int:
        rows = self._read(
            "SELECT used FROM quota_usage WHERE cloud = ? AND hour = ?", (cloud, hour)
        )
        return int(str(rows[0][0])) if rows else 0

    def set_quota_used(self, cloud: str, hour: int, used: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO quota_usage (cloud, hour, used) VALUES (?, ?, ?)"
                " ON CONFLICT (cloud, hour) DO UPDATE SET used = excluded.used",
                (cloud, hour, used),
            )

    def spend_quota(self, cloud: str, hour: int, limit: int) -> int | None:
        """Spend one unit of this hour's quota: the units left after it, or None if none left."""
        with self._tx() as db:
            row = db.execute(
                "SELECT used FROM quota_usage WHERE cloud = ? AND hour = ?", (cloud, hour)
            ).fetchone()
            if row is None:
                db.execute("DELETE FROM quota_usage WHERE cloud = ? AND hour < ?", (cloud, hour))
                used = 0
            else:
                used = int(row[0])
            if used >= limit:
                return None
            db.execute(
                "INSERT INTO quota_usage (cloud, hour, used) VALUES (?, ?, ?)"
                " ON CONFLICT (cloud, hour) DO UPDATE SET used = excluded.used",
                (cloud, hour, used + 1),
            )
            return limit - used - 1

    # ------------------------------------------------------------------ presets

    _PRESET_COLUMNS = "seq, name, external_id, unsigned, settings, created_at, updated_at"

    @staticmethod
    def _preset(row: tuple[object, ...]) -> PresetRow:
        seq, name, external_id, unsigned, settings, created, updated = row
        return PresetRow(
            int(str(seq)),
            str(name),
            str(external_id),
            bool(unsigned),
            _settings(str(settings)),
            str(created),
            str(updated),
        )

    def page_presets(
        self, cloud: str, before_seq: int | None, limit: int
    ) -> tuple[list[PresetRow], bool]:
        """Newest first, starting below ``before_seq``; also whether more remain."""
        bound = before_seq if before_seq is not None else 2**62
        rows = self._read(
            f"SELECT {self._PRESET_COLUMNS} FROM presets WHERE cloud = ? AND seq < ?"
            " ORDER BY seq DESC LIMIT ?",
            (cloud, bound, limit + 1),
        )
        return [self._preset(r) for r in rows[:limit]], len(rows) > limit

    def presets(self, cloud: str) -> list[PresetRow]:
        """Every preset of a cloud, in creation order."""
        rows = self._read(
            f"SELECT {self._PRESET_COLUMNS} FROM presets WHERE cloud = ? ORDER BY seq", (cloud,)
        )
        return [self._preset(r) for r in rows]

    def preset(self, cloud: str, name: str) -> PresetRow | None:
        rows = self._read(
            f"SELECT {self._PRESET_COLUMNS} FROM presets WHERE cloud = ? AND name = ?",
            (cloud, name),
        )
        return self._preset(rows[0]) if rows else None

    def insert_presets(self, cloud: str, presets: Sequence[NewPreset], now: str) -> None:
        """Insert in order, in one transaction; a taken name raises DuplicateName."""
        try:
            with self._tx() as db:
                db.executemany(
                    "INSERT INTO presets (cloud, name, external_id, unsigned, settings,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            cloud,
                            p.name,
                            p.external_id,
                            int(p.unsigned),
                            _dumps(p.settings),
                            now,
                            now,
                        )
                        for p in presets
                    ],
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateName(str(exc)) from None

    def update_preset(
        self, cloud: str, name: str, unsigned: bool, settings: dict[str, object], now: str
    ) -> PresetRow | None:
        """Replace a preset's settings; None if it does not exist."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE presets SET unsigned = ?, settings = ?, updated_at = ?"
                " WHERE cloud = ? AND name = ?",
                (int(unsigned), _dumps(settings), now, cloud, name),
            )
            if cursor.rowcount == 0:
                return None
            row = db.execute(
                f"SELECT {self._PRESET_COLUMNS} FROM presets WHERE cloud = ? AND name = ?",
                (cloud, name),
            ).fetchone()
        return self._preset(row)

    def delete_preset(self, cloud: str, name: str) -> str | None:
        """Delete a preset; its external_id, or None if it did not exist."""
        with self._tx() as db:
            row = db.execute(
                "SELECT external_id FROM presets WHERE cloud = ? AND name = ?", (cloud, name)
            ).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM presets WHERE cloud = ? AND name = ?", (cloud, name))
        return str(row[0])

    def preset_counts(self) -> dict[str, int]:
        rows = self._read(
            "SELECT c.name, COUNT(p.seq) FROM clouds c LEFT JOIN presets p ON p.cloud = c.name"
            " GROUP BY c.name ORDER BY c.name"
        )
        return {str(name): int(str(count)) for name, count in rows}

    # ------------------------------------------------------------------ assets

    def asset(
        self, cloud: str, resource_type: str, public_id: str, *, with_content: bool = True
    ) -> AssetRow | None:
        """One asset; ``with_content=False`` leaves its bytes in the database."""
        column = "content" if with_content else "NULL"
        rows = self._read(
            f"SELECT resource_type, public_id, sha256, {column}, info FROM assets"
            " WHERE cloud = ? AND resource_type = ? AND public_id = ?",
            (cloud, resource_type, public_id),
        )
        return self._asset(rows[0]) if rows else None

    def asset_infos(
        self, cloud: str, resource_type: str | None = None
    ) -> list[tuple[int, AssetRow]]:
        """Every asset of a cloud (optionally of one type) without its bytes, oldest first,
        with its position (``seq``) for paging."""
        where, args = ("cloud = ?", [cloud])
        if resource_type is not None:
            where += " AND resource_type = ?"
            args.append(resource_type)
        rows = self._read(
            f"SELECT seq, resource_type, public_id, sha256, NULL, info FROM assets"
            f" WHERE {where} ORDER BY seq",
            args,
        )
        return [(int(str(row[0])), self._asset(row[1:])) for row in rows]

    def update_asset_info(
        self, cloud: str, resource_type: str, public_id: str, info: dict[str, object]
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE assets SET info = ?"
                " WHERE cloud = ? AND resource_type = ? AND public_id = ?",
                (_dumps(info), cloud, resource_type, public_id),
            )

    @staticmethod
    def _asset(row: tuple[object, ...]) -> AssetRow:
        resource_type, public_id, sha256, content, info = row
        blob = content if isinstance(content, bytes) else b""
        return AssetRow(str(resource_type), str(public_id), str(sha256), blob, _settings(str(info)))

    def put_asset(
        self,
        cloud: str,
        resource_type: str,
        public_id: str,
        sha256: str,
        content: bytes,
        info: dict[str, object],
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO assets (cloud, resource_type, public_id, sha256, content, info)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cloud, resource_type, public_id)"
                " DO UPDATE SET sha256 = excluded.sha256, content = excluded.content,"
                " info = excluded.info",
                (cloud, resource_type, public_id, sha256, content, _dumps(info)),
            )

    def put_asset_parts(
        self,
        cloud: str,
        key: tuple[str, str],
        sha256: str,
        size: int,
        info: dict[str, object],
        parts: Callable[[], Iterable[tuple[int, bytes]]],
        then: Callable[[sqlite3.Connection], None],
    ) -> None:
        """Store an asset assembled from ``(offset, bytes)`` parts, written into the row's
        blob one part at a time (memory: one part), then run ``then`` in the same
        transaction. ``key`` is ``(resource_type, public_id)``."""
        resource_type, public_id = key
        with self._tx() as db:
            db.execute(
                "INSERT INTO assets (cloud, resource_type, public_id, sha256, content, info)"
                " VALUES (?, ?, ?, ?, zeroblob(?), ?) ON CONFLICT (cloud, resource_type, public_id)"
                " DO UPDATE SET sha256 = excluded.sha256, content = excluded.content,"
                " info = excluded.info",
                (cloud, resource_type, public_id, sha256, size, _dumps(info)),
            )
            (seq,) = db.execute(
                "SELECT seq FROM assets WHERE cloud = ? AND resource_type = ? AND public_id = ?",
                (cloud, resource_type, public_id),
            ).fetchone()
            if sys.version_info >= (3, 11):
                with db.blobopen("assets", "content", seq) as blob:
                    for offset, data in parts():
                        blob.seek(offset)
                        blob.write(data)
            else:  # pragma: no cover - Python 3.10 has no incremental blob I/O
                buffer = bytearray(size)
                for offset, data in parts():
                    buffer[offset : offset + len(data)] = data
                db.execute("UPDATE assets SET content = ? WHERE seq = ?", (bytes(buffer), seq))
            then(db)

    def assets(self, cloud: str) -> list[AssetRow]:
        rows = self._read(
            "SELECT resource_type, public_id, sha256, content, info FROM assets"
            " WHERE cloud = ? ORDER BY seq",
            (cloud,),
        )
        return [self._asset(r) for r in rows]

    # ------------------------------------------------------------------ moderation state

    _MODERATION_COLUMNS = "cloud, resource_type, public_id, version, chain, notification_url, due"

    @staticmethod
    def _moderation(row: tuple[object, ...]) -> ModerationState:
        cloud, resource_type, public_id, version, chain, url, due = row
        return ModerationState(
            str(cloud),
            str(resource_type),
            str(public_id),
            int(str(version)),
            str(chain),
            str(url),
            float(str(due)) if due is not None else None,
        )

    def put_moderation(self, state: ModerationState) -> None:
        with self._tx() as db:
            db.execute(
                f"INSERT OR REPLACE INTO moderations ({self._MODERATION_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    state.cloud,
                    state.resource_type,
                    state.public_id,
                    state.version,
                    state.chain,
                    state.notification_url,
                    state.due,
                ),
            )

    def drop_moderation(self, cloud: str, resource_type: str, public_id: str) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM moderations WHERE cloud = ? AND resource_type = ? AND public_id = ?",
                (cloud, resource_type, public_id),
            )

    def moderation(self, cloud: str, resource_type: str, public_id: str) -> ModerationState | None:
        rows = self._read(
            f"SELECT {self._MODERATION_COLUMNS} FROM moderations"
            " WHERE cloud = ? AND resource_type = ? AND public_id = ?",
            (cloud, resource_type, public_id),
        )
        return self._moderation(rows[0]) if rows else None

    def due_moderations(self, now: float) -> list[ModerationState]:
        """States whose automatic moderators are due, earliest first."""
        rows = self._read(
            f"SELECT {self._MODERATION_COLUMNS} FROM moderations"
            " WHERE due IS NOT NULL AND due <= ? ORDER BY due",
            (now,),
        )
        return [self._moderation(row) for row in rows]

    def next_moderation_due(self) -> float | None:
        rows = self._read("SELECT MIN(due) FROM moderations WHERE due IS NOT NULL")
        value = rows[0][0] if rows else None
        return float(str(value)) if value is not None else None

    # ------------------------------------------------------------------ labels

    def put_labels(self, sha256: str, labels: list[dict[str, object]]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO labels (sha256, labels) VALUES (?, ?)"
                " ON CONFLICT (sha256) DO UPDATE SET labels = excluded.labels",
                (sha256, _dumps(labels)),
            )

    def labels(self, sha256: str) -> list[dict[str, object]]:
        rows = self._read("SELECT labels FROM labels WHERE sha256 = ?", (sha256,))
        if not rows:
            return []
        value = json.loads(str(rows[0][0]))
        return [dict(item) for item in value] if isinstance(value, list) else []

    # ------------------------------------------------------------------ reset

    def reset(self) -> None:
        """Forget presets, assets, labels, quota usage and per-cloud overrides; keep clouds."""
        with self._tx() as db:
            for table in (
                "presets",
                "assets",
                "labels",
                "quota_usage",
                "moderations",
                "upload_chunks",
            ):
                db.execute(f"DELETE FROM {table}")
            db.execute("UPDATE clouds SET quota_limit = NULL, addons = NULL")
