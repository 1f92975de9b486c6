"""A local lock so two applies from one checkout never race.

There is no server-side lock for upload presets. The lock is an OS advisory lock
(``flock``) on ``.presets/apply.lock``: the kernel releases it when the process dies, so
a crashed or killed apply never leaves a stale lock behind. The file also records who
holds it, for the message the second apply shows. It does not protect two machines:
use a CI concurrency group for that (see the example workflow).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from cloudinary_presets.errors import LockHeldError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        who, pid, host, since = (info.get(k) for k in ("who", "pid", "host", "since"))
        return f"{who} (pid {pid} on {host}, since {since})"
    except (OSError, ValueError):
        return "another process"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@contextmanager
def apply_lock(
    state_dir: Path, *, timeout: float = 0.0, operation: str = "apply"
) -> Iterator[None]:
    """Hold the checkout's apply lock, waiting up to ``timeout`` seconds for it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "apply.lock"
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + timeout
        while fcntl is not None:
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
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(info))
        handle.flush()
        yield
    finally:
        handle.close()
