"""cloudinary-cli's saved profiles (``cld config -n NAME URL``) as a credentials source.

The file is read as cloudinary-cli writes it; errors name the file and list the profile
names, never a URL (each one holds a secret). The environment and the home directory are
arguments, so the CLI decides and the tests control them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.errors import CredentialsError, FileError, UsageError
from cloudinary_presets.files import read_bytes

PROFILE_FILE_LIMIT = 1024 * 1024
DEFAULT_PROFILE_KEY = "__default__"


def profile_file(environ: Mapping[str, str], home: Path) -> Path:
    """cloudinary-cli's file: ``$CLOUDINARY_HOME/config.json``, else ``~/.cloudinary-cli/``."""
    configured = environ.get("CLOUDINARY_HOME", "").strip()
    if configured:
        if configured == "~" or configured.startswith("~/"):
            return home / configured[2:] / "config.json"
        return Path(configured) / "config.json"
    return home / ".cloudinary-cli" / "config.json"


def _shown_path(path: Path, home: Path) -> str:
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)


def _read_profiles(path: Path, shown: str) -> dict[str, object]:
    if not os.path.lexists(path):
        raise CredentialsError(
            f"no cloudinary-cli profiles: {shown} does not exist",
            hint="save one with `cld config -n NAME cloudinary://KEY:SECRET@CLOUD`",
        )
    try:
        raw = read_bytes(path, limit=PROFILE_FILE_LIMIT)
    except FileError as exc:
        raise CredentialsError(f"cannot read {shown}: {exc.reason}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # The decoder's message quotes no input, only a position.
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise CredentialsError(f"{shown} is not valid JSON ({detail})") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{shown} must hold a JSON object of profile names to URLs")
    return data


def _profile_names(data: Mapping[str, object]) -> str:
    names = sorted(k for k in data if not (k.startswith("__") and k.endswith("__")))
    return ", ".join(names) if names else "(none)"


def load_profile(name: str | None, environ: Mapping[str, str], home: Path) -> Credentials:
    """Credentials from a saved cloudinary-cli profile (``cld config -n NAME URL``).

    ``name`` ``None`` or ``"__default__"`` means the profile saved as default
    (``cld config -d NAME``). Errors name the file and list the profile names, never a URL.
    """
    path = profile_file(environ, home)
    shown = _shown_path(path, home)
    data = _read_profiles(path, shown)
    label = ""
    if name is None or name == DEFAULT_PROFILE_KEY:
        default = data.get(DEFAULT_PROFILE_KEY)
        if not isinstance(default, str) or not default:
            raise CredentialsError(
                f"no default profile is set in {shown}; available profiles: {_profile_names(data)}",
                hint="pass --profile NAME, or set one with `cld config -d NAME`",
            )
        name, label = default, " (default)"
    if name.startswith("__") and name.endswith("__"):
        raise UsageError(f"profile names wrapped in '__' are reserved: {name!r}")
    value = data.get(name)
    if value is None:
        raise CredentialsError(
            f"profile {name!r}{label} not found in {shown}; available profiles: "
            f"{_profile_names(data)}"
        )
    if not isinstance(value, str):
        raise CredentialsError(f"profile {name!r} in {shown} is not a cloudinary:// URL string")
    return parse_cloudinary_url(value, f"profile {name!r}{label} ({shown})")
