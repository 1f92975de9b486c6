"""A local lock so two applies from one checkout never race.

There is no server-side lock for upload presets. The lock is an OS advisory lock
(``flock``) on ``.presets/apply.lock``: the kernel releases it when the process dies, so
a crashed or killed apply never leaves a stale lock behind. The file also records who
holds it, for the message the second apply shows. It does not protect two machines:
use a CI concurrency group for that (see the example workflow).

Where ``flock`` does not exist (Windows), ``apply`` is refused rather than run unlocked:
no CI here runs Windows, and a lock nobody can test is worse than a clear refusal
(docs/design.md, "Files"). ``plan`` and every read-only command work there.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

from cloudinary_presets.errors import FileError, LockHeldError, PresetsError
from cloudinary_presets.files import open_for_update, read_text

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "apply.lock"
_HINT = (
    "apply keeps its lock in .presets/ under the project root: run it from a writable "
    "checkout (or pass --root to one)"
)


def _holder(path: Path) -> str:
    try:
        info = json.loads(read_text(path, limit=4096))
        who, pid, host, since = (info.get(k) for k in ("who", "pid", "host", "since"))
        return f"{who} (pid {pid} on {host}, since {since})"
    except (FileError, ValueError, AttributeError):
        return "another process"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def lock_available() -> bool:
    """Whether this system has the OS lock ``apply`` needs (not on Windows)."""
    return fcntl is not None


@contextmanager
def apply_lock(
    state_dir: Path, *, timeout: float = 0.0, operation: str = "apply"
) -> Iterator[None]:
    """Hold the checkout's apply lock, waiting up to ``timeout`` seconds for it."""
    if not lock_available():
        raise PresetsError(
            f"{operation} is not supported on this system: it has no OS file lock (flock) to "
            "keep two applies of one checkout apart",
            hint="run apply on Linux or macOS (WSL on Windows, or in CI); plan, validate and "
            "upload work here",
        )
    path = state_dir / LOCK_FILE
    with open_for_update(path, doing="open the apply lock", hint=_HINT) as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeldError(
                        f"another {operation} holds the lock of this checkout: {_holder(path)}",
                        hint="wait for it to finish, or pass --lock-timeout SECONDS to wait",
                    ) from None
                time.sleep(0.1)
        info = {
            "operation": operation,
            "who": _user(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        with suppress(OSError):  # who holds it is for messages only: a full disk is no reason
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(info).encode("utf-8"))
            handle.flush()
        yield
