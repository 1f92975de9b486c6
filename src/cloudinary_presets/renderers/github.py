"""GitHub Actions output: workflow-command annotations and a job-summary table.

GitHub shows at most 10 error and 10 warning annotations per step (50 per job); the
rest are dropped silently. So the first ten of each severity become annotations and the
remainder is summarised in one more line that says how many were left out and where to
read them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudinary_presets.errors import Problem
from cloudinary_presets.model.characters import escape_invisible

MAX_PER_SEVERITY = 10


def _data(text: str) -> str:
    """GitHub's escaping of a workflow command's message, invisible characters shown."""
    text = escape_invisible(text, keep="\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem) -> str:
    """``::error file=F,line=L,col=C,title=T::message`` with GitHub's escaping."""
    level = "error" if problem.is_error else "warning"
    props = []
    loc = problem.location
    if loc is not None:
        props.append(f"file={_prop(loc.file)}")
        if loc.line:
            props.append(f"line={loc.line}")
        if loc.column:
            props.append(f"col={loc.column}")
    title = problem.code or (problem.path or "presets")
    props.append(f"title={_prop(title)}")
    message = f"{problem.path}: {problem.message}" if problem.path else problem.message
    return f"::{level} {','.join(props)}::{_data(message)}"


def annotation_lines(problems: Sequence[Problem]) -> list[str]:
    """At most ten annotations per severity, then one line for the rest."""
    lines: list[str] = []
    for level, selected in (
        ("error", [p for p in problems if p.is_error]),
        ("warning", [p for p in problems if not p.is_error]),
    ):
        lines.extend(annotation(p) for p in selected[:MAX_PER_SEVERITY])
        hidden = len(selected) - MAX_PER_SEVERITY
        if hidden > 0:
            lines.append(
                f"::{level} title=more {level}s::{hidden} more {level}(s) not shown as annotations "
                "(GitHub shows 10 per step); see the job log or run `presets validate` locally"
            )
    return lines


def validation_summary(problems: Sequence[Problem], files: int, presets: int) -> str:
    """A Markdown summary for ``$GITHUB_STEP_SUMMARY``."""
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    status = "✅ valid" if not errors else "❌ invalid"
    lines = [
        f"### Preset definitions: {status}",
        "",
        f"{files} file(s), {presets} valid preset(s), {len(errors)} error(s), {len(warnings)} "
        f"warning(s).",
        "",
    ]
    if problems:
        lines += ["| Severity | Where | Problem |", "|---|---|---|"]
        for p in problems:
            where = escape_invisible(str(p.location)) if p.location else ""
            what = escape_invisible(f"`{p.path}`: {p.message}" if p.path else p.message)
            lines.append(f"| {p.severity} | `{where}` | {what.replace('|', chr(92) + '|')} |")
    return "\n".join(lines) + "\n"
