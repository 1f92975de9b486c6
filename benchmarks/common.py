"""Shared machinery: the machine description, measurements in fresh subprocesses, the
emulator in its own process, and Markdown tables.

Every measurement that reports memory runs in its own Python process (``worker.py``),
so one peak never hides another: the worker reports its own ``ru_maxrss`` (peak
resident set size of that process only) next to the wall time of the measured call.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PRESETS_CLI = str(BIN / "presets")
#: an hourly quota no benchmark run reaches (the quota case sets its own)
HIGH_QUOTA = 10_000_000


# --------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def _ram() -> str:
    try:
        text = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else "unknown"


def _os() -> str:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
        match = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', text, re.MULTILINE)
        distro = match.group(1) if match else ""
    except OSError:
        distro = ""
    return f"{platform.system()} {platform.release()}" + (f" ({distro})" if distro else "")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    import yaml

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": f"{os.cpu_count()} logical ({affinity} usable by this process)",
        "ram": _ram(),
        "os": _os(),
        "python": f"{platform.python_implementation()} {platform.python_version()} ({PYTHON})",
        "cloudinary-presets": _version("cloudinary-presets"),
        "pydantic": f"{_version('pydantic')} (pydantic-core {_version('pydantic-core')})",
        "PyYAML": f"{_version('PyYAML')} (libyaml: {'yes' if yaml.__with_libyaml__ else 'NO'})",
        "requests": _version("requests"),
        "urllib3": _version("urllib3"),
        "cloudinary (SDK)": _version("cloudinary"),
        "pyinstrument": _version("pyinstrument"),
    }


# --------------------------------------------------------------------------- subprocess


def measure(
    task: str,
    args: dict[str, Any] | None = None,
    *,
    timeout: float = 3600,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``worker.py TASK ARGS`` in a fresh interpreter; returns the task's result plus
    ``seconds`` (the measured call), ``peak_rss_mib`` and ``process_seconds``."""
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, str(HERE / "worker.py"), task, json.dumps(args or {})],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO),
        env=_clean_env(env),
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"worker {task} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(
            f"worker {task} printed no result:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    result["process_seconds"] = elapsed
    return result


def _clean_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The benchmark's environment without credentials, proxies or CI flags."""
    env = {
        k: v
        for k, v in (base if base is not None else os.environ).items()
        if not k.startswith(("CLOUDINARY_", "GITHUB_"))
        and k not in ("CI", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
    }
    env["NO_COLOR"] = "1"
    return env


# --------------------------------------------------------------------------- emulator


class EmulatorProcess:
    """``presets emulator --port 0`` in its own process, driven over its control API.

    The client under test and the emulator then use separate interpreters (and cores):
    the emulator's request handling never competes with the client for one GIL.
    """

    def __init__(self, quota: int = HIGH_QUOTA, data: str | None = None) -> None:
        stored = ["--data", data] if data else []  # a file keeps gigabytes off the RAM
        self.proc = subprocess.Popen(
            [PRESETS_CLI, "emulator", "--port", "0", "--quota", str(quota), *stored],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_clean_env(),
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline().strip()
        if not first.startswith("CLOUDINARY_URL="):
            self.proc.kill()
            error = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"the emulator did not start: {first!r} {error}")
        self.cloudinary_url = first[len("CLOUDINARY_URL=") :]
        self.base = self.cloudinary_url.split("upload_prefix=", 1)[1]
        import requests  # lazily: worker processes import this module too

        self.session = requests.Session()
        self.session.trust_env = False

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.base}/_emulator/{path}", json=body, timeout=600
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"control {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response.json()

    def reset(self, *, latency_ms: float = 0) -> None:
        self.control("POST", "reset")
        self.latency(latency_ms)

    def latency(self, latency_ms: float) -> None:
        rules = [{"kind": "latency", "latency_ms": latency_ms}] if latency_ms else []
        self.control("POST", "faults", {"rules": rules, "seed": 1})

    def seed(self, bodies: Sequence[dict[str, Any]], cloud: str = "demo") -> None:
        for start in range(0, len(bodies), 2000):
            self.control(
                "POST", "seed", {"cloud": cloud, "presets": list(bodies[start : start + 2000])}
            )

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self.control("GET", "stats")
        return data

    def admin_calls(self) -> int:
        return int(self.stats()["admin_calls"])

    def set_quota(
        self, limit: int | None = None, remaining: int | None = None, cloud: str = "demo"
    ) -> None:
        self.control("POST", "quota", {"cloud": cloud, "limit": limit, "remaining": remaining})

    def close(self) -> None:
        self.session.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def emulator_process(quota: int = HIGH_QUOTA, data: str | None = None) -> Iterator[EmulatorProcess]:
    emu = EmulatorProcess(quota, data)
    try:
        yield emu
    finally:
        emu.close()


