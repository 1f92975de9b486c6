"""The targets of issue 16 judged from a run's numbers, and where we lose and why.

Nothing is measured here: the verdicts come from the plan, apply and local sections of
the same run (ours and the careful script side by side, medians), and "where we lose"
from the step timers (``phases.py``) of ours and the careful script's own timings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bench_apply
import bench_plan
from common import fmt_ratio, fmt_seconds, median, table
from phases import STEPS, with_start_up

PLAN_RATIO = 1.5
PLAN_SIZES = (1000, 5000)
APPLY_SIZE = 1000
HELP_SECONDS = 0.060
SMALL_VALIDATE_SECONDS = 0.150

#: why a step costs us more than the careful script
WHY = {
    "start-up": "the same interpreter start for both",
    "imports": "pydantic and the typed models' validators (built on first use), requests and "
    "the library, against the SDK and urllib3",
    "definitions": "strict validation: a strict YAML reader that keeps the file:line:col of "
    "every key and value, pydantic validation of every setting (transformations parsed, "
    "moderation thresholds and URLs checked), lints and environment overrides, against "
    "libyaml's loader alone",
    "listing": "the same list calls; our transport (requests) costs more per call than the "
    "SDK's urllib3",
    "decoding": "semantic comparison: listed presets are decoded into the typed model and "
    "fingerprinted; the careful script compares strings",
    "comparison": "semantic comparison: canonical forms, field-by-field changes with their "
    "meaning, the definitions digest",
    "writes": "per write, our transport (requests, retries, quota tracking) against the SDK's "
    "direct urllib3 call",
    "verification": "verification: ours re-reads what it wrote and reports what Cloudinary "
    "stored differently; the careful script trusts its writes",
    "rest": "rendering the plan, safety checks, the lock",
}


def _closest(available: list[int], wanted: int) -> int:
    return min(available, key=lambda n: (abs(n - wanted), -n))


def _plan_rows(plan: dict[str, Any]) -> list[dict[str, Any]]:
    sizes = sorted({r["n"] for r in plan["results"]})
    chosen = [n for n in PLAN_SIZES if n in sizes] or [sizes[-1]]
    rows = []
    for n in chosen:
        for latency in sorted({r["latency"] for r in plan["results"]}):
            ours = bench_plan.find(plan, n, latency, bench_plan.OURS)
            careful = bench_plan.find(plan, n, latency, bench_plan.CAREFUL)
            if ours is None or careful is None:
                continue
            ratio = ours["seconds"] / careful["seconds"]
            rows.append(
                {
                    "what": f"`plan`, N = {n:,}, {latency} ms: ours ÷ careful SDK",
                    "target": f"≤ {PLAN_RATIO:g}×",
                    "measured": f"{fmt_ratio(ratio)} ({fmt_seconds(ours['seconds'])} vs "
                    f"{fmt_seconds(careful['seconds'])})",
                    "met": ratio <= PLAN_RATIO,
                    "ours": ours,
                    "baseline": careful,
                    "baseline_label": bench_plan.CAREFUL,
                }
            )
    return rows


def _apply_rows(apply: dict[str, Any]) -> list[dict[str, Any]]:
    sizes = sorted({r["n"] for r in apply["results"]})
    n = _closest(sizes, APPLY_SIZE)
    rows = []
    for latency, parallelism, baseline in (
        (0, 1, bench_apply.CAREFUL_SEQUENTIAL),
        (50, 8, bench_apply.CAREFUL_THREADS),
    ):
        ours = bench_apply.find(apply, n, latency, bench_apply.ours_label(parallelism))
        base = bench_apply.find(apply, n, latency, baseline)
        if ours is None or base is None:
            continue
        ratio = ours["seconds"] / base["seconds"]
        rows.append(
            {
                "what": f"`apply`, {n:,} changes, {latency} ms, parallelism {parallelism}: "
                f"ours ÷ {baseline}",
                "target": "≤ 1× (parity)",
                "measured": f"{fmt_ratio(ratio)} ({fmt_seconds(ours['seconds'])} vs "
                f"{fmt_seconds(base['seconds'])})",
                "met": ratio <= 1.0,
                "ours": ours,
                "baseline": base,
                "baseline_label": baseline,
            }
        )
    return rows


def _start_up_rows(local: dict[str, Any]) -> list[dict[str, Any]]:
    after = local["sources"][list(local["sources"])[-1]]
    rows = []
    for what, key, limit in (
        ("`presets --help`", "help", HELP_SECONDS),
        ("`presets validate` of the 3 example presets", "small_validate", SMALL_VALIDATE_SECONDS),
    ):
        value = median(after[key])
        rows.append(
            {
                "what": f"{what} (median of {len(after[key])})",
                "target": f"< {fmt_seconds(limit)}",
                "measured": fmt_seconds(value),
                "met": value < limit,
            }
        )
    return rows


def judge(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target that this run's sections measured, with its verdict."""
    rows: list[dict[str, Any]] = []
    if "plan" in sections:
        rows += _plan_rows(sections["plan"])
    if "apply" in sections:
        rows += _apply_rows(sections["apply"])
    if "local" in sections:
        rows += _start_up_rows(sections["local"])
    return rows


