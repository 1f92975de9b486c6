"""Saved plans: written atomically with mode 0600, read back with every check a reviewer needs.

A saved plan records what was reviewed: the changes (with redacted values), the tool
version, the target (cloud, API host, a fingerprint of the API key; never the key or the
secret), a fingerprint of every remote preset it read, and a digest of the definitions.
``presets apply plan.json`` uses these to refuse a plan that no longer fits.
"""

from __future__ import annotations

import json
from pathlib import Path

from cloudinary_presets._version import __version__
from cloudinary_presets.errors import PlanFileError
from cloudinary_presets.files import PLAN_LIMIT, read_text, write_atomic
from cloudinary_presets.planning.plan import PLAN_FORMAT, Plan


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically (temp file, fsync, rename) with mode 0600."""
    write_atomic(path, text, private=True, doing="write the plan to")


def save_plan(plan: Plan, path: Path) -> None:
    write_private(path, json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n")


def load_plan(path: Path) -> Plan:
    text = read_text(
        path,
        limit=PLAN_LIMIT,
        doing="read the plan file",
        hint="give the file `presets plan --out` wrote",
    )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlanFileError(f"{path} is not a plan file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanFileError(f"{path} is not a plan file written by `presets plan --out`")
    if data["format_version"] != PLAN_FORMAT:
        raise PlanFileError(
            f"{path} uses plan format {data['format_version']}; this presets {__version__} "
            f"reads format {PLAN_FORMAT}",
            hint="re-run `presets plan --out` with this version",
        )
    major = str(data.get("tool_version", "")).split(".")[0]
    if major != __version__.split(".")[0]:
        raise PlanFileError(
            f"{path} was written by presets {data.get('tool_version')}; this is {__version__}",
            hint="re-run `presets plan --out` with this version",
        )
    try:
        return Plan.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"{path} is damaged: {exc}") from None
