"""Upload bodies streamed from disk: memory does not grow with the file.

An upload is ``multipart/form-data``: the text fields, then the file part. Instead of
building that body in memory (the whole file, plus a copy), :class:`MultipartBody` knows
its exact length up front and hands requests a reader that yields the fields, then the
file's bytes read from disk in blocks, then the closing boundary. A chunk of a chunked
upload is the same body over one byte range of the file.

:class:`UploadContent` is what is uploaded: bytes in memory, or an open file read at
offsets. A file is watched while it goes: every read must return the bytes asked for,
and its size, modification time and inode are compared before each chunk and at the end
(a file that changes or disappears mid-upload is an error naming it, never a silently
mixed asset).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from urllib3.fields import RequestField
from urllib3.filepost import choose_boundary

from cloudinary_presets.errors import UploadSourceError

#: Bytes read from the file per block while a body streams.
READ_BLOCK = 256 * 1024


class UploadContent:
    """What an upload sends as its ``file`` part: a size, a name, bytes at offsets."""

    name: str = "file"  # the multipart file name
    shown: str = "the file"  # how messages name it (a path as given)
    size: int = 0

    def read_at(self, offset: int, count: int) -> bytes:
        raise NotImplementedError

    def head(self, count: int = 64) -> bytes:
        """The first bytes (for format detection)."""
        return self.read_at(0, min(count, self.size))

    def check_unchanged(self) -> None:
        """Raise :class:`UploadSourceError` if the source changed since it was opened."""

    def close(self) -> None:
        """Release what the content holds open."""

    def __enter__(self) -> UploadContent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BytesContent(UploadContent):
    """Bytes already in memory."""

    def __init__(self, data: bytes, name: str = "file") -> None:
        self._data = bytes(data)
        self.name = self.shown = name
        self.size = len(self._data)

    def read_at(self, offset: int, count: int) -> bytes:
        return self._data[offset : offset + count]


@dataclass(frozen=True)
class _Identity:
    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, result: os.stat_result) -> _Identity:
        return cls(result.st_size, result.st_mtime_ns, result.st_ino, result.st_dev)


class FileContent(UploadContent):
    """A regular file, open for reading, read at offsets (several chunks never share a
    file position). ``path``, when known, is checked too: a file replaced or deleted by
    name is noticed even though the open handle still reads the old bytes."""

    def __init__(
        self, handle: IO[bytes], shown: str, path: str | None = None, *, owns: bool = True
    ) -> None:
        self._handle = handle
        self._owns = owns
        self._fd = handle.fileno()
        self.shown = shown
        self._path = path
        self.name = os.path.basename(shown.replace("\\", "/")) or "file"
        status = os.fstat(self._fd)
        if not stat.S_ISREG(status.st_mode):
            raise UploadSourceError(
                f"{shown}: not a regular file; only regular files can be uploaded"
            )
        self._start = handle.tell()
        self._identity = _Identity.of(status)
        self.size = max(0, status.st_size - self._start)
        self._lock = threading.Lock()

    def read_at(self, offset: int, count: int) -> bytes:
        try:
            if hasattr(os, "pread"):
                return os.pread(self._fd, count, self._start + offset)
            with self._lock:  # pragma: no cover - Windows has no pread
                self._handle.seek(self._start + offset)
                return self._handle.read(count)
        except OSError as exc:
            raise UploadSourceError(
                f"{self.shown}: cannot read it while uploading: {exc.strerror or exc}"
            ) from None

    def check_unchanged(self) -> None:
        try:
            now = _Identity.of(os.fstat(self._fd))
        except OSError as exc:  # pragma: no cover - an open descriptor stays valid
            raise UploadSourceError(f"{self.shown}: cannot check it: {exc}") from None
        if now != self._identity:
            raise _changed(self.shown, "changed")
        if self._path is None:
            return
        try:
            named = _Identity.of(os.stat(self._path))
        except FileNotFoundError:
            raise _changed(self.shown, "disappeared") from None
        except OSError as exc:
            raise UploadSourceError(f"{self.shown}: cannot check it: {exc.strerror}") from None
        if (named.inode, named.device) != (now.inode, now.device):
            raise _changed(self.shown, "was replaced")

    def close(self) -> None:
        if self._owns:
            self._handle.close()


class SeekableContent(UploadContent):
    """A seekable binary file object without a file descriptor (``io.BytesIO``, ...)."""

    def __init__(self, handle: IO[bytes], name: str = "file") -> None:
        self._handle = handle
        self.name = self.shown = name
        self._start = handle.tell()
        self.size = handle.seek(0, os.SEEK_END) - self._start
        handle.seek(self._start)
        self._lock = threading.Lock()

    def read_at(self, offset: int, count: int) -> bytes:
        with self._lock:
            self._handle.seek(self._start + offset)
            data = self._handle.read(count)
        if not isinstance(data, bytes):
            raise UploadSourceError(f"{self.name}: file objects must be opened in binary mode")
        return data


def _changed(shown: str, how: str) -> UploadSourceError:
    return UploadSourceError(
        f"{shown} {how} while it was being uploaded: what Cloudinary received may mix old "
        "and new bytes",
        hint="upload it again once nothing writes to it",
    )


# --------------------------------------------------------------------------- the body


def _field(name: str, value: str) -> bytes:
    part = RequestField(name=name, data=value)
    part.make_multipart()
    return part.render_headers().encode("utf-8") + value.encode("utf-8") + b"\r\n"


class MultipartBody:
    """``multipart/form-data``: ``fields``, then ``count`` bytes of ``content`` from
    ``offset`` as the ``file`` part (none without content), encoded as requests and
    urllib3 encode it."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        content: UploadContent | None,
        *,
        filename: str = "file",
        offset: int = 0,
        count: int | None = None,
    ) -> None:
        self._boundary = choose_boundary()
        delimiter = f"--{self._boundary}\r\n".encode("latin-1")
        parts = [delimiter + _field(name, value) for name, value in fields]
        self._content = content or BytesContent(b"")
        self._offset = offset
        self._count = self._content.size - offset if count is None else count
        if content is not None:
            file_part = RequestField(name="file", data=b"", filename=filename)
            file_part.make_multipart(content_type="application/octet-stream")
            parts.append(delimiter + file_part.render_headers().encode("utf-8"))
            self._tail = f"\r\n--{self._boundary}--\r\n".encode("latin-1")
        else:
            self._tail = f"--{self._boundary}--\r\n".encode("latin-1")
        self._head = b"".join(parts)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self._boundary}"

    @property
    def length(self) -> int:
        return len(self._head) + self._count + len(self._tail)

    def open(self) -> _BodyReader:
        """A fresh reader from the first byte (one per attempt)."""
        return _BodyReader(self._head, self._content, self._offset, self._count, self._tail)


