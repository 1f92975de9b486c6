"""Plan cost versus the number of remote presets, against the emulator in its own process.

Three ways to learn what to change, each from the same N definitions (10 % of them
edited) and the same N remote presets:

* **ours**: ``presets plan`` (run in-process through ``cli.main`` in a fresh interpreter):
  load and validate the files, list the remote in pages of 500, decode, diff, render;
* **per-GET (our client)**: the same definitions and diff, but the remote is read with one
  ``GET /upload_presets/<name>`` per preset through our own transport: what a Terraform
  provider's refresh does (it reads each resource in its state; no listing);
* **naive SDK**: ``naive_sdk.plan``: list the names with ``cloudinary.api.upload_presets``,
  then ``cloudinary.api.upload_preset(name)`` for each, then compare.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus
from common import (
    ceil_div,
    emulator_process,
    extrapolate,
    fmt_mib,
    fmt_ratio,
    fmt_seconds,
    log,
    measure,
    median,
    table,
)

CHANGED_SHARE = 10  # percent of definitions edited (planned as updates)


# --------------------------------------------------------------------------- worker tasks


def ours(url: str, root: str) -> dict[str, Any]:
    """``presets plan --url URL --root ROOT`` through the real CLI entry point."""
    from cloudinary_presets.cli import main

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        started = time.perf_counter()
        code = main(["plan", "--url", url, "--root", root])
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"presets plan exited {code}")
    return {"seconds": seconds}


def per_get(url: str, root: str) -> dict[str, Any]:
    """Same definitions and diff as ``presets plan``, remote read with one GET per preset."""
    from pathlib import Path

    from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
    from cloudinary_presets.cloudinary.remote import RemotePresets, Snapshot
    from cloudinary_presets.cloudinary.transport import Transport
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.errors import NotFound
    from cloudinary_presets.planning.plan import TargetInfo, build_plan

    started = time.perf_counter()
    project = Project.open(Path(root))
    desired = project.desired(project.environment(None), {})
    credentials = parse_cloudinary_url(url, "benchmark")
    with Transport(credentials) as transport:
        remote = RemotePresets(transport)
        found = {}
        for d in desired:
            with contextlib.suppress(NotFound):
                found[d.remote_name] = remote.get(d.remote_name)
        snapshot = Snapshot(found, list_calls=transport.calls.total)
    info = TargetInfo("benchmark", credentials.cloud_name, credentials.api_host, "-")
    plan = build_plan(desired, snapshot, info)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "counts": plan.counts}


def naive(url: str, desired: str) -> dict[str, Any]:
    import naive_sdk

    return naive_sdk.plan(json.loads(Path(desired).read_text(encoding="utf-8")), url)


# --------------------------------------------------------------------------- orchestration


def _prepare(work: Path, n: int) -> tuple[Path, Path]:
    changed = {i for i in range(n) if i % (100 // CHANGED_SHARE) == 0}
    root = corpus.write_tree(work / f"plan-{n}", range(n), changed=changed)
    desired = work / f"plan-{n}.json"
    bodies = [corpus.remote_body(i, changed=i in changed) for i in range(n)]
    desired.write_text(json.dumps(bodies), encoding="utf-8")
    return root, desired


def _run(emu: Any, task: str, args: dict[str, Any], repeats: int) -> dict[str, Any]:
    """Median time of ``repeats`` runs; calls per endpoint from the emulator's counters."""
    runs = []
    for _ in range(repeats):
        before = emu.stats()
        result = measure(task, args)
        after = emu.stats()
        result["calls"] = after["admin_calls"] - before["admin_calls"]
        result["by_endpoint"] = {
            k: after["requests"][k] - before["requests"][k]
            for k in after["requests"]
            if after["requests"][k] != before["requests"][k]
        }
        runs.append(result)
    for r in runs:
        r["work_seconds"], r["seconds"] = r["seconds"], r["process_seconds"]
    chosen = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    chosen["all_seconds"] = [r["seconds"] for r in runs]
    chosen["seconds"] = median([r["seconds"] for r in runs])
    return chosen


