"""Local CPU: load + validate + diff 10,000 presets, and the CLI's start-up.

No network. Each measurement runs in a fresh interpreter (``worker.py``); times are the
best of several runs (the least disturbed by other processes on the machine), with the
CPU time of the same run next to them. With ``--compare-src DIR`` the same measurements
also run against another source tree (``PYTHONPATH=DIR``), side by side.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus
from common import (
    PRESETS_CLI,
    PYTHON,
    REPO,
    fmt_mib,
    fmt_ratio,
    fmt_seconds,
    log,
    measure,
    median,
    table,
)

TARGET_SECONDS = 2.0
#: one preset with this many tags must validate in under TARGET_SECONDS (issue 12: linear)
MANY_TAGS = 100_000


# --------------------------------------------------------------------------- worker tasks


def _timed(func: Any, *args: Any, **kwargs: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def validate(presets: str) -> dict[str, Any]:
    """``validate_tree`` on the folder: read, parse (strict YAML, libyaml), validate, lint."""
    started = time.perf_counter()
    from cloudinary_presets.definitions.loader import validate_tree

    imported = time.perf_counter() - started
    report, wall, cpu = _timed(validate_tree, Path(presets))
    return {
        "seconds": wall,
        "cpu_seconds": cpu,
        "import_seconds": imported,
        "presets": len(report.presets),
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }


def validate_parallel(presets: str, processes: int = 2) -> dict[str, Any]:
    """Experiment (not what the library does): parse in ``processes`` forked workers,
    send the documents back (pickled), validate in the parent."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from cloudinary_presets.definitions.loader import check_documents, find_files

    def run() -> Any:
        paths = find_files(Path(presets))
        parts = [paths[i::processes] for i in range(processes)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            documents = [doc for part in pool.map(_read_part, parts) for doc in part]
        return check_documents(documents, files=len(paths))

    report, wall, cpu = _timed(run)
    return {"seconds": wall, "cpu_seconds": cpu, "presets": len(report.presets)}


def _read_part(paths: list[Path]) -> list[Any]:
    from cloudinary_presets.definitions.loader import read_document

    return [read_document(path) for path in paths]


def cli_validate(presets: str) -> dict[str, Any]:
    """``presets validate PATH`` as its own process (the only child of this worker)."""
    import resource

    started = time.perf_counter()
    root = str(Path(presets).parent)
    done = subprocess.run(
        [PRESETS_CLI, "validate", "--root", root, presets], capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"presets validate failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    # The only child of this small worker: its ru_maxrss is the CLI's peak (Linux carries a
    # parent's RSS over fork + exec, but this worker is far smaller than the CLI's peak).
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "child_peak_rss_mib": child_peak,
        "summary": done.stdout.strip().splitlines()[-1],
    }


def plan_diff(root: str, n: int, trace: bool = False) -> dict[str, Any]:
    """Pure planning of ``n`` definitions against ``n`` remote presets (10 % differ):
    decode the remote listing (``read_remote``) and diff (``build_plan``)."""
    import tracemalloc

    from cloudinary_presets.cloudinary.remote import Snapshot, read_remote
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.emulator import Emulator
    from cloudinary_presets.planning.plan import TargetInfo, build_plan

    project = Project.open(Path(root))
    desired = project.desired(project.environment(None), {})
    emulator = Emulator(":memory:")
    try:
        emulator.seed_presets(
            "demo", [corpus.remote_body(i, changed=i % 10 == 0) for i in range(n)]
        )
        listing = emulator.presets("demo")  # what GET /upload_presets pages carry
    finally:
        emulator.stop()
    corpus._preset.cache_clear()
    gc.collect()
    out: dict[str, Any] = {}
    if trace:
        tracemalloc.start()
    remote, out["decode_seconds"], out["decode_cpu_seconds"] = _timed(
        lambda: {raw["name"]: read_remote(raw) for raw in listing}
    )
    if trace:
        out["decode_traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.reset_peak()
    info = TargetInfo("benchmark", "demo", "local", "-")
    plan, out["seconds"], out["cpu_seconds"] = _timed(build_plan, desired, Snapshot(remote), info)
    if trace:
        out["plan_traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out["counts"] = plan.counts
    return out


# --------------------------------------------------------------------------- start-up


def command_times(args: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall times of ``presets ARGS`` (a new process each time)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([PRESETS_CLI, *args], capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - started)
    return times


#: packages whose import cost is worth naming (cumulative, at their first import)
KEY_MODULES = (
    "click",
    "pydantic",
    "yaml",
    "requests",
    "jsonschema",
    "cloudinary_presets.model.preset",
    "cloudinary_presets.definitions.config",
    "cloudinary_presets.cloudinary.transport",
    "cloudinary_presets.cloudinary.codec",
    "cloudinary_presets.definitions.loader",
    "cloudinary_presets.operations.apply",
)


def import_profile(module: str, env: dict[str, str] | None = None, top: int = 6) -> dict[str, Any]:
    """``python -X importtime -c 'import MODULE'``: the total, the key packages'
    cumulative times, and the modules with the most self time."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| *(\S+)", line)
        if match:
            rows.append((int(match.group(1)), int(match.group(2)), match.group(3)))
    cumulative = {name: us for _, us, name in rows}
    return {
        "total_ms": cumulative.get(module, 0) / 1000,
        "key": [(name, cumulative[name] / 1000) for name in KEY_MODULES if name in cumulative],
        "self": [(name, us / 1000) for us, _, name in sorted(rows, reverse=True)[:top]],
    }


def _lazy_check(env: dict[str, str] | None = None) -> list[str]:
    """Heavy modules that ``import cloudinary_presets.cli`` loads (should be none)."""
    code = (
        "import sys, cloudinary_presets.cli; "
        "print(' '.join(m for m in ('pydantic', 'requests', 'yaml', 'jsonschema', "
        "'cloudinary_presets.model.preset', 'cloudinary_presets.cloudinary.transport', "
        "'cloudinary_presets.emulator') "
        "if m in sys.modules))"
    )
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, env=env)
    return done.stdout.split()


# --------------------------------------------------------------------------- orchestration


def _env(src: str | None) -> dict[str, str] | None:
    if src is None:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = src
    return env


def _best(task: str, args: dict[str, Any], repeats: int, src: str | None) -> dict[str, Any]:
    runs = [measure(task, args, env=_env(src)) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["seconds"])
    best["runs"] = [r["seconds"] for r in runs]
    return best


def run(n: int, *, repeats: int, help_runs: int, compare_src: str | None) -> dict[str, Any]:
    trees: dict[str, Any] = {"n": n, "sources": {}}
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        log(f"local: writing {n:,} preset files")
        root = corpus.write_tree(Path(tmp) / "project", range(n))
        presets = str(root / "presets")
        small = Path(tmp) / "examples"  # the repository's 3 example presets
        shutil.copytree(REPO / "presets", small / "presets")
        size = sum(p.stat().st_size for p in (root / "presets").rglob("*.yaml"))
        trees["bytes"] = size
        many_tags = corpus.write_many_tags(Path(tmp) / "many-tags", MANY_TAGS)
        trees["many_tags"] = {
            "tags": MANY_TAGS,
            "bytes": sum(p.stat().st_size for p in many_tags.glob("*.yaml")),
        }
        sources = {"after (this tree)": None}
        if compare_src:
            sources = {"before (" + compare_src + ")": compare_src, **sources}
        for label, src in sources.items():
            log(f"local [{label}]: validate_tree ×{repeats}")
            result: dict[str, Any] = {}
            result["validate"] = _best("bench_local.validate", {"presets": presets}, repeats, src)
            log(f"  -> {fmt_seconds(result['validate']['seconds'])}")
            result["cli_validate"] = _best(
                "bench_local.cli_validate", {"presets": presets}, repeats, src
            )
            log(f"  presets validate -> {fmt_seconds(result['cli_validate']['seconds'])}")
            result["many_tags"] = _best(
                "bench_local.validate", {"presets": str(many_tags)}, repeats, src
            )
            log(f"  one file, {MANY_TAGS:,} tags -> {fmt_seconds(result['many_tags']['seconds'])}")
            result["plan"] = _best(
                "bench_local.plan_diff", {"root": str(root), "n": n}, repeats, src
            )
            result["plan_memory"] = measure(
                "bench_local.plan_diff", {"root": str(root), "n": n, "trace": True}, env=_env(src)
            )
            log(f"  build_plan -> {fmt_seconds(result['plan']['seconds'])}")
            help_env = _env(src)
            result["help"] = command_times(["--help"], help_runs, help_env)
            result["small_validate"] = command_times(
                ["validate", "--root", str(small), str(small / "presets")], help_runs, help_env
            )
            result["import_cli"] = import_profile("cloudinary_presets.cli", help_env)
            result["import_workflow"] = import_profile(
                "cloudinary_presets.operations.workflow", help_env
            )
            result["cli_loads"] = _lazy_check(help_env)
            trees["sources"][label] = result
        log("local: parallel parsing experiment (2 processes)")
        trees["parallel"] = _best(
            "bench_local.validate_parallel", {"presets": presets, "processes": 2}, repeats, None
        )
    return trees


def report(data: dict[str, Any]) -> str:
    n = data["n"]
    sources = data["sources"]
    labels = list(sources)
    out = []
    rows = []

    def add(
        what: str,
        key: str,
        field: str = "seconds",
        cpu: str | None = "cpu_seconds",
        mem: str | None = "peak_rss_mib",
    ) -> None:
        cells = [what]
        for label in labels:
            r = sources[label][key]
            text = fmt_seconds(r[field])
            if cpu and cpu in r:
                text += f" (CPU {fmt_seconds(r[cpu])})"
            cells.append(text)
            cells.append(fmt_mib(r.get(mem)) if mem else "")
        if len(labels) == 2:
            before, after = (sources[label][key][field] for label in labels)
            cells.append(fmt_ratio(before / after) + " faster" if after else "n/a")
        rows.append(cells)

    add(f"`validate_tree` on {n:,} files ({data['bytes'] / 2**20:.1f} MiB)", "validate")
    add(
        f"`presets validate` (whole process) on {n:,} files",
        "cli_validate",
        cpu=None,
        mem="child_peak_rss_mib",
    )
    tags = data.get("many_tags")
    if tags:
        add(
            f"`validate_tree` on one file with {tags['tags']:,} tags "
            f"({tags['bytes'] / 1024:.0f} KB)",
            "many_tags",
        )
    add(
        f"decode the remote listing: `read_remote` ×{n:,}",
        "plan",
        field="decode_seconds",
        cpu="decode_cpu_seconds",
        mem=None,
    )
    add(f"`build_plan` {n:,} desired vs {n:,} remote (10 % differ)", "plan", mem=None)
    headers = ["measurement"]
    for label in labels:
        headers += [label, "peak RSS"]
    if len(labels) == 2:
        headers.append("speed-up")
    out.append(table(headers, rows))
    after = sources[labels[-1]]
    v = after["validate"]["seconds"]
    verdict = "meets" if v < TARGET_SECONDS else "MISSES"
    out.append(
        f"\nTarget: validating {n:,} files in under {TARGET_SECONDS:g} s on a 2-core machine: "
        f"**{verdict}** it ({fmt_seconds(v)} wall, best of {len(after['validate']['runs'])}; "
        "all runs: " + ", ".join(fmt_seconds(x) for x in after["validate"]["runs"]) + ")."
    )
    if tags:
        t = after["many_tags"]["seconds"]
        verdict = "meets" if t < TARGET_SECONDS else "MISSES"
        out.append(
            f"\nTarget: one preset with {tags['tags']:,} tags validates in under "
            f"{TARGET_SECONDS:g} s (validation is linear in the size of a value): **{verdict}** "
            f"it ({fmt_seconds(t)}). Before issue 12 the duplicate check searched a list, which "
            "is quadratic in the number of tags."
        )
    par = data["parallel"]
    out.append(
        "\nParallel parsing experiment (2 forked processes, documents pickled back, validation "
        f"in the parent): {fmt_seconds(par['seconds'])} vs {fmt_seconds(v)} in one process "
        f"({fmt_ratio(v / par['seconds'])}); not a clear win on 2 cores, so the library stays "
        "single-process."
    )
    mem = after["plan_memory"]
    out.append(
        f"\nMemory (tracemalloc, separate run): decoding {n:,} remote presets peaks at "
        f"{mem['decode_traced_peak_mib']:.0f} MiB of Python allocations, `build_plan` at "
        f"{mem['plan_traced_peak_mib']:.0f} MiB (on top of the {n:,} definitions already loaded). "
        f"Plan counts: {after['plan']['counts']}."
    )
    rows = []
    for label in labels:
        r = sources[label]
        helps = r["help"]
        rows.append(
            [
                label,
                fmt_seconds(median(helps)),
                fmt_seconds(min(helps)),
                fmt_seconds(median(r["small_validate"])),
                f"{r['import_cli']['total_ms']:.0f} ms",
                f"{r['import_workflow']['total_ms']:.0f} ms",
                ", ".join(r["cli_loads"]) or "none",
            ]
        )
    out.append(
        "\n"
        + table(
            [
                "source",
                f"`presets --help` median of {len(sources[labels[-1]]['help'])}",
                "min",
                "`presets validate` of the 3 example presets (median)",
                "`import cloudinary_presets.cli`",
                "`import cloudinary_presets.operations.workflow` (what plan/apply load)",
                "heavy modules loaded by the CLI import",
            ],
            rows,
        )
    )
    for key, module in (
        ("import_cli", "cloudinary_presets.cli"),
        ("import_workflow", "cloudinary_presets.operations.workflow"),
    ):
        profile = after[key]
        out.append(
            f"\n`python -X importtime -c 'import {module}'` ({profile['total_ms']:.0f} ms): "
            "cumulative "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in profile["key"])
            + "; most self time: "
            + ", ".join(f"{name} {ms:.1f} ms" for name, ms in profile["self"])
            + "."
        )
    return "\n".join(out)


if __name__ == "__main__":  # quick manual run: python benchmarks/bench_local.py [N]
    print(
        report(
            run(
                int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
                repeats=1,
                help_runs=3,
                compare_src=None,
            )
        )
    )