def _losses(row: dict[str, Any]) -> str:
    """Ours' steps against the baseline's, the biggest differences first, with the why."""
    phases = row["ours"].get("phases")
    if not phases or "steps" not in row["baseline"]:
        return ""
    ours = with_start_up(phases)
    base = with_start_up(row["baseline"])
    steps = [s for s in STEPS if s in ours or s in base]
    lines = []
    for step in sorted(steps, key=lambda s: base.get(s, 0.0) - ours.get(s, 0.0)):
        extra = ours.get(step, 0.0) - base.get(step, 0.0)
        lines.append(
            [
                STEPS[step],
                fmt_seconds(ours.get(step, 0.0)),
                fmt_seconds(base[step]) if step in base else "-",
                ("+" if extra >= 0 else "−") + fmt_seconds(abs(extra)),
                WHY[step] if extra > 0.005 else "",
            ]
        )
    total_ours, total_base = sum(ours.values()), sum(base.values())
    lines.append(
        [
            "**total**",
            fmt_seconds(total_ours),
            fmt_seconds(total_base),
            ("+" if total_ours >= total_base else "−") + fmt_seconds(abs(total_ours - total_base)),
            f"(of ours, {fmt_seconds(phases.get('gc_seconds', 0.0))} in the garbage collector)",
        ]
    )
    return table(
        ["step", "ours (one run with step timers)", row["baseline_label"], "difference", "why"],
        lines,
    )


def report(sections: dict[str, Any]) -> str:
    rows = judge(sections)
    if not rows:
        return "No target was measured in this run."
    out = [
        table(
            ["target", "limit", "measured (same run, medians)", "verdict"],
            [
                [r["what"], r["target"], r["measured"], "met" if r["met"] else "**not met**"]
                for r in rows
            ],
        ),
        "\n### Where we lose, and why\n",
        "For every comparison above where ours takes longer than the baseline: the time of "
        "each step, ours from one extra run with step timers (`benchmarks/phases.py`), the "
        "careful script's from its own timings, the biggest differences first.",
    ]
    losing = [r for r in rows if "ours" in r and r["ours"]["seconds"] > r["baseline"]["seconds"]]
    if not losing:
        out.append("\nNone: ours is at least as fast as the careful script in every comparison.")
    for row in losing:
        breakdown = _losses(row)
        if breakdown:
            out += [f"\n**{row['what']}**: {row['measured']}\n", breakdown]
    return "\n".join(out)


# --------------------------------------------------------------------------- headline

HEADLINE_START = "<!-- headline: generated by benchmarks/run.py, do not edit -->"
HEADLINE_END = "<!-- end of headline -->"


def _ratio_text(ours: float, base: float) -> str:
    ratio = ours / base
    if ratio > 1:
        return f"ours takes {fmt_ratio(ratio)} as long"
    return f"ours is {fmt_ratio(base / ours)} faster"


