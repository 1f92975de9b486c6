"""Chunked uploads: ``X-Unique-Upload-Id`` + ``Content-Range``, as ``upload_large`` sends them.

Why: files over 100 MB must be uploaded in chunks (reference section 10). Each chunk is
a normal upload request (signed, with every parameter) carrying ``X-Unique-Upload-Id``
(the same for all chunks) and ``Content-Range: bytes START-END/TOTAL``. The Python SDK
sends the total on every chunk; the Node.js SDK sends ``-1`` until the last one. The
intermediate chunks are answered with Cloudinary's non-final chunk response (api-schemas
``non_final_chunk_upload_response``: ``done: false`` and the bytes received so far); the
chunk that completes the file gets the whole upload result.

The chunks are kept in SQLite, not in memory, and assembled into the asset's blob one
chunk at a time. Nothing is ever silently truncated: a chunk that overlaps another one
(unless it is the very same chunk sent again), a range that disagrees with the chunk's
size or with an earlier total, and a last chunk that arrives while bytes before it are
missing are errors that say which bytes.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from cloudinary_presets.emulator.http_error import bad_request
from cloudinary_presets.emulator.source import Source
from cloudinary_presets.emulator.store import Store

_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|-1|\*)\s*$", re.IGNORECASE)
_SESSION = "cloud = ? AND upload_id = ?"


@dataclass(frozen=True)
class ChunkRange:
    start: int
    end: int  # inclusive, as in Content-Range
    total: int | None  # None: not declared ("-1" or "*")


def parse_range(header: str) -> ChunkRange:
    """``bytes 0-999/3000`` -> ChunkRange(0, 999, 3000); a 400 for anything else."""
    match = _RANGE.match(header)
    if match is None:
        raise bad_request(
            f"Invalid Content-Range header {header!r}: expected 'bytes START-END/TOTAL'"
        )
    start, end = int(match.group(1)), int(match.group(2))
    total = int(match.group(3)) if match.group(3) not in ("-1", "*") else None
    if end < start or (total is not None and end >= total):
        raise bad_request(f"Invalid Content-Range header {header!r}: the range is not in the file")
    return ChunkRange(start, end, total)


@dataclass(frozen=True)
class Progress:
    """Where a chunked upload stands after a chunk: bytes received, the declared total
    (once known) and the byte ranges still missing before the last chunk."""

    received: int
    total: int | None
    missing: tuple[tuple[int, int], ...] = ()

    @property
    def complete(self) -> bool:
        return self.total is not None and self.received == self.total


def _missing(ranges: list[tuple[int, int]], end: int) -> tuple[tuple[int, int], ...]:
    gaps: list[tuple[int, int]] = []
    position = 0
    for start, stop in sorted(ranges):
        if start > position:
            gaps.append((position, start - 1))
        position = max(position, stop + 1)
    if position < end:
        gaps.append((position, end - 1))
    return tuple(gaps)


def receive(store: Store, cloud: str, upload_id: str, span: ChunkRange, data: bytes) -> Progress:
    """Keep one chunk (a 400 for a bad or overlapping one); where the upload now stands.

    A chunk whose range ends the file while bytes before it are missing is kept (so the
    upload completes once they arrive) and answered with a 400 naming the missing bytes.
    """
    if len(data) != span.end - span.start + 1:
        raise bad_request(
            f"Content-Range bytes {span.start}-{span.end} announce"
            f" {span.end - span.start + 1} bytes but the chunk has {len(data)}"
        )
    with store.transaction() as db:
        rows = db.execute(
            f"SELECT start, end_byte, total FROM upload_chunks WHERE {_SESSION} ORDER BY start",
            (cloud, upload_id),
        ).fetchall()
        totals = {int(row[2]) for row in rows if row[2] is not None}
        if span.total is not None:
            totals.add(span.total)
        if len(totals) > 1:
            raise bad_request(
                f"Chunked upload {upload_id}: Content-Range totals disagree"
                f" ({', '.join(str(t) for t in sorted(totals))} bytes)"
            )
        total = next(iter(totals), None)
        ranges = [(int(row[0]), int(row[1])) for row in rows]
        if total is not None and any(stop >= total for _, stop in [*ranges, (0, span.end)]):
            raise bad_request(
                f"Chunked upload {upload_id}: bytes beyond the declared total of {total}"
            )
        if not _same_chunk_again(db, cloud, upload_id, span, data, ranges):
            db.execute(
                "INSERT INTO upload_chunks (cloud, upload_id, start, end_byte, total, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (cloud, upload_id, span.start, span.end, span.total, data),
            )
            ranges.append((span.start, span.end))
    received = sum(stop - start + 1 for start, stop in ranges)
    missing = _missing(ranges, total) if total is not None else ()
    progress = Progress(received, total, missing)
    if total is not None and span.end == total - 1 and missing:
        shown = ", ".join(f"{a}-{b}" for a, b in missing)
        raise bad_request(
            f"Chunked upload {upload_id} is incomplete: bytes {shown} of {total} were never"
            " received (this chunk was kept; the upload completes when they arrive)"
        )
    return progress


def _same_chunk_again(
    db: sqlite3.Connection,
    cloud: str,
    upload_id: str,
    span: ChunkRange,
    data: bytes,
    ranges: list[tuple[int, int]],
) -> bool:
    """True for a retry of a chunk already kept; a 400 for any other overlap."""
    for start, stop in ranges:
        if start > span.end or stop < span.start:
            continue
        if (start, stop) == (span.start, span.end):
            (same,) = db.execute(
                f"SELECT data = ? FROM upload_chunks WHERE {_SESSION} AND start = ?",
                (data, cloud, upload_id, start),
            ).fetchone()
            if same:
                return True
        raise bad_request(
            f"Chunked upload {upload_id}: bytes {span.start}-{span.end} overlap bytes"
            f" {start}-{stop} already received"
        )
    return False


def pieces(store: Store, cloud: str, upload_id: str) -> Iterator[tuple[int, bytes]]:
    """The stored chunks in order, ``(offset, bytes)``, read one at a time."""
    starts = store.read(
        f"SELECT start FROM upload_chunks WHERE {_SESSION} ORDER BY start", (cloud, upload_id)
    )
    for (start,) in starts:
        rows = store.read(
            f"SELECT data FROM upload_chunks WHERE {_SESSION} AND start = ?",
            (cloud, upload_id, start),
        )
        data = rows[0][0] if rows else b""
        yield int(str(start)), data if isinstance(data, bytes) else b""


def assembled_source(store: Store, cloud: str, upload_id: str, filename: str) -> Source:
    """The completed upload as a Source (digested chunk by chunk; bytes stay stored)."""
    return Source.from_pieces(
        (data for _, data in pieces(store, cloud, upload_id)), filename, upload_id
    )


def store_assembled(
    store: Store,
    cloud: str,
    key: tuple[str, str],
    source: Source,
    info: dict[str, object],
) -> None:
    """Write the chunks into the asset (``key``: resource type, public id) and forget them."""
    upload_id = source.upload_id
    assert upload_id is not None

    def forget(db: sqlite3.Connection) -> None:
        db.execute(f"DELETE FROM upload_chunks WHERE {_SESSION}", (cloud, upload_id))

    store.put_asset_parts(
        cloud,
        key,
        source.sha256,
        source.size,
        info,
        lambda: pieces(store, cloud, upload_id),
        forget,
    )
