"""The filesystem boundary: every file the tool opens, creates or writes goes through here.

Why one module: the ways a file can fail are the same wherever one is touched (a FIFO
that blocks a read forever, ``/dev/zero`` that never ends, a folder where a file was
expected, a read-only checkout, bytes that are not UTF-8, a symbolic link that leaves
the project) and each must end as one :class:`~cloudinary_presets.errors.FileError`
that names the path and the reason: never a traceback, never a hang, and never the
file's content. The rules (docs/design.md, "Files"):

* only regular files are read or written; anything else is refused before it is opened
  (and checked again on the open descriptor, which is opened non-blocking);
* every read has a size cap, checked before reading and enforced while reading;
* writes are atomic (a temporary file in the same folder, fsync, rename) and never
  replace something that is not a regular file; a symbolic link to a regular file is
  followed (the link keeps pointing at the new content), a dangling one is refused;
* paths are shown as the user would type them, with undecodable bytes escaped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cloudinary_presets.errors import FileError

MIB = 1024 * 1024
#: caps of files that are not definitions: saved plans and moderation labels
PLAN_LIMIT = 64 * MIB
LABELS_LIMIT = 64 * MIB


def _flag(name: str) -> int:
    """An ``os.O_*`` flag, or 0 where the system has none (``O_NONBLOCK`` on Windows)."""
    return int(getattr(os, name, 0))


#: opening never blocks (a FIFO swapped in after the stat), never leaks into children
_NONBLOCK = _flag("O_NONBLOCK")
_COMMON = _flag("O_CLOEXEC") | _flag("O_BINARY")
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def shown(path: str | os.PathLike[str]) -> str:
    """A path as users typed it: relative to the working directory when below it.

    Bytes that are not UTF-8 (a file name from another system) are escaped (``\\xe9``),
    so the path can always be printed, put into JSON or written to a plan file.
    """
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        relative = text
    if not (os.path.isabs(text) and relative.startswith(os.pardir)):
        text = relative
    return printable(text)


def printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) escaped as ``\\xNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")
    return text


def is_printable(name: str) -> bool:
    """Whether a file name is valid UTF-8 (can be shown and stored as it is)."""
    return printable(name) == name


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _not_regular(path: Path, mode: int, doing: str, hint: str = "") -> FileError:
    return FileError(
        shown(path), f"it is {_kind(mode)}, not a regular file", doing=doing, hint=hint
    )


def _reason(exc: OSError, path: Path) -> str:
    """The operating system's reason, in words, naming no content."""
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        return "it is a symbolic link to a missing file"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    return exc.strerror or type(exc).__name__


def oserror(exc: OSError, path: Path, doing: str, hint: str = "") -> FileError:
    """An OS error as a :class:`FileError` about ``path`` (for callers that catch it)."""
    return FileError(shown(path), _reason(exc, path), doing=doing, hint=hint)


def regular_file(path: Path, *, doing: str = "read", hint: str = "") -> os.stat_result:
    """The file's status, or a FileError if it is missing or not a regular file.

    Uses ``stat`` (never ``open``), so a FIFO or a device is refused without blocking.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode, doing, hint)
    return info


def _too_large(path: Path, size: int | str, limit: int, doing: str) -> FileError:
    unit = f" ({limit // MIB} MiB)" if limit >= MIB and not limit % MIB else ""
    return FileError(shown(path), f"it is {size} bytes; the limit is {limit}{unit}", doing=doing)


def _open_regular(path: Path, doing: str, hint: str = "", *, blocking: bool = False) -> int:
    """A descriptor of ``path`` opened for reading, checked again as a regular file.

    ``blocking``: clear ``O_NONBLOCK`` again (for descriptors handed to other code; reads
    of a regular file never block, so a whole-file read leaves it).
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _COMMON)
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    try:
        info = os.fstat(fd)  # it may have been swapped for a FIFO since the stat
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode, doing, hint)
        if blocking and _NONBLOCK:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: Path, *, limit: int, doing: str = "read", hint: str = "") -> bytes:
    """The content of a regular file of at most ``limit`` bytes."""
    size = regular_file(path, doing=doing, hint=hint).st_size  # never opens a FIFO
    if size > limit:  # before reading: a huge file never enters memory
        raise _too_large(path, size, limit, doing)
    fd = _open_regular(path, doing, hint)
    chunks, total = [], 0
    try:
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(min(limit + 1 - total, MIB)):
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:  # it grew while we read
                    raise _too_large(path, f"over {limit}", limit, doing)
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    return b"".join(chunks)