def headline(sections: dict[str, Any], date: str) -> str:
    """The table of ``docs/benchmarks.md``: ours against the careful SDK script (the
    fairest baseline) first, the naive script second, from one run's numbers."""
    rows = []
    plan = sections.get("plan")
    if plan:
        for n in [n for n in PLAN_SIZES if bench_plan.find(plan, n, 0, bench_plan.OURS)]:
            ours0 = bench_plan.find(plan, n, 0, bench_plan.OURS)
            careful0 = bench_plan.find(plan, n, 0, bench_plan.CAREFUL)
            naive0 = bench_plan.find(plan, n, 0, bench_plan.NAIVE)
            if ours0 is None or careful0 is None:
                continue
            rows.append(
                [
                    f"Admin API calls to plan {n:,} presets",
                    f"{ours0['calls']:,}",
                    f"{careful0['calls']:,}",
                    f"{naive0['calls']:,}" if naive0 else "n/a",
                    "the same calls as the careful script (a page per 500 presets)",
                ]
            )
            for latency in (0, 50):
                ours = bench_plan.find(plan, n, latency, bench_plan.OURS)
                careful = bench_plan.find(plan, n, latency, bench_plan.CAREFUL)
                naive = bench_plan.find(plan, n, latency, bench_plan.NAIVE)
                if ours is None or careful is None:
                    continue
                rows.append(
                    [
                        f"`plan` of {n:,} presets, {latency} ms per call",
                        fmt_seconds(ours["seconds"]),
                        fmt_seconds(careful["seconds"]),
                        (
                            fmt_seconds(naive["seconds"])
                            + (" †" if naive.get("extrapolated") else "")
                        )
                        if naive
                        else "n/a",
                        _ratio_text(ours["seconds"], careful["seconds"]),
                    ]
                )
    apply = sections.get("apply")
    if apply:
        n = _closest(sorted({r["n"] for r in apply["results"]}), APPLY_SIZE)
        for latency, p, baseline in (
            (0, 1, bench_apply.CAREFUL_SEQUENTIAL),
            (0, 8, bench_apply.CAREFUL_THREADS),
            (50, 1, bench_apply.CAREFUL_SEQUENTIAL),
            (50, 8, bench_apply.CAREFUL_THREADS),
        ):
            ours = bench_apply.find(apply, n, latency, bench_apply.ours_label(p))
            base = bench_apply.find(apply, n, latency, baseline)
            naive = bench_apply.find(apply, n, latency, bench_apply.NAIVE)
            if ours is None or base is None:
                continue
            rows.append(
                [
                    f"`apply` of {n:,} changes, {latency} ms, parallelism {p} (careful: "
                    f"{'8 threads' if p == 8 else 'sequential'})",
                    f"{fmt_seconds(ours['seconds'])}, {ours['calls']:,} calls",
                    f"{fmt_seconds(base['seconds'])}, {base['calls']:,} calls",
                    f"{fmt_seconds(naive['seconds'])}{' †' if naive.get('extrapolated') else ''}"
                    if naive
                    else "n/a",
                    _ratio_text(ours["seconds"], base["seconds"]),
                ]
            )
    local = sections.get("local")
    if local:
        after = local["sources"][list(local["sources"])[-1]]
        rows.append(["`presets --help`", fmt_seconds(median(after["help"])), "", "", ""])
        rows.append(
            [
                "`presets validate` of 3 presets",
                fmt_seconds(median(after["small_validate"])),
                "",
                "",
                "",
            ]
        )
    if not rows:
        return ""
    return "\n".join(
        [
            HEADLINE_START,
            f"Measured on {date} (medians of runs alternated with the careful script; † "
            "extrapolated):",
            "",
            table(
                ["", "cloudinary-presets", "careful SDK script", "naive SDK script", "verdict"],
                rows,
            ),
            HEADLINE_END,
        ]
    )


def update_headline(path: Path, sections: dict[str, Any], date: str) -> bool:
    """Rewrite the generated block of ``path`` (``docs/benchmarks.md``); False if absent."""
    text = path.read_text(encoding="utf-8")
    if HEADLINE_START not in text or HEADLINE_END not in text:
        return False
    block = headline(sections, date)
    if not block:
        return False
    head, rest = text.split(HEADLINE_START, 1)
    _, tail = rest.split(HEADLINE_END, 1)
    path.write_text(head + block + tail, encoding="utf-8")
    return True
