"""Run every benchmark and write ``benchmarks/RESULTS.md`` (and ``results.json``).

    python benchmarks/run.py            # the full run (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick    # small sizes: a smoke run for CI (about a minute)
    python benchmarks/run.py --only plan,local --compare-src /tmp/before/src

``--compare-src DIR`` also runs the local CPU benchmark and the profiles against another
source tree (``DIR`` holds a ``cloudinary_presets`` package, e.g. from
``git worktree add /tmp/before <rev>``: pass ``/tmp/before/src``), side by side.
``--no-extrapolate`` measures the sequential 5,000-preset runs at 50 ms latency too
(another ten minutes or more) instead of extrapolating them. ``--from-json results.json``
renders ``RESULTS.md`` again from an earlier run's raw numbers, measuring nothing.
``--only upload --update`` measures the named sections again and replaces them in
``results.json`` and ``RESULTS.md``, keeping the other sections' numbers (and saying which
sections were measured when).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_apply
import bench_local
import bench_moderation
import bench_plan
import bench_profile
import bench_upload
import mutation
import targets
from common import HERE, fmt_seconds, log, machine, table

SECTIONS = ("plan", "apply", "local", "upload", "moderation", "profile")
#: the page whose headline table a full run rewrites from its numbers
DOCS_HEADLINE = HERE.parent / "docs" / "benchmarks.md"


def _config(quick: bool, extrapolate: bool) -> dict[str, Any]:
    if quick:
        return {
            "plan": {"sizes": [50], "latencies": [0, 50], "extrapolate_over": 10**9, "repeats": 2},
            "apply": {
                "sizes": [20],
                "latencies": [0, 50],
                "extrapolate_over": 10**9,
                "quota_n": 40,
                "repeats": 2,
            },
            "local": {"n": 500, "repeats": 1, "help_runs": 3},
            "upload": {
                "count": 10,
                "latencies": [50],
                "large": 64 * 1024 * 1024,
                "chunk": 5 * 1024 * 1024,
                "parallel": 2,
                "parallel_mib": 16,
            },
            "moderation": {"delays": [0.05, 0.5], "repeats": 1},
            "profile": {"n": 500},
        }
    over = 1000 if extrapolate else 10**9
    return {
        "plan": {
            "sizes": [100, 1000, 5000],
            "latencies": [0, 50],
            "extrapolate_over": over,
            "repeats": 5,
        },
        "apply": {
            "sizes": [100, 1000, 5000],
            "latencies": [0, 50],
            "extrapolate_over": over,
            "quota_n": 200,
            "repeats": 3,
        },
        "local": {"n": 10_000, "repeats": 3, "help_runs": 10},
        "upload": {
            "count": 100,
            "latencies": [0, 50],
            "large": 999_000_000,
            "chunk": 20_000_000,
            "parallel": 4,
            "parallel_mib": 100,
        },
        "moderation": {"delays": [0.05, 0.7, 2.5, 6.0, 20.0], "repeats": 2},
        "profile": {"n": 10_000},
    }


def _warm_bytecode(compare_src: str | None) -> None:
    """Compile the package (and the compared one) once, as any first run would: with
    PYTHONDONTWRITEBYTECODE set, every start-up would otherwise recompile it."""
    spec = importlib.util.find_spec("cloudinary_presets")
    assert spec is not None
    assert spec.submodule_search_locations
    for path in [*spec.submodule_search_locations, *([compare_src] if compare_src else [])]:
        compileall.compile_dir(path, quiet=1)


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


METHOD = """\
How the numbers are made (details in `benchmarks/README.md`):

* **Emulator in its own process** for plan, apply and upload: `presets emulator --port 0`
  (in-memory SQLite), driven through its `/_emulator` control API (seed, faults, quota,
  stats). Latency is the emulator's fault rule `{"kind": "latency", "latency_ms": 50}` on every
  API request. The local CPU benchmark and the profiles use an in-process emulator only to
  build the remote listing, outside the timed part.
* **Admin API calls** are the emulator's own counters (`GET /_emulator/stats`, the difference
  before/after each run), never the client's.
* **Every measurement is a fresh interpreter** (`benchmarks/worker.py`); *wall time* is the whole
  process (start-up, imports, work, exit) unless a column says otherwise; *peak RSS* is that
  process's `VmHWM`, its peak resident set since `exec` (interpreter and imports included),
  so peaks are never shared.
