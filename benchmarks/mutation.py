"""Mutation testing of the core modules, one group at a time (docs/mutation-testing.md).

    python benchmarks/mutation.py                    # every group, from scratch, 2 workers
    python benchmarks/mutation.py codec plan         # some groups
    python benchmarks/mutation.py --keep codec       # reuse the last results: mutmut retests
                                                     # changed functions, and the survivors
    python benchmarks/mutation.py --report           # the table of the recorded results, no
                                                     # run (also written to the docs page)
    python benchmarks/mutation.py --survivors codec  # each surviving mutant's diff

mutmut keeps one test selection per folder, and a mutant should run against its area's
fast tests only, so each group (``[tool.mutmut-groups.<name>]`` in pyproject.toml) runs
in its own folder, ``benchmarks/.work/mutation/<group>/``: links to the repository and a
``pyproject.toml`` whose ``[tool.mutmut]`` is the shared one with the group's modules and
tests. mutmut then records which of those tests call each function and runs each mutant
against those only. To look at one mutant: ``cd`` there and ``mutmut show <name>``.

The table counts every mutant of the group's modules but those of its ``skip`` functions
(with the reasons in the docs). Score: mutants killed or timed out, over all counted.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import tomllib

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / ".work" / "mutation"
#: each group's last counts, committed: the published table is built from these
RESULTS = REPO / "benchmarks" / "mutation"
#: the repository folders the tests read, linked into each group's folder
LINKED = ("src", "tests")
#: how a mutmut exit code reads (mutmut.stats.status_by_exit_code, abridged)
STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", -24: "timeout"}
STATUS.update({24: "timeout", 152: "timeout", 255: "timeout", 37: "type check"})
STATUS.update({5: "no tests", 33: "no tests", -11: "crashed", -9: "crashed"})


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def groups() -> dict[str, dict[str, Any]]:
    return dict(_pyproject()["tool"]["mutmut-groups"])


def _toml(value: Any) -> str:
    """A TOML value for the flat settings written here (JSON strings are TOML strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _table(name: str, values: dict[str, Any]) -> str:
    return f"[{name}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in values.items())


def prepare(group: str, *, fresh: bool) -> Path:
    """The group's folder: links to the repository and its own pyproject.toml."""
    spec = groups()[group]
    folder = WORK / group
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = _pyproject()
    mutmut = dict(config["tool"]["mutmut"])
    mutmut["only_mutate"] = list(spec["modules"])
    mutmut["pytest_add_cli_args_test_selection"] = list(spec["tests"])
    for name in [*LINKED, *(p.rstrip("/") for p in mutmut.get("also_copy", []))]:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(REPO / name, target_is_directory=True)
    text = _table("tool.pytest.ini_options", config["tool"]["pytest"]["ini_options"])
    (folder / "pyproject.toml").write_text(text + "\n" + _table("tool.mutmut", mutmut))
    return folder


def results(group: str) -> dict[str, dict[str, str]]:
    """Module -> mutant name -> status, for the counted mutants of the group's last run."""
    spec = groups()[group]
    skip = spec.get("skip", [])
    out: dict[str, dict[str, str]] = {}
    for module in spec["modules"]:
        meta = WORK / group / "mutants" / f"{module}.meta"
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        out[module] = {
            name: "not run" if code is None else STATUS.get(code, "suspicious")
            for name, code in codes.items()
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in skip)
        }
    return out


def survivors(group: str) -> list[str]:
    return [n for by_name in results(group).values() for n, s in by_name.items() if s == "survived"]


def run(group: str, *, max_children: int, fresh: bool) -> float:
    """Run mutmut for one group; return the wall time in seconds."""
    folder = prepare(group, fresh=fresh)
    retest = [] if fresh else survivors(group)
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(max_children)]
    started = time.monotonic()
    # mutmut's progress (a spinner) goes to a log; niced: the machine is shared
    with (folder / "mutmut.log").open("w") as log:
        subprocess.run(["nice", "-n", "10", *command], cwd=folder, check=True, stdout=log)
        if retest:  # earlier survivors are not retested unless named (new tests may kill them)
            subprocess.run(
                ["nice", "-n", "10", *command, *retest], cwd=folder, check=True, stdout=log
            )
    return time.monotonic() - started


def record(group: str, seconds: float) -> None:
    """Keep the group's counts (per module) and run time in benchmarks/mutation/<group>.json."""
    modules = {
        module.removeprefix("src/cloudinary_presets/"): dict(Counter(by_name.values()))
        for module, by_name in results(group).items()
    }
    mutmut = Path(sys.executable).with_name("mutmut")
    version = subprocess.run(
        [str(mutmut), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    RESULTS.mkdir(exist_ok=True)
    data = {
        "group": group,
        "seconds": round(seconds),
        "date": time.strftime("%Y-%m-%d"),
        "tool": version,
        "cores": os.cpu_count(),
        "modules": modules,
    }
    (RESULTS / f"{group}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def report(names: list[str]) -> str:
    """A Markdown table from the recorded counts: per module, then per group."""
    lines = [
        "| group | module | mutants | killed | survived | timeouts | other | score | minutes |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    everything: Counter[str] = Counter()
    for group in names:
        path = RESULTS / f"{group}.json"
        if not path.exists():
            lines.append(f"| **{group}** | (not run) | | | | | | | |")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        total: Counter[str] = Counter()
        for module, counts in data["modules"].items():
            total.update(counts)
            lines.append(_row(group, module, Counter(counts), ""))
        everything.update(total)
        lines.append(_row(f"**{group}**", "all", total, f"{data['seconds'] / 60:.1f}"))
    lines.append(_row("**all**", "", everything, ""))
    return "\n".join(lines)


def _row(group: str, module: str, counts: Counter[str], minutes: str) -> str:
    mutants = sum(counts.values())
    caught = counts["killed"] + counts["timeout"]
    other = mutants - caught - counts["survived"]
    score = f"{100 * caught / mutants:.1f}%" if mutants else "-"
    return (
        f"| {group} | {module} | {mutants} | {counts['killed']} | {counts['survived']} "
        f"| {counts['timeout']} | {other} | {score} | {minutes} |"
    )


def show_survivors(group: str) -> None:
    mutmut = Path(sys.executable).with_name("mutmut")
    for name in survivors(group):
        subprocess.run([str(mutmut), "show", name], cwd=WORK / group, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", help="groups to run (default: all)")
    parser.add_argument("--max-children", type=int, default=2, help="mutmut workers (2)")
    parser.add_argument("--keep", action="store_true", help="reuse the last results")
    parser.add_argument("--report", action="store_true", help="only print the last results")
    parser.add_argument("--survivors", action="store_true", help="show surviving mutants")
    args = parser.parse_args()
    known = groups()
    names = args.groups or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if args.survivors:
        for group in names:
            show_survivors(group)
        return 0
    if not args.report:
        os.environ.pop("MUTANT_UNDER_TEST", None)
        for group in names:
            seconds = run(group, max_children=args.max_children, fresh=not args.keep)
            record(group, seconds)
            print(f"{group}: {seconds / 60:.1f} min", flush=True)
    table = report(names)
    print(table)
    if set(names) == set(known):
        write_docs(table)
    return 0


DOCS = REPO / "docs" / "mutation-testing.md"
TABLE_START = "<!-- scores: generated by benchmarks/mutation.py, do not edit -->"
TABLE_END = "<!-- end of scores -->"


def write_docs(table: str) -> None:
    """Put the table of every group in docs/mutation-testing.md, between its markers."""
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    DOCS.write_text(f"{text[:start]}\n{table}\n{text[end:]}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