def utf8_position(data: bytes, index: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``data[index]``."""
    line = data.count(b"\n", 0, index) + 1
    start = data.rfind(b"\n", 0, index) + 1
    return line, len(data[start:index].decode("utf-8", "replace")) + 1


def decode_utf8(data: bytes, path: Path, *, doing: str = "read", hint: str = "") -> str:
    """Strict UTF-8 (a BOM is dropped); a bad byte is a FileError at ``file:line:col``."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = utf8_position(data, exc.start)
        raise FileError(
            f"{shown(path)}:{line}:{column}",
            f"invalid UTF-8 byte 0x{data[exc.start]:02X}; the file must be UTF-8 text",
            doing=doing,
            hint=hint,
        ) from None


def read_text(path: Path, *, limit: int, doing: str = "read", hint: str = "") -> str:
    """The content of a regular UTF-8 text file of at most ``limit`` bytes."""
    data = read_bytes(path, limit=limit, doing=doing, hint=hint)
    return decode_utf8(data, path, doing=doing, hint=hint)


def open_binary(path: Path, *, doing: str = "read", hint: str = "") -> BinaryIO:
    """A regular file opened for streaming reads (uploads); anything else is refused.

    The caller closes it. ``os.fstat(handle.fileno()).st_size`` is its size when opened.
    """
    regular_file(path, doing=doing, hint=hint)  # never opens a FIFO
    return os.fdopen(_open_regular(path, doing, hint, blocking=True), "rb")


# --------------------------------------------------------------------------- writing


def make_dirs(path: Path, *, doing: str = "", hint: str = "") -> None:
    """``mkdir -p``; a file in the way or an unwritable parent is a FileError."""
    doing = doing or "create the folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise FileError(
            shown(path),
            f"{shown(blocker)} is a file, not a folder",
            doing=doing,
            hint=f"remove or rename {shown(blocker)}",
        ) from None
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None


def write_target(path: Path, *, doing: str = "write") -> Path:
    """Where a write to ``path`` lands: ``path``, or the regular file its link points at.

    Refuses what must never be replaced by a regular file (a device such as
    ``/dev/full``, a FIFO, a folder), a dangling symbolic link, and a missing folder.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        parent = path.parent
        if not parent.is_dir():
            raise FileError(
                shown(path), f"the folder {shown(parent)} does not exist", doing=doing
            ) from None
        return path
    except OSError as exc:
        raise oserror(exc, path, doing) from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError as exc:
            raise oserror(exc, path, doing) from None
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode, doing)
        return Path(os.path.realpath(path))
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode, doing)
    return path


def write_atomic(
    path: Path, text: str, *, private: bool = False, doing: str = "write", hint: str = ""
) -> None:
    """Write ``text`` as UTF-8, atomically: a reader sees the old file or the new one.

    ``private``: mode 0600 (saved plans). Otherwise an existing file keeps its mode and a
    new one gets the usual mode (0666 less the umask).
    """
    target = write_target(path, doing=doing)
    try:
        keep: int | None = None if private else stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        keep = None
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    directory = target.parent
    try:  # created by the kernel with the mode less the umask, as open() would
        fd, tmp = _create_temp(directory, target.name, 0o600 if private else 0o666)
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if keep is not None:
            os.chmod(tmp, keep)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise oserror(exc, path, doing, hint) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(directory)


def _create_temp(directory: Path, name: str, mode: int) -> tuple[int, Path]:
    """A new, empty file beside the target (same file system, so the rename is atomic).

    The prefix is short: a 250-character name plus a suffix would exceed 255 bytes.
    """
    for _ in range(100):
        tmp = directory / f".{name[:64]}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _COMMON, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(directory))


def _sync_folder(directory: Path) -> None:
    """Make a rename durable (POSIX); best effort, nothing to do elsewhere."""
    if os.name != "posix":  # pragma: no cover - Windows
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def append_text(path: Path, text: str, *, doing: str = "append to", hint: str = "") -> None:
    """Append UTF-8 ``text`` to a regular file, creating it (not its folder) if missing."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise FileError(
                shown(path),
                f"the folder {shown(path.parent)} does not exist",
                doing=doing,
                hint=hint,
            ) from None
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    else:
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode, doing, hint)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NONBLOCK | _COMMON
    try:
        fd = os.open(path, flags, 0o666)
        with os.fdopen(fd, "ab") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise _not_regular(path, os.fstat(fd).st_mode, doing, hint)
            handle.write(text.encode("utf-8"))
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None


@contextlib.contextmanager
def open_for_update(path: Path, *, doing: str = "open", hint: str = "") -> Iterator[BinaryIO]:
    """A regular file opened read-write (created if missing), closed when the block ends."""
    make_dirs(path.parent, hint=hint)
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise _not_regular(path, os.stat(path).st_mode, doing, hint)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NONBLOCK | _COMMON, 0o644)
    except OSError as exc:
        raise oserror(exc, path, doing, hint) from None
    with os.fdopen(fd, "r+b") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode, doing, hint)
        yield handle


# --------------------------------------------------------------------------- where


def inside(path: Path, root: Path, *, hint: str = "") -> Path:
    """``path`` with symbolic links resolved, if it stays inside ``root``; else a FileError.

    Only files inside the project are read: a link such as ``presets/leak.yaml ->
    ~/.git-credentials`` is refused by its name, before anything is read from it.
    """
    if is_inside(path, root):
        return Path(os.path.realpath(path))
    what = "a symbolic link that leads" if _has_link(path, root) else "a path"
    raise FileError(
        shown(path),
        f"it is {what} outside the project (root: {shown(root)}); only files inside the "
        "project are read",
        hint=hint or "copy it into the project, or pass --root to the project that holds it",
        refused=True,
    )


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path``, symbolic links followed, is ``root`` or below it."""
    real = Path(os.path.realpath(path))
    base = Path(os.path.realpath(root))
    return real == base or base in real.parents


def _has_link(path: Path, root: Path) -> bool:
    """Whether ``path`` (below ``root``) reaches its target through a symbolic link."""
    base = Path(os.path.abspath(root))
    try:
        relative = Path(os.path.abspath(path)).relative_to(base)
    except ValueError:
        return os.path.islink(path)
    probe = base
    for part in relative.parts:
        probe = probe / part
        if probe.is_symlink():
            return True
    return False
