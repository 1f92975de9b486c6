"""Apply cost: N changes (half creates, half updates) at parallelism 1, 4 and 8, against
the careful and the naive SDK scripts, with the emulator in its own process; and the quota
slow-down.

* **ours**: ``presets apply --yes --parallelism P`` through ``cli.main`` in a fresh
  interpreter: load and validate, list the remote (pages of 500), diff, write with P
  concurrent calls, then verify what was written;
* **careful SDK**: ``careful_sdk.apply``: the same presets as SDK keyword arguments in YAML,
  the listing in pages of 500, a plain comparison, then the writes that differ,
  sequentially or from 8 threads; no read-back;
* **naive SDK**: ``naive_sdk.apply``: list names, one ``upload_preset(name)`` per remote
  preset, then ``create_upload_preset`` / ``update_upload_preset`` one at a time.

The pairs the targets compare (ours at parallelism 1 and the sequential careful script at
0 ms; ours at parallelism 8 and the careful script with 8 threads) run side by side,
alternating, ``repeats`` times each; the others once.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
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

PARALLELISM = (1, 4, 8)


# --------------------------------------------------------------------------- worker tasks


def ours(url: str, root: str, parallelism: int) -> dict[str, Any]:
    from cloudinary_presets.cli import run as main  # the console script: main, then gc.freeze()

    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        started = time.perf_counter()
        code = main(
            ["apply", "--url", url, "--root", root, "--yes", "--parallelism", str(parallelism)]
        )
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"presets apply exited {code}")
    return {"seconds": seconds}


def naive(url: str, desired: str) -> dict[str, Any]:
    import naive_sdk

    return naive_sdk.apply(json.loads(Path(desired).read_text(encoding="utf-8")), url)


def quota_trace(url: str, root: str, parallelism: int) -> dict[str, Any]:
    """``apply_interactive`` with a progress callback that records, at each write's start,
    how many writes are in flight and the remaining quota the client last saw."""
    from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.apply import parallelism_for
    from cloudinary_presets.operations.target import Target
    from cloudinary_presets.operations.workflow import apply_interactive
    from cloudinary_presets.planning.plan import TargetInfo

    credentials = parse_cloudinary_url(url, "benchmark")
    target = Target(
        credentials, TargetInfo("benchmark", credentials.cloud_name, credentials.api_host, "-")
    )
    transports: list[Any] = []
    make = target.transport

    def capture(**kwargs: Any) -> Any:
        transports.append(make(**kwargs))
        return transports[-1]

    target.transport = capture  # type: ignore[method-assign]
    project = Project.open(Path(root))
    lock = threading.Lock()
    state = {"running": 0}
    events: list[dict[str, Any]] = []
    started = time.perf_counter()

    def on_event(event: Any) -> None:
        with lock:
            remaining = transports[0].quota.remaining if transports else None
            if event.kind == "start":
                state["running"] += 1
                events.append(
                    {
                        "t": time.perf_counter() - started,
                        "in_flight": state["running"],
                        "remaining": remaining,
                        "limit": parallelism_for(parallelism, remaining),
                    }
                )
            else:
                state["running"] -= 1

    _plan, report = apply_interactive(
        project,
        project.environment(None),
        target,
        {},
        confirm=lambda p: True,
        parallelism=parallelism,
        on_event=on_event,
    )
    seconds = time.perf_counter() - started
    target.close()
    return {
        "seconds": seconds,
        "events": events,
        "writes": len(report.done) if report else 0,
        "final_remaining": transports[0].quota.remaining if transports else None,
    }


# --------------------------------------------------------------------------- orchestration

CAREFUL_SEQUENTIAL = "careful SDK (sequential)"
CAREFUL_THREADS = "careful SDK (8 threads)"
NAIVE = "naive SDK (sequential)"


def ours_label(parallelism: int) -> str:
    return f"ours, parallelism {parallelism}"


VARIANTS = (*(ours_label(p) for p in PARALLELISM), CAREFUL_SEQUENTIAL, CAREFUL_THREADS, NAIVE)
SEQUENTIAL = (ours_label(1), CAREFUL_SEQUENTIAL, NAIVE)


def _prepare(work: Path, n: int) -> tuple[Path, Path, Path, list[dict[str, Any]]]:
    """N definitions; the remote holds the odd ones with other settings (updates), the
    even ones are missing (creates)."""
    root = corpus.write_tree(work / f"apply-{n}", range(n))
    sdk_root = corpus.write_sdk_tree(work / f"apply-sdk-{n}", range(n))
    desired = work / f"apply-{n}.json"
    desired.write_text(json.dumps([corpus.remote_body(i) for i in range(n)]), encoding="utf-8")
    seed = [corpus.remote_body(i, changed=True) for i in range(1, n, 2)]
    return root, sdk_root, desired, seed


def _jobs(
    url: str, root: Path, sdk_root: Path, desired: Path, latency: int, repeats: int
) -> list[Job]:
    def ours(p: int, reps: int) -> Job:
        args = {"url": url, "root": str(root), "parallelism": p}
        return Job(ours_label(p), "bench_apply.ours", args, reps)

    def careful(label: str, threads: int, reps: int) -> Job:
        return Job(
            label,
            "careful_sdk.apply",
            {"url": url, "root": str(sdk_root), "threads": threads},
            reps,
        )

    sequential_reps = 1 if latency else repeats  # a target at 0 ms; minutes each at 50 ms
    return [
        ours(1, sequential_reps),
        ours(4, 1),
        ours(8, repeats),
        careful(CAREFUL_SEQUENTIAL, 1, sequential_reps),
        careful(CAREFUL_THREADS, 8, repeats),
        Job(NAIVE, "bench_apply.naive", {"url": url, "desired": str(desired)}),
    ]


def run(
    sizes: list[int], latencies: list[int], *, extrapolate_over: int, quota_n: int, repeats: int
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp, emulator_process() as emu:
        work = Path(tmp)
        for n in sizes:
            log(f"apply: preparing {n} changes")
            root, sdk_root, desired, seed = _prepare(work, n)
            for latency in latencies:

                def fresh(latency: int = latency, seed: list[dict[str, Any]] = seed) -> None:
                    emu.reset()
                    emu.seed(seed)
                    emu.latency(latency)

                def check(label: str, result: dict[str, Any], n: int = n) -> None:
                    if result["writes"] != n:
                        raise RuntimeError(f"{label}: {result['writes']} writes, expected {n}")

                jobs = [
                    job
                    for job in _jobs(emu.cloudinary_url, root, sdk_root, desired, latency, repeats)
                    if not (job.label in SEQUENTIAL and latency and n > extrapolate_over)
                ]
                log(f"apply: N={n} latency={latency} ms")
                measured = interleaved(emu, jobs, before_each=fresh, after_each=check)
                for p in (1, 8) if not latency else (8,):
                    fresh()
                    measured[ours_label(p)]["phases"] = measure(
                        "phases.apply",
                        {"url": emu.cloudinary_url, "root": str(root), "parallelism": p},
                    )
                for variant, result in measured.items():
                    results.append({"n": n, "latency": latency, "variant": variant, **result})
        quota = _quota_case(emu, work, quota_n)
    extrapolate(results, sizes, latencies, SEQUENTIAL)
    return {"results": results, "quota": quota, "repeats": repeats}


def find(data: dict[str, Any], n: int, latency: int, variant: str) -> dict[str, Any] | None:
    """One result of an apply run's data."""
    return next(
        (
            r
            for r in data["results"]
            if (r["n"], r["latency"], r["variant"]) == (n, latency, variant)
        ),
        None,
    )


