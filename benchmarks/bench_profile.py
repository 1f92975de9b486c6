"""Profiles of the hot paths (pyinstrument): validating 10,000 files, and planning 10,000
definitions against 10,000 remote presets (decode the listing, diff).

Reported as the top of pyinstrument's call tree, for this tree and, with
``--compare-src``, for the other one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import corpus
from common import log, measure


def _tree(profiler: Any, lines: int) -> str:
    text = profiler.output_text(show_all=False, unicode=False, color=False)
    body = [line for line in text.splitlines()[4:] if line.strip()]
    return "\n".join(body[:lines])


def profile_validate(presets: str) -> dict[str, Any]:
    from pyinstrument import Profiler

    from cloudinary_presets.definitions.loader import validate_tree

    profiler = Profiler(interval=0.0005)
    profiler.start()
    validate_tree(Path(presets))
    profiler.stop()
    return {"seconds": profiler.last_session.duration, "tree": _tree(profiler, 40)}


def profile_plan(root: str, n: int) -> dict[str, Any]:
    from pyinstrument import Profiler

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
        listing = emulator.presets("demo")
    finally:
        emulator.stop()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    remote = {raw["name"]: read_remote(raw) for raw in listing}
    build_plan(desired, Snapshot(remote), TargetInfo("benchmark", "demo", "local", "-"))
    profiler.stop()
    return {"seconds": profiler.last_session.duration, "tree": _tree(profiler, 40)}


def run(n: int, compare_src: str | None) -> dict[str, Any]:
    from bench_local import _env

    out: dict[str, Any] = {"n": n, "sources": {}}
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        root = corpus.write_tree(Path(tmp) / "project", range(n))
        sources = {"after (this tree)": None}
        if compare_src:
            sources = {f"before ({compare_src})": compare_src, **sources}
        for label, src in sources.items():
            log(f"profile [{label}]: validate_tree and plan of {n:,}")
            out["sources"][label] = {
                "validate": measure(
                    "bench_profile.profile_validate",
                    {"presets": str(root / "presets")},
                    env=_env(src),
                ),
                "plan": measure(
                    "bench_profile.profile_plan", {"root": str(root), "n": n}, env=_env(src)
                ),
            }
    return out


def report(data: dict[str, Any]) -> str:
    out = []
    for label, result in data["sources"].items():
        for key, what in (
            ("validate", f"`validate_tree` of {data['n']:,} files"),
            ("plan", f"decode {data['n']:,} remote presets + `build_plan`"),
        ):
            r = result[key]
            out.append(
                f"<details><summary>{label}: {what}, {r['seconds']:.2f} s under the profiler"
                "</summary>\n\n"
                "```\n" + r["tree"] + "\n```\n</details>\n"
            )
    return "\n".join(out)
