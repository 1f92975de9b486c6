"""``presets emulator``: run the local Cloudinary in the foreground."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cloudinary_presets.cli.output import OUT
from cloudinary_presets.errors import FileError, PresetsError
from cloudinary_presets.files import LABELS_LIMIT, make_dirs, read_text, regular_file, shown

if TYPE_CHECKING:
    from cloudinary_presets.emulator import CloudAccount


def _cloud_account(value: str) -> CloudAccount:
    from cloudinary_presets.emulator import CloudAccount

    parts = value.split(":")
    if len(parts) != 3 or not all(parts):
        raise click.BadParameter("expected NAME:KEY:SECRET")
    try:
        return CloudAccount(*parts)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Bind address (loopback only unless --allow-remote).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback bind address (the emulator has no real security).",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="SQLite file for state (default: in memory).",
)
@click.option(
    "--cloud",
    "clouds",
    multiple=True,
    metavar="NAME:KEY:SECRET",
    help="A cloud and its credentials (repeatable; default: the demo cloud).",
)
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="JSON lines of {sha256, labels} moderation labels.",
)
@click.option(
    "--quota",
    type=click.IntRange(0),
    default=2000,
    show_default=True,
    help="Admin API calls per hour per cloud.",
)
@click.option(
    "--put-semantics",
    type=click.Choice(["replace", "merge"]),
    default="replace",
    show_default=True,
    help="Preset updates replace the stored settings, or merge into them (an empty value"
    " clears a setting). Cloudinary's behaviour is unverified.",
)
@click.option(
    "--moderation-timing",
    type=click.Choice(["async", "sync"]),
    default="async",
    show_default=True,
    help="Automatic moderation decisions land after the upload (current docs), or are in"
    " the upload response (older docs).",
)
@click.option(
    "--moderation-delay",
    type=click.FloatRange(0, 3600),
    default=0.05,
    show_default=True,
    metavar="SECONDS",
    help="How long after an upload asynchronous moderation decisions land.",
)
def emulator(
    port: int,
    host: str,
    allow_remote: bool,
    data: Path | None,
    clouds: tuple[str, ...],
    labels: Path | None,
    quota: int,
    put_semantics: str,
    moderation_timing: str,
    moderation_delay: float,
) -> None:
    """Run a local Cloudinary (Admin API presets + Upload API) for development and tests.

    The first line printed is the CLOUDINARY_URL that reaches the first cloud.
    """
    import sqlite3

    from cloudinary_presets.emulator import Emulator

    accounts = [_cloud_account(c) for c in clouds] or None
    if data is not None:
        _check_data(data)
    if labels is not None:  # the emulator reads it itself: refuse a FIFO or a huge file first
        read_text(labels, limit=LABELS_LIMIT, doing="read the labels file")
    try:
        emu = Emulator(
            db_path=str(data) if data else ":memory:",
            clouds=accounts,
            host=host,
            port=port,
            quota_per_hour=quota,
            allow_remote=allow_remote,
            labels_file=labels,
            put_semantics=put_semantics,
            moderation_timing=moderation_timing,
            moderation_delay=moderation_delay,
        )
    except sqlite3.Error as exc:  # not a database, read-only, locked
        assert data is not None  # an in-memory database always opens
        raise FileError(shown(data), str(exc), doing="open the database", hint=_DATA_HINT) from None
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    try:
        lines = emu.startup_lines()  # binds the port
    except OSError as exc:
        emu.stop()
        raise PresetsError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another program uses this port: pass another --port (--port 0 picks a free "
            "one and prints it)",
        ) from None
    for line in lines:
        OUT.echo_own_credentials(line)
    sys.stdout.flush()
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        OUT.err("emulator stopped")
    finally:
        emu.stop()


_DATA_HINT = "--data takes an SQLite file written by `presets emulator`, or a path for a new one"


def _check_data(data: Path) -> None:
    """A FIFO, a device or a folder as --data, or a file in the way of its folder: say so."""
    if os.path.lexists(data):
        regular_file(data, doing="use the database", hint=_DATA_HINT)
    make_dirs(data.parent, doing="create the database folder")