def requests_by_endpoint(stats: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in stats["requests"].items() if v}


@dataclass(frozen=True)
class Job:
    """One variant to measure: ``repeats`` runs of the worker task ``task``."""

    label: str
    task: str
    args: dict[str, Any]
    repeats: int = 1


def interleaved(
    emu: EmulatorProcess,
    jobs: Sequence[Job],
    *,
    before_each: Callable[[], None] | None = None,
    after_each: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Measure the jobs side by side: round after round, each job whose repeats are not
    done yet runs once, so a change in the machine's load hits every variant alike.

    Each run: ``before_each()`` (e.g. reset and seed the emulator), then the worker, with
    the emulator's counters read before and after, then ``after_each(label, result)`` (a
    check that raises). Returns, per label, the median run (by
    whole-process wall time) with ``seconds`` = the median, ``all_seconds`` = every run,
    ``work_seconds`` = the task's own timing, ``calls``/``writes``/``by_endpoint`` from the
    emulator's counters.
    """
    runs: dict[str, list[dict[str, Any]]] = {job.label: [] for job in jobs}
    for round_ in range(max(job.repeats for job in jobs)):
        for job in jobs:
            if round_ >= job.repeats:
                continue
            if before_each is not None:
                before_each()
            log(f"  {job.label} (run {round_ + 1}/{job.repeats})")
            before = emu.stats()
            result = measure(job.task, job.args)
            after = emu.stats()
            result["work_seconds"], result["seconds"] = result["seconds"], result["process_seconds"]
            result["calls"] = after["admin_calls"] - before["admin_calls"]
            result["writes"] = after["writes"] - before["writes"]
            result["by_endpoint"] = {
                k: after["requests"][k] - before["requests"][k]
                for k in after["requests"]
                if after["requests"][k] != before["requests"][k]
            }
            if after_each is not None:
                after_each(job.label, result)
            runs[job.label].append(result)
    chosen = {}
    for label, results in runs.items():
        middle = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
        middle["all_seconds"] = [r["seconds"] for r in results]
        middle["seconds"] = median(middle["all_seconds"])
        chosen[label] = middle
        log(
            f"  -> {label}: {fmt_seconds(middle['seconds'])} (median of {len(results)}), "
            f"{middle['calls']:,} calls"
        )
    return chosen


# --------------------------------------------------------------------------- numbers and tables


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 10:
        return f"{value:.1f} s"
    if value >= 1:
        return f"{value:.2f} s"
    return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"


def fmt_ratio(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if value >= 100:
        return f"{value:.0f}×"
    if value >= 10:
        return f"{value:.1f}×"
    return f"{value:.2f}×"


def fmt_mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table (numbers already formatted as strings)."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(out)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def extrapolate(
    results: list[dict[str, Any]],
    sizes: Sequence[int],
    latencies: Sequence[int],
    variants: Sequence[str] | None = None,
) -> None:
    """Fill in skipped sequential runs: the time at 0 ms for the same N, plus calls × the
    extra time per call that the latency added at the largest N measured (marked †)."""

    def find(n: int, latency: int, variant: str) -> dict[str, Any] | None:
        return next(
            (r for r in results if (r["n"], r["latency"], r["variant"]) == (n, latency, variant)),
            None,
        )

    for variant in variants or sorted({r["variant"] for r in results}):
        for latency in latencies:
            for n in sizes:
                if not latency or find(n, latency, variant) is not None:
                    continue
                base = find(n, 0, variant)
                measured = [
                    r
                    for r in results
                    if r["variant"] == variant
                    and r["latency"] == latency
                    and not r.get("extrapolated")
                ]
                if base is None or not measured:
                    continue
                ref = max(measured, key=lambda r: r["n"])
                ref0 = find(ref["n"], 0, variant)
                if ref0 is None:
                    continue
                per_call = (ref["seconds"] - ref0["seconds"]) / ref["calls"]
                results.append(
                    {
                        **base,
                        "latency": latency,
                        "seconds": base["seconds"] + base["calls"] * per_call,
                        "extrapolated": f"{fmt_seconds(base['seconds'])} at 0 ms + "
                        f"{base['calls']:,} calls × {per_call * 1000:.1f} ms (latency cost per "
                        f"call measured at N={ref['n']:,})",
                    }
                )
