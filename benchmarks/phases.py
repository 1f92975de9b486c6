"""Where our time goes: ``presets plan``/``apply`` through ``cli.main`` with timers around
the library's steps (worker tasks; one run each, beside the timed runs).

Each step's time is exclusive (a listing inside a snapshot counts as "listing", the rest
of the snapshot as "decoding"); steps marked opaque keep everything below them (the
verifying re-read is "verification", whatever it calls). Time in the cyclic garbage
collector is counted separately (``gc``, any thread), on top of the steps it fell in.
A step whose function no longer exists is skipped, so a refactor does not break the
benchmark: its time shows up in "rest".
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

#: (module, class or None, function, step, opaque)
POINTS: tuple[tuple[str, str | None, str, str, bool], ...] = (
    ("cloudinary_presets.definitions.project", "Project", "desired", "definitions", False),
    ("cloudinary_presets.cloudinary.admin_api", "AdminApi", "list_presets", "listing", False),
    ("cloudinary_presets.cloudinary.remote", "RemotePresets", "snapshot", "decoding", False),
    ("cloudinary_presets.operations.workflow", None, "build_plan", "comparison", False),
    ("cloudinary_presets.operations.apply", None, "_run_phase", "writes", True),
    ("cloudinary_presets.operations.apply", None, "verify", "verification", True),
)
#: modules the commands load in any case (imported up front, so "imports" holds them)
MODULES = (
    "cloudinary_presets.cli.planning",
    "cloudinary_presets.cli.applying",
    "cloudinary_presets.operations.multi_env",
    "cloudinary_presets.renderers.text",
)
#: the steps in report order, with what they are
STEPS = {
    "start-up": "interpreter start and exit",
    "imports": "importing the CLI and the library",
    "definitions": "reading, strict parsing and validating the files",
    "listing": "the list calls (HTTP, JSON)",
    "decoding": "decoding and fingerprinting the listed presets",
    "comparison": "the semantic comparison (`build_plan`)",
    "writes": "the writes",
    "verification": "re-reading what was written",
    "rest": "rendering, safety checks, the rest",
}


class _Timers:
    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.stack: list[list[Any]] = []  # [step, started, time in nested steps, opaque]
        self.main = threading.main_thread()
        self.gc_seconds = 0.0
        self._gc_started = 0.0

    def wrap(self, function: Callable[..., Any], step: str, opaque: bool) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not self.main or any(f[3] for f in self.stack):
                return function(*args, **kwargs)
            frame = [step, time.perf_counter(), 0.0, opaque]
            self.stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                self.stack.pop()
                elapsed = time.perf_counter() - frame[1]
                self.totals[step] += elapsed - frame[2]
                if self.stack:
                    self.stack[-1][2] += elapsed

        return timed

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_started


@contextlib.contextmanager
def _instrumented(timers: _Timers) -> Iterator[list[str]]:
    patched: list[tuple[Any, str, Any]] = []
    missing = []
    for module_name, class_name, name, step, opaque in POINTS:
        try:
            owner: Any = importlib.import_module(module_name)
            if class_name:
                owner = getattr(owner, class_name)
            original = getattr(owner, name)
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{class_name + '.' if class_name else ''}{name}")
            continue
        patched.append((owner, name, original))
        setattr(owner, name, timers.wrap(original, step, opaque))
    gc.callbacks.append(timers.on_gc)
    try:
        yield missing
    finally:
        gc.callbacks.remove(timers.on_gc)
        for owner, name, original in patched:
            setattr(owner, name, original)


def run_cli(args: list[str]) -> dict[str, Any]:
    """``cli.main(args)`` with the step timers; ``seconds`` covers the imports too."""
    started = time.perf_counter()
    timers = _Timers()
    from cloudinary_presets.cli import run as main  # the console script: main, then gc.freeze()

    for module_name in [*MODULES, *(point[0] for point in POINTS)]:
        with contextlib.suppress(ImportError):  # what the command would import anyway
            importlib.import_module(module_name)
    timers.totals["imports"] = time.perf_counter() - started
    with (
        _instrumented(timers) as missing,
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
    ):
        code = main(args)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"presets {args[0]} exited {code}")
    steps = dict(timers.totals)
    steps["rest"] = seconds - sum(steps.values())
    return {"seconds": seconds, "steps": steps, "gc_seconds": timers.gc_seconds, "missing": missing}


def plan(url: str, root: str) -> dict[str, Any]:
    return run_cli(["plan", "--url", url, "--root", root])


def apply(url: str, root: str, parallelism: int) -> dict[str, Any]:
    return run_cli(
        ["apply", "--url", url, "--root", root, "--yes", "--parallelism", str(parallelism)]
    )


def with_start_up(result: dict[str, Any]) -> dict[str, float]:
    """The steps of a run (ours or the careful script's), plus start-up: the whole process
    minus the task's own time (which covers its imports)."""
    own = result.get("work_seconds", result["seconds"])
    steps = {"start-up": result["process_seconds"] - own, **result["steps"]}
    return {step: steps[step] for step in STEPS if step in steps}