class _BodyReader:
    """What requests streams: ``read(n)``, ``__iter__`` and ``__len__`` (no ``tell``: requests
    would subtract the position from the length a second time)."""

    def __init__(
        self, head: bytes, content: UploadContent, offset: int, count: int, tail: bytes
    ) -> None:
        self._pieces: list[bytes] = [head]
        self._content = content
        self._next = offset
        self._left = count
        self._tail: bytes | None = tail
        self._remaining = len(head) + count + len(tail)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._remaining
        out: list[bytes] = []
        wanted = size
        while wanted > 0:
            if not self._pieces and not self._refill():
                break
            piece = self._pieces[0]
            if len(piece) <= wanted:
                out.append(self._pieces.pop(0))
                wanted -= len(piece)
            else:
                out.append(piece[:wanted])
                self._pieces[0] = piece[wanted:]
                wanted = 0
        data = b"".join(out)
        self._remaining -= len(data)
        return data

    def _refill(self) -> bool:
        if self._left > 0:
            count = min(self._left, READ_BLOCK)
            block = self._content.read_at(self._next, count)
            if len(block) != count:
                raise _changed(self._content.shown, "shrank")
            self._next += count
            self._left -= count
            self._pieces.append(block)
            return True
        if self._tail is not None:
            self._pieces.append(self._tail)
            self._tail = None
            return True
        return False

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(READ_BLOCK):
            yield block

    def __len__(self) -> int:
        return self._remaining

    def close(self) -> None:
        self._pieces.clear()