def run(
    sizes: list[int], latencies: list[int], *, extrapolate_over: int, repeats: int
) -> dict[str, Any]:
    """Every (N, latency, variant) measurement; baselines above ``extrapolate_over`` presets
    at a non-zero latency are extrapolated (see ``extrapolate``)."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp, emulator_process() as emu:
        work = Path(tmp)
        for n in sizes:
            log(f"plan: preparing {n} definitions and remote presets")
            root, desired = _prepare(work, n)
            emu.reset()
            emu.seed([corpus.remote_body(i) for i in range(n)])
            for latency in latencies:
                emu.latency(latency)
                for variant, task, args, reps in (
                    (
                        "ours",
                        "bench_plan.ours",
                        {"url": emu.cloudinary_url, "root": str(root)},
                        repeats,
                    ),
                    (
                        "per-GET (our client)",
                        "bench_plan.per_get",
                        {"url": emu.cloudinary_url, "root": str(root)},
                        1,
                    ),
                    (
                        "naive SDK",
                        "bench_plan.naive",
                        {"url": emu.cloudinary_url, "desired": str(desired)},
                        1,
                    ),
                ):
                    if variant != "ours" and latency and n > extrapolate_over:
                        continue  # extrapolated below from the measured runs
                    log(f"plan: N={n} latency={latency} ms {variant}")
                    result = _run(emu, task, args, reps)
                    results.append({"n": n, "latency": latency, "variant": variant, **result})
                    log(
                        f"  -> {fmt_seconds(result['seconds'])}, {result['calls']} calls, "
                        f"{fmt_mib(result['peak_rss_mib'])}"
                    )
    extrapolate(results, sizes, latencies, ("per-GET (our client)", "naive SDK"))
    return {"results": results}


def report(data: dict[str, Any]) -> str:
    results = data["results"]
    rows = []
    notes = []
    keys = sorted({(r["latency"], r["n"]) for r in results})
    for latency, n in keys:
        group = {r["variant"]: r for r in results if r["n"] == n and r["latency"] == latency}
        ours_r = group.get("ours")
        for variant in ("ours", "per-GET (our client)", "naive SDK"):
            r = group.get(variant)
            if r is None:
                continue
            mark = ""
            if r.get("extrapolated"):
                notes.append(f"N={n}, {latency} ms, {variant}: {r['extrapolated']}")
                mark = " †"
            ratio_t = r["seconds"] / ours_r["seconds"] if ours_r else None
            ratio_c = r["calls"] / ours_r["calls"] if ours_r and ours_r["calls"] else None
            rows.append(
                [
                    f"{n:,}",
                    f"{latency} ms",
                    variant,
                    f"{r['calls']:,}",
                    f"{ceil_div(n, 500)}",
                    fmt_seconds(r["seconds"]) + mark,
                    fmt_mib(r["peak_rss_mib"]),
                    "1×" if variant == "ours" else fmt_ratio(ratio_c),
                    "1×" if variant == "ours" else fmt_ratio(ratio_t),
                ]
            )
    out = [
        table(
            [
                "N remote",
                "latency",
                "variant",
                "Admin API calls",
                "limit ceil(N/500)",
                "wall time",
                "peak RSS",
                "calls ÷ ours",
                "time ÷ ours",
            ],
            rows,
        )
    ]
    if notes:
        out.append("\n† extrapolated, not measured: " + "; ".join(notes) + ".")
    breakdown = sorted(
        {
            json.dumps(r["by_endpoint"], sort_keys=True) + f"|{r['variant']}|{r['n']}"
            for r in results
            if not r.get("extrapolated") and r["latency"] == 0
        }
    )
    out.append(
        "\nCalls by endpoint (emulator counters, 0 ms runs): "
        + "; ".join(
            f"{b.split('|')[1]} N={int(b.split('|')[2]):,}: "
            + ", ".join(f"{k} ×{v:,}" for k, v in json.loads(b.split("|")[0]).items())
            for b in breakdown
        )
        + "."
    )
    return "\n".join(out)
