"""Which product environment a command talks to, and how.

With credentials (``url``, ``profile``, a configured environment, or ``CLOUDINARY_URL``)
the target is that Cloudinary account. Without any, the library refuses
(:class:`~cloudinary_presets.errors.MissingCredentials`): a misconfigured application
must fail, never "upload" into a local SQLite file. The **embedded emulator** (a local
Cloudinary started in-process on loopback, its state in ``.presets/emulator.sqlite``) is
used only when asked for: ``emulator=True``, or an environment configured with
``emulator: true``. The CLI alone picks it by default, announced loudly, and refuses that
in CI unless ``--emulator`` is given.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.credential_sources import resolve_credentials
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.transport import DEFAULT_TIMEOUT, Transport
from cloudinary_presets.definitions.project import STATE_DIR
from cloudinary_presets.errors import FileError, MissingCredentials, UsageError
from cloudinary_presets.files import make_dirs, oserror, regular_file, shown, write_atomic
from cloudinary_presets.planning.plan import TargetInfo

if TYPE_CHECKING:
    from cloudinary_presets.emulator import Emulator

EMULATOR_DB = "emulator.sqlite"
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass
class Target:
    """Credentials plus a description for people; owns the embedded emulator if one runs.

    ``timeout`` bounds each HTTP request its transports send (``--timeout``).
    """

    credentials: Credentials
    info: TargetInfo
    emulator: Emulator | None = None
    timeout: float = DEFAULT_TIMEOUT
    _transports: list[Transport] = field(default_factory=list)

    def transport(
        self,
        *,
        timeout: float | tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
    ) -> Transport:
        transport = Transport(
            self.credentials, timeout=self.timeout if timeout is None else timeout, retry=retry
        )
        self._transports.append(transport)
        return transport

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def timeout_from(environ: Mapping[str, str]) -> float:
    """``PRESETS_TIMEOUT`` as seconds (the default when unset); a bad value is refused."""
    text = environ.get("PRESETS_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 86400:
        raise UsageError(
            f"PRESETS_TIMEOUT={text!r} is not a number of seconds (more than 0, at most 86400)"
        )
    return seconds


def is_ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() in _TRUE


_STATE_HINT = (
    ".presets/ under the project root holds the embedded emulator's data: make the checkout "
    "writable, or set CLOUDINARY_URL (or pass --url, --profile or --env) to use a real account"
)
_DB_HINT = (
    "it holds only the local emulator's presets: delete it to start afresh "
    "(rm {db}), or move it aside to keep it"
)


def ensure_state_dir(root: Path) -> Path:
    """``.presets/`` under the project root, with a ``.gitignore`` that ignores itself."""
    state = root / STATE_DIR
    make_dirs(state, doing="create the local state folder", hint=_STATE_HINT)
    ignore = state / ".gitignore"
    if not os.path.lexists(ignore):
        text = "# local state of cloudinary-presets (emulator data, locks)\n*\n"
        write_atomic(ignore, text, doing="write", hint=_STATE_HINT)
    return state


def _emulator_cloud(environment: str | None) -> str:
    if not environment:
        return "demo"
    return re.sub(r"[^a-z0-9_-]", "-", environment.lower())[:60] or "demo"


def start_emulator(root: Path, environment: str | None = None) -> tuple[Emulator, Credentials, str]:
    """Start the embedded emulator (state under ``.presets/``) for one environment's cloud."""
    from cloudinary_presets.emulator import DEMO_CLOUD, CloudAccount, Emulator

    state = ensure_state_dir(root)
    cloud = _emulator_cloud(environment)
    account = (
        DEMO_CLOUD
        if cloud == DEMO_CLOUD.name
        else CloudAccount(cloud, DEMO_CLOUD.api_key, DEMO_CLOUD.api_secret)
    )
    db = state / EMULATOR_DB
    doing = "open the embedded emulator's database"
    hint = _DB_HINT.format(db=shown(db))
    if os.path.lexists(db):
        regular_file(db, doing=doing, hint=hint)  # a folder or a FIFO there: say so, at once
    try:
        emulator = Emulator(db_path=str(db), clouds=[account]).start()
    except sqlite3.Error as exc:  # not a database, read-only, locked by another process
        raise FileError(shown(db), str(exc), doing=doing, hint=hint) from None
    except ValueError as exc:  # a database of another schema version
        raise FileError(shown(db), str(exc).split(": ", 1)[-1], doing=doing, hint=hint) from None
    except OSError as exc:
        raise oserror(exc, db, doing, hint) from None
    credentials = parse_cloudinary_url(emulator.cloudinary_url(cloud), "embedded emulator")
    relative = db.relative_to(root) if not db.is_absolute() or root in db.parents else db
    return emulator, credentials, str(relative)


def describe_target(credentials: Credentials, environment: str | None) -> str:
    env = f"environment '{environment}': " if environment else ""
    where = f"cloud '{credentials.cloud_name}' at {credentials.api_host}"
    return f"{env}{where} (credentials from {credentials.source})"


def open_target(
    *,
    root: Path,
    environ: Mapping[str, str],
    home: Path,
    url: str | None = None,
    profile: str | None = None,
    environment: str | None = None,
    env_credentials: tuple[str, str] | None = None,
    env_emulator: bool = False,
    emulator: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> Target:
    """Resolve the target: explicit credentials, then the environment's, then
    ``CLOUDINARY_URL``; the embedded emulator only with ``emulator=True`` (or an
    environment configured with ``emulator: true``). ``timeout``: seconds each HTTP
    request may take, connect to last byte.

    Raises :class:`MissingCredentials` when there are none; nothing is created on disk.
    """
    if not (emulator or env_emulator):
        credentials = resolve_credentials(
            url=url, profile=profile, env_credentials=env_credentials, environ=environ, home=home
        )
        if credentials is None:
            raise MissingCredentials(
                "no Cloudinary credentials are configured",
                hint="set CLOUDINARY_URL (or pass url=, profile=, or an environment with "
                "credentials); pass emulator=True to use the local emulator on purpose",
            )
        info = TargetInfo(
            describe_target(credentials, environment),
            credentials.cloud_name,
            credentials.api_host,
            credentials.key_fingerprint(),
            environment,
        )
        return Target(credentials, info, timeout=timeout)
    embedded, credentials, db = start_emulator(root, environment)
    env = f"environment '{environment}': " if environment else ""
    info = TargetInfo(
        f"{env}local emulator ({db}), cloud '{credentials.cloud_name}'",
        credentials.cloud_name,
        "local-emulator",
        credentials.key_fingerprint(),
        environment,
        emulator=True,
    )
    return Target(credentials, info, embedded, timeout=timeout)


def same_target(a: TargetInfo, b: TargetInfo) -> list[str]:
    """Why two target descriptions differ (empty when a saved plan fits this target)."""
    reasons = []
    if a.cloud_name != b.cloud_name:
        reasons.append(f"cloud '{a.cloud_name}' vs '{b.cloud_name}'")
    if a.api_host != b.api_host:
        reasons.append(f"API host {a.api_host} vs {b.api_host}")
    if a.key_fingerprint != b.key_fingerprint:
        reasons.append("a different API key")
    if (a.environment or None) != (b.environment or None):
        reasons.append(f"environment {a.environment!r} vs {b.environment!r}")
    return reasons
