"""What an upload carries: the bytes (or where they are stored), their name and digests.

Why not just ``bytes``: a chunked upload (``upload_large``) can be larger than is wise to
hold in memory, so its chunks stay in the database and are assembled there; everything
after the transfer (format sniffing, the etag, moderation by sha256) only needs the
first bytes and the digests, which both kinds of source provide.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

#: how much of the start of a file the format sniffers see.
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Source:
    """The uploaded file: ``content`` in memory, or the ``upload_id`` of stored chunks."""

    filename: str
    size: int
    head: bytes
    sha256: str
    md5: str
    content: bytes | None = None
    upload_id: str | None = None

    @classmethod
    def from_bytes(cls, content: bytes, filename: str) -> Source:
        return cls(
            filename=filename,
            size=len(content),
            head=content[:HEAD_BYTES],
            sha256=hashlib.sha256(content).hexdigest(),
            md5=hashlib.md5(content, usedforsecurity=False).hexdigest(),
            content=content,
        )

    @classmethod
    def from_pieces(cls, pieces: Iterable[bytes], filename: str, upload_id: str) -> Source:
        """Digest stored chunks in order, one at a time (memory: one chunk)."""
        sha256 = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)
        head = bytearray()
        size = 0
        for piece in pieces:
            sha256.update(piece)
            md5.update(piece)
            if len(head) < HEAD_BYTES:
                head += piece[: HEAD_BYTES - len(head)]
            size += len(piece)
        return cls(
            filename, size, bytes(head), sha256.hexdigest(), md5.hexdigest(), None, upload_id
        )
