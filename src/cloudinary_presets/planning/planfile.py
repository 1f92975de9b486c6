"""Saved plans: written atomically with mode 0600, read back with every check a reviewer needs.

A saved plan records what was reviewed: the changes (with redacted values), the tool
version, the target (cloud, API host, a fingerprint of the API key; never the key or the
secret), a fingerprint of every remote preset it read, a digest of the definitions, a
checksum of the whole document and a seal. ``presets apply plan.json`` refuses a file
that is not intact (:mod:`integrity`) and a plan that no longer fits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cloudinary_presets._version import __version__
from cloudinary_presets.errors import PlanAlteredError
from cloudinary_presets.files import PLAN_LIMIT, read_text, write_atomic
from cloudinary_presets.model.characters import escape_invisible
from cloudinary_presets.planning.integrity import check_document
from cloudinary_presets.planning.plan import PLAN_FORMAT, Plan


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically (temp file, fsync, rename) with mode 0600."""
    write_atomic(path, text, private=True, doing="write the plan to")


def save_plan(plan: Plan, path: Path) -> None:
    text = json.dumps(plan.to_dict(), indent=2, ensure_ascii=False)
    # as JSON escapes, so `cat plan.json` shows them: the document stays the same
    write_private(path, escape_invisible(text, keep="\n") + "\n")


def load_plan(path: Path, *, to_show: bool = False) -> Plan:
    """Read a saved plan and check that it is intact (see :mod:`integrity`).

    A file that cannot be read is an error (exit 1); one that is not intact is refused
    (exit 3): apply writes only a plan that is exactly what ``plan --out`` wrote, and
    ``show`` (``to_show``) shows only such a plan, or a reviewer could be misled.
    """
    _refused = _refusal(to_show)
    text = read_text(
        path,
        limit=PLAN_LIMIT,
        doing="read the plan file",
        hint="give the file `presets plan --out` wrote",
    )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _refused(f"{path} is not a complete plan file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise _refused(f"{path} is not a plan file written by `presets plan --out`")
    if data["format_version"] != PLAN_FORMAT:
        raise _refused(
            f"{path} uses plan format {data['format_version']!r}; this presets {__version__} "
            f"reads format {PLAN_FORMAT}"
        )
    major = str(data.get("tool_version", "")).split(".")[0]
    if major != __version__.split(".")[0]:
        raise _refused(
            f"{path} was written by presets {data.get('tool_version')}; this is {__version__}"
        )
    problems = check_document(data)
    if problems:
        doing = "shown" if to_show else "applied"
        raise _refused(f"{path} cannot be {doing}: " + "\n  ".join(problems))
    return Plan.from_dict(data)


def _refusal(to_show: bool) -> Callable[[str], PlanAlteredError]:
    """How a refusal reads: apply says nothing was written; show names what to show."""

    def refused(message: str) -> PlanAlteredError:
        if to_show:
            return PlanAlteredError(message, hint="show the file `presets plan --out` wrote")
        return PlanAlteredError(
            message + "\n  nothing was written",
            hint="make a new plan with `presets plan --out PLAN`, review it, and apply that",
        )

    return refused
