"""Plan cost versus the number of remote presets, against the emulator in its own process.

Four ways to learn what to change, each from the same N presets (10 % of them edited)
against the same N remote presets:

* **ours**: ``presets plan`` (run in-process through ``cli.main`` in a fresh interpreter):
  load and validate the files, list the remote in pages of 500, decode, diff, render;
* **careful SDK**: ``careful_sdk.plan``, the fair baseline: the same presets as SDK
  keyword arguments in YAML (read with libyaml), the listing in pages of 500, a plain
  comparison; its plan is checked to find exactly the edited presets;
* **per-GET (our client)**: the same definitions and diff as ours, but the remote is read
  with one ``GET /upload_presets/<name>`` per preset through our own transport: what a
  Terraform provider's refresh does (it reads each resource in its state; no listing);
* **naive SDK (GET per preset)**: ``naive_sdk.plan``: list the names, then
  ``cloudinary.api.upload_preset(name)`` for each, then compare.

Ours and the careful script run side by side (alternating, ``repeats`` times each, the
median counts); one more run of ours with step timers (``phases.py``) says where the time
goes.
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
    Job,
    ceil_div,
    emulator_process,
    extrapolate,
    fmt_mib,
    fmt_ratio,
    fmt_seconds,
    interleaved,
    log,
    measure,
    table,
)

CHANGED_SHARE = 10  # percent of definitions edited (planned as updates)


# --------------------------------------------------------------------------- worker tasks


def ours(url: str, root: str) -> dict[str, Any]:
    """``presets plan --url URL --root ROOT`` through the real CLI entry point."""
    from cloudinary_presets.cli import run as main  # the console script: main, then gc.freeze()

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

OURS = "ours"
CAREFUL = "careful SDK"
PER_GET = "per-GET (our client)"
NAIVE = "naive SDK (GET per preset)"
VARIANTS = (OURS, CAREFUL, PER_GET, NAIVE)


def _prepare(work: Path, n: int) -> tuple[Path, Path, Path, set[int]]:
    changed = {i for i in range(n) if i % (100 // CHANGED_SHARE) == 0}
    root = corpus.write_tree(work / f"plan-{n}", range(n), changed=changed)
    sdk_root = corpus.write_sdk_tree(work / f"plan-sdk-{n}", range(n), changed=changed)
    desired = work / f"plan-{n}.json"
    bodies = [corpus.remote_body(i, changed=i in changed) for i in range(n)]
    desired.write_text(json.dumps(bodies), encoding="utf-8")
    return root, sdk_root, desired, changed


def run(
    sizes: list[int], latencies: list[int], *, extrapolate_over: int, repeats: int
) -> dict[str, Any]:
    """Every (N, latency, variant) measurement; the per-GET and naive baselines above
    ``extrapolate_over`` presets at a non-zero latency are extrapolated (``extrapolate``)."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp, emulator_process() as emu:
        work = Path(tmp)
        for n in sizes:
            log(f"plan: preparing {n} definitions and remote presets")
            root, sdk_root, desired, changed = _prepare(work, n)
            emu.reset()
            emu.seed([corpus.remote_body(i) for i in range(n)])
            for latency in latencies:
                emu.latency(latency)
                ours_args = {"url": emu.cloudinary_url, "root": str(root)}
                jobs = [
                    Job(OURS, "bench_plan.ours", ours_args, repeats),
                    Job(
                        CAREFUL,
                        "careful_sdk.plan",
                        {"url": emu.cloudinary_url, "root": str(sdk_root)},
                        repeats,
                    ),
                ]
                if not latency or n <= extrapolate_over:  # else extrapolated below
                    jobs.append(Job(PER_GET, "bench_plan.per_get", ours_args))
                    naive_args = {"url": emu.cloudinary_url, "desired": str(desired)}
                    jobs.append(Job(NAIVE, "bench_plan.naive", naive_args))
                log(f"plan: N={n} latency={latency} ms")
                measured = interleaved(emu, jobs)
                careful = measured[CAREFUL]
                if (careful["creates"], careful["updates"]) != (0, len(changed)):
                    raise RuntimeError(
                        f"the careful script planned {careful['creates']} creates and "
                        f"{careful['updates']} updates, expected 0 and {len(changed)}"
                    )
                measured[OURS]["phases"] = measure("phases.plan", ours_args)
                for variant, result in measured.items():
                    results.append({"n": n, "latency": latency, "variant": variant, **result})
    extrapolate(results, sizes, latencies, (PER_GET, NAIVE))
    return {"results": results, "repeats": repeats}


def find(data: dict[str, Any], n: int, latency: int, variant: str) -> dict[str, Any] | None:
    """One result of a plan run's data."""
    return next(
        (
            r
            for r in data["results"]
            if (r["n"], r["latency"], r["variant"]) == (n, latency, variant)
        ),
        None,
    )


def report(data: dict[str, Any]) -> str:
    results = data["results"]
    rows = []
    notes = []
    for latency, n in sorted({(r["latency"], r["n"]) for r in results}):
        careful = find(data, n, latency, CAREFUL)
        for variant in VARIANTS:
            r = find(data, n, latency, variant)
            if r is None:
                continue
            mark = ""
            if r.get("extrapolated"):
                notes.append(f"N={n:,}, {latency} ms, {variant}: {r['extrapolated']}")
                mark = " †"
            runs = len(r.get("all_seconds") or [r["seconds"]])
            rows.append(
                [
                    f"{n:,}",
                    f"{latency} ms",
                    f"**{variant}**" if variant == OURS else variant,
                    f"{r['calls']:,}",
                    f"{ceil_div(n, 500)}",
                    fmt_seconds(r["seconds"]) + mark + (f" (median of {runs})" if runs > 1 else ""),
                    fmt_mib(r["peak_rss_mib"]),
                    fmt_ratio(r["seconds"] / careful["seconds"]) if careful else "n/a",
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
                "time ÷ careful SDK",
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