* **Careful SDK** = `benchmarks/careful_sdk.py`, the fair baseline (official `cloudinary`
  SDK): the same presets as SDK keyword arguments in YAML read with libyaml
  (`yaml.CSafeLoader`), the listing alone in pages of 500 (it carries the settings: no GET
  per preset), a plain comparison that normalises booleans, lists and maps (checked to find
  exactly the edited presets), then only the writes that differ, sequentially or from 8
  threads, and no read-back. **Naive SDK** = `benchmarks/naive_sdk.py`: list the names, then
  `cloudinary.api.upload_preset(name)` for each (one GET per preset), then the writes one
  at a time. **per-GET (our client)** = our transport, one `GET /upload_presets/<name>` per
  definition (what a Terraform provider's refresh does).
* **Side by side**: ours and the careful script alternate run after run (plan: 5 runs each;
  the apply pairs the targets compare: 3 runs each); the tables give medians, so a change in
  the machine's load hits both alike. Ratios are computed from the same run's numbers.
  Values marked † are extrapolated (see the note under the table); everything else was
  measured in this run.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run for CI")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--compare-src", help="another source tree to compare the local CPU numbers with"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="replace the --only sections in results.json and RESULTS.md, keep the others",
    )
    parser.add_argument(
        "--no-extrapolate", action="store_true", help="measure every sequential run at 50 ms"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the report (default: RESULTS.md; with --quick or --only, "
        ".work/RESULTS.md, so a smoke run never overwrites the committed results)",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        help="measure nothing: render RESULTS.md again from a results.json of an earlier run",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        args.out = args.out or HERE / "RESULTS.md"
        data = json.loads(args.from_json.read_text(encoding="utf-8"))
        sections = {name: REPORTS[name](data["sections"][name]) for name in data["sections"]}
        if targets.judge(data["sections"]):
            sections = {"targets": targets.report(data["sections"]), **sections}
        args.out.write_text(render(data, sections), encoding="utf-8")
        log(f"wrote {args.out} from {args.from_json}")
        return 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    if args.update and args.quick:
        parser.error("--update replaces measured sections of the full run: not with --quick")
    if args.out is None:
        partial = not args.update and (args.quick or set(only) != set(SECTIONS))
        args.out = HERE / ".work" / "RESULTS.md" if partial else HERE / "RESULTS.md"
        args.out.parent.mkdir(exist_ok=True)
    config = _config(args.quick, not args.no_extrapolate)
    compare = str(Path(args.compare_src).resolve()) if args.compare_src else None
    started = time.perf_counter()
    load_before = _load()
    _warm_bytecode(compare)
    info = machine()
    log(f"benchmarks: {', '.join(only)}{' (quick)' if args.quick else ''} on {info['cpu']}")
    data: dict[str, Any] = {"machine": info, "quick": args.quick, "config": config, "sections": {}}
    sections: dict[str, str] = {}
    if "plan" in only:
        data["sections"]["plan"] = bench_plan.run(**config["plan"])
        sections["plan"] = bench_plan.report(data["sections"]["plan"])
    if "apply" in only:
        data["sections"]["apply"] = bench_apply.run(**config["apply"])
        sections["apply"] = bench_apply.report(data["sections"]["apply"])
    if "local" in only:
        data["sections"]["local"] = bench_local.run(**config["local"], compare_src=compare)
        sections["local"] = bench_local.report(data["sections"]["local"])
    if "upload" in only:
        data["sections"]["upload"] = bench_upload.run(**config["upload"])
        sections["upload"] = bench_upload.report(data["sections"]["upload"])
    if "moderation" in only:
        data["sections"]["moderation"] = bench_moderation.run(**config["moderation"])
        sections["moderation"] = bench_moderation.report(data["sections"]["moderation"])
    if "profile" in only:
        data["sections"]["profile"] = bench_profile.run(**config["profile"], compare_src=compare)
        sections["profile"] = bench_profile.report(data["sections"]["profile"])
    if targets.judge(data["sections"]):
        sections = {"targets": targets.report(data["sections"]), **sections}
    elapsed = time.perf_counter() - started
    data["seconds"] = elapsed
    data["load_average"] = {"before": load_before, "after": _load()}
    if args.update:
        data, sections = _merged(args.out.with_name("results.json"), data, elapsed)
    args.out.write_text(render(data, sections), encoding="utf-8")
    args.out.with_name("results.json").write_text(
        json.dumps(data, indent=1, default=str), encoding="utf-8"
    )
    if args.out == HERE / "RESULTS.md" and targets.update_headline(
        DOCS_HEADLINE, data["sections"], info["date"]
    ):
        log(f"updated the headline of {DOCS_HEADLINE}")
    for name in sections:
        print(f"\n## {name}\n\n{sections[name]}")
    log(f"wrote {args.out} ({fmt_seconds(elapsed)})")
    return 0


def _merged(
    previous_json: Path, fresh: dict[str, Any], elapsed: float
) -> tuple[dict[str, Any], dict[str, str]]:
    """The earlier full run with ``fresh``'s sections measured again (``--update``)."""
    data: dict[str, Any] = json.loads(previous_json.read_text(encoding="utf-8"))
    updated = data.setdefault("updated", {})
    for name, section in fresh["sections"].items():
        data["sections"][name] = section
        data["config"][name] = fresh["config"][name]
        updated[name] = {
            "date": fresh["machine"]["date"],
            "seconds": elapsed,
            "load_average": fresh["load_average"],
        }
    ordered = {name: data["sections"][name] for name in SECTIONS if name in data["sections"]}
    return data, {name: REPORTS[name](section) for name, section in ordered.items()}


REPORTS = {
    "plan": bench_plan.report,
    "apply": bench_apply.report,
    "local": bench_local.report,
    "upload": bench_upload.report,
    "moderation": bench_moderation.report,
    "profile": bench_profile.report,
}

TITLES = {
    "targets": (
        "Targets: against the careful SDK user",
        "The goals of issue 16, judged from this run's numbers: ours against the careful SDK "
        "script (`benchmarks/careful_sdk.py`), measured side by side.",
    ),
    "plan": (
        "Plan cost versus the number of remote presets",
        "Same N presets (10 % edited) and N remote presets for every variant. The physical "
        "limit is ceil(N/500) list calls (500 presets per page). *time ÷ careful SDK* above 1 "
        "means slower than the careful script.",
    ),
    "apply": (
        "Apply cost: N changes at parallelism 1, 4, 8",
        "Half of the N changes are creates, half updates (the remote holds the odd presets with "
        "other settings). Every run starts from the same emulator state; the emulator's `writes` "
        "counter is checked to equal N.",
    ),
    "local": (
        "Local CPU: load + validate + diff, and start-up",
        "Files generated in a temporary directory (8 families of realistic presets, comments, "
        "flow and block YAML); best of the repeated runs, CPU time in brackets.",
    ),
    "upload": (
        "Upload throughput and memory",
        "Every upload is signed and counted by the emulator.",
    ),
    "moderation": (
        "Waiting for moderation verdicts",
        "Admin API calls spent polling for one asset's verdict, and how late it is seen, "
        "for decisions landing 50 ms to 20 s after the upload (`bench_moderation.py`).",
    ),
    "profile": (
        "Profiles of the hot paths",
        "pyinstrument, one run each; see the optimisation notes in `benchmarks/README.md`.",
    ),
}


def render(data: dict[str, Any], sections: dict[str, str]) -> str:
    info = data["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python benchmarks/run.py{' --quick' if data['quick'] else ''}` on "
        f"{info['date']} "
        f"in {fmt_seconds(data['seconds'])}. Load average (1/5/15 min) before: "
        f"{data['load_average']['before']}, after: {data['load_average']['after']} "
        "(other processes on the machine disturb wall times; CPU times are given where it "
        "matters).",
        "",
        "## Machine",
        "",
        table(["", ""], [[k, v] for k, v in info.items()]),
        "",
        "## Method",
        "",
        METHOD,
    ]
    for number, name in enumerate(sections, start=1):
        title, intro = TITLES[name]
        again = data.get("updated", {}).get(name)
        if again:
            intro += (
                f" (This section was measured again on {again['date']} with "
                f"`python benchmarks/run.py --only {name} --update`, in "
                f"{fmt_seconds(again['seconds'])}; load average before: "
                f"{again['load_average']['before']}, after: {again['load_average']['after']}.)"
            )
        lines += [f"## {number}. {title}", "", intro, "", sections[name], ""]
    lines += [
        "## Test strength: mutation scores",
        "",
        "Not measured by this run: the counts recorded by `python benchmarks/mutation.py` "
        "(`benchmarks/mutation/<group>.json`); the method and what survives are in "
        "[docs/mutation-testing.md](../docs/mutation-testing.md).",
        "",
        mutation.report(list(mutation.groups())),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