def _quota_case(emu: Any, work: Path, n: int) -> dict[str, Any]:
    """N creates at parallelism 8 and 50 ms, with plenty of quota, then with just enough."""
    root = corpus.write_tree(work / f"quota-{n}", range(n))
    out: dict[str, Any] = {"n": n}
    for label, remaining in (("plenty", None), ("low", n + 15)):
        emu.reset()
        emu.latency(50)
        if remaining is not None:
            emu.set_quota(limit=2000, remaining=remaining)
        log(f"apply: quota case ({label}, remaining {remaining})")
        before = emu.stats()
        result = measure(
            "bench_apply.quota_trace",
            {"url": emu.cloudinary_url, "root": str(root), "parallelism": 8},
        )
        result["calls"] = emu.stats()["admin_calls"] - before["admin_calls"]
        result["start_remaining"] = remaining
        out[label] = result
    return out


def report(data: dict[str, Any]) -> str:
    results = data["results"]
    rows, notes = [], []
    for latency, n in sorted({(r["latency"], r["n"]) for r in results}):
        for variant in VARIANTS:
            r = find(data, n, latency, variant)
            if r is None:
                continue
            mark = ""
            if r.get("extrapolated"):
                mark = " †"
                notes.append(f"N={n:,}, {latency} ms, {variant}: {r['extrapolated']}")
            runs = len(r.get("all_seconds") or [r["seconds"]])
            minimum = ceil_div(n // 2, 500) + n + ceil_div(n, 500)

            def versus(
                baseline: str, r: dict[str, Any] = r, n: int = n, latency: int = latency
            ) -> str:
                base = find(data, n, latency, baseline)
                return fmt_ratio(r["seconds"] / base["seconds"]) if base else "n/a"

            rows.append(
                [
                    f"{n:,}",
                    f"{latency} ms",
                    f"**{variant}**" if variant.startswith("ours") else variant,
                    f"{r['calls']:,}",
                    f"{minimum:,}",
                    fmt_seconds(r["seconds"]) + mark + (f" (median of {runs})" if runs > 1 else ""),
                    f"{n / r['seconds']:.0f}/s",
                    fmt_mib(r["peak_rss_mib"]),
                    versus(CAREFUL_SEQUENTIAL),
                    versus(CAREFUL_THREADS),
                ]
            )
    out = [
        table(
            [
                "N changes",
                "latency",
                "variant",
                "Admin API calls",
                "ours' minimum (list + writes + verify)",
                "wall time",
                "changes/s",
                "peak RSS",
                "time ÷ careful SDK (sequential)",
                "time ÷ careful SDK (8 threads)",
            ],
            rows,
        )
    ]
    if notes:
        out.append("\n† extrapolated, not measured: " + "; ".join(notes) + ".")
    quota = data["quota"]
    out.append("\n" + _quota_report(quota))
    return "\n".join(out)


def _quota_report(quota: dict[str, Any]) -> str:
    n = quota["n"]
    low, plenty = quota["low"], quota["plenty"]
    phases: dict[int, dict[str, Any]] = {}
    for event in low["events"]:
        phase = phases.setdefault(
            event["limit"], {"writes": 0, "max_in_flight": 0, "first": event, "last": event}
        )
        phase["writes"] += 1
        phase["max_in_flight"] = max(phase["max_in_flight"], event["in_flight"])
        phase["last"] = event
    rows = []
    for limit in sorted(phases, reverse=True):
        p = phases[limit]
        rows.append(
            [
                f"{p['first']['remaining']} → {p['last']['remaining']}",
                str(limit),
                str(p["max_in_flight"]),
                str(p["writes"]),
                fmt_seconds(p["last"]["t"] - p["first"]["t"]),
            ]
        )
    head = (
        f"Quota slow-down: {n} creates, `--parallelism 8`, 50 ms latency. With plenty of quota "
        f"the apply takes {fmt_seconds(plenty['seconds'])} ({plenty['calls']} Admin API calls); "
        "with the hourly quota set "
        f"to leave {low['start_remaining']} calls it takes {fmt_seconds(low['seconds'])} "
        f"({fmt_ratio(low['seconds'] / plenty['seconds'])} longer, {low['calls']} calls, "
        f"{low['final_remaining']} left at the end, no call refused) because "
        "`apply.parallelism_for` lowers the "
        "concurrency as the remaining quota reported in `X-FeatureRateLimit-Remaining` drops:"
    )
    return (
        head
        + "\n\n"
        + table(
            [
                "remaining quota seen at write start",
                "allowed parallelism",
                "max writes in flight",
                "writes",
                "phase duration",
            ],
            rows,
        )
    )
