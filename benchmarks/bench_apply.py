"""Apply cost: N changes (half creates, half updates) at parallelism 1, 4 and 8, versus
the naive SDK script, against the emulator in its own process; and the quota slow-down.

* **ours**: ``presets apply --yes --parallelism P`` through ``cli.main`` in a fresh
  interpreter: load and validate, list the remote (pages of 500), diff, write with P
  concurrent calls, then one verifying list pass;
* **naive SDK**: ``naive_sdk.apply``: list names, one ``upload_preset(name)`` per remote
  preset, then ``create_upload_preset`` / ``update_upload_preset`` one at a time.
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
    ceil_div,
    emulator_process,
    extrapolate,
    fmt_mib,
    fmt_ratio,
    fmt_seconds,
    log,
    measure,
    table,
)

PARALLELISM = (1, 4, 8)


# --------------------------------------------------------------------------- worker tasks


def ours(url: str, root: str, parallelism: int) -> dict[str, Any]:
    from cloudinary_presets.cli import main

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


def _prepare(work: Path, n: int) -> tuple[Path, Path, list[dict[str, Any]]]:
    """N definitions; the remote holds the odd ones with other settings (updates), the
    even ones are missing (creates)."""
    root = corpus.write_tree(work / f"apply-{n}", range(n))
    desired = work / f"apply-{n}.json"
    desired.write_text(json.dumps([corpus.remote_body(i) for i in range(n)]), encoding="utf-8")
    seed = [corpus.remote_body(i, changed=True) for i in range(1, n, 2)]
    return root, desired, seed


def _run(
    emu: Any, task: str, args: dict[str, Any], seed: list[dict[str, Any]], latency: int
) -> dict[str, Any]:
    emu.reset()
    emu.seed(seed)
    emu.latency(latency)
    before = emu.stats()
    result = measure(task, args)
    after = emu.stats()
    result["work_seconds"], result["seconds"] = result["seconds"], result["process_seconds"]
    result["calls"] = after["admin_calls"] - before["admin_calls"]
    result["writes"] = after["writes"] - before["writes"]
    result["by_endpoint"] = {
        k: after["requests"][k] - before["requests"][k]
        for k in after["requests"]
        if after["requests"][k] != before["requests"][k]
    }
    return result


def run(
    sizes: list[int], latencies: list[int], *, extrapolate_over: int, quota_n: int
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp, emulator_process() as emu:
        work = Path(tmp)
        for n in sizes:
            log(f"apply: preparing {n} changes")
            root, desired, seed = _prepare(work, n)
            for latency in latencies:
                variants: list[tuple[str, str, dict[str, Any]]] = [
                    (
                        f"ours, parallelism {p}",
                        "bench_apply.ours",
                        {"url": emu.cloudinary_url, "root": str(root), "parallelism": p},
                    )
                    for p in PARALLELISM
                ]
                variants.append(
                    (
                        "naive SDK (sequential)",
                        "bench_apply.naive",
                        {"url": emu.cloudinary_url, "desired": str(desired)},
                    )
                )
                for variant, task, args in variants:
                    sequential = variant.startswith("naive") or variant.endswith("parallelism 1")
                    if sequential and latency and n > extrapolate_over:
                        continue
                    log(f"apply: N={n} latency={latency} ms {variant}")
                    result = _run(emu, task, args, seed, latency)
                    if result["writes"] != n:
                        raise RuntimeError(f"{variant}: {result['writes']} writes, expected {n}")
                    results.append({"n": n, "latency": latency, "variant": variant, **result})
                    log(f"  -> {fmt_seconds(result['seconds'])}, {result['calls']} calls")
        quota = _quota_case(emu, work, quota_n)
    extrapolate(results, sizes, latencies)
    return {"results": results, "quota": quota}


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
        group = {r["variant"]: r for r in results if (r["n"], r["latency"]) == (n, latency)}
        naive_r = group.get("naive SDK (sequential)")
        for variant in [f"ours, parallelism {p}" for p in PARALLELISM] + ["naive SDK (sequential)"]:
            r = group.get(variant)
            if r is None:
                continue
            mark = ""
            if r.get("extrapolated"):
                mark = " †"
                notes.append(f"N={n:,}, {latency} ms, {variant}: {r['extrapolated']}")
            minimum = ceil_div(n // 2, 500) + n + ceil_div(n, 500)
            rows.append(
                [
                    f"{n:,}",
                    f"{latency} ms",
                    variant,
                    f"{r['calls']:,}",
                    f"{minimum:,}",
                    fmt_seconds(r["seconds"]) + mark,
                    f"{n / r['seconds']:.0f}/s",
                    fmt_mib(r["peak_rss_mib"]),
                    fmt_ratio(naive_r["seconds"] / r["seconds"]) if naive_r else "n/a",
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
                "speed-up vs naive",
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
