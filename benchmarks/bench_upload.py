"""Upload throughput: 100 small PNGs with ``presets upload --parallelism P`` versus a loop
of ``cloudinary.uploader.upload``, against the emulator in its own process."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus
from common import emulator_process, fmt_mib, fmt_ratio, fmt_seconds, log, measure, table

PRESET = "bench-upload"
PRESET_YAML = f"""name: {PRESET}
description: Benchmark uploads (signed).
settings:
  folder: bench
  tags: [bench]
  allowed_formats: [png, jpg]
  use_filename: true
"""
PARALLELISM = (1, 4, 8)


def ours(url: str, root: str, files: list[str], parallelism: int) -> dict[str, Any]:
    # Import what the command imports lazily first, so "upload loop only" compares with the
    # SDK loop (the whole-process time, imports included, is reported separately).
    import cloudinary_presets.operations.uploader  # noqa: F401
    from cloudinary_presets.cli import main

    args = [
        "upload",
        *files,
        "--preset",
        PRESET,
        "--url",
        url,
        "--root",
        root,
        "--parallelism",
        str(parallelism),
    ]
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        started = time.perf_counter()
        code = main(args)
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"presets upload exited {code}")
    return {"seconds": seconds}


def sdk_loop(url: str, files: list[str]) -> dict[str, Any]:
    """What people write: configure from CLOUDINARY_URL, then upload file after file."""
    os.environ["CLOUDINARY_URL"] = url
    import cloudinary
    import cloudinary.uploader

    cloudinary.reset_config()
    started = time.perf_counter()
    for path in files:
        cloudinary.uploader.upload(path, upload_preset=PRESET)
    return {"seconds": time.perf_counter() - started}


def run(count: int, latencies: list[int]) -> dict[str, Any]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp, emulator_process() as emu:
        root = Path(tmp) / "project"
        (root / "presets").mkdir(parents=True)
        (root / "presets" / f"{PRESET}.yaml").write_text(PRESET_YAML, encoding="utf-8")
        images = Path(tmp) / "images"
        images.mkdir()
        files = []
        for i in range(count):
            path = images / f"image-{i:03d}.png"
            path.write_bytes(corpus.png(i))
            files.append(str(path))
        size = sum(Path(f).stat().st_size for f in files)
        body = {
            "name": PRESET,
            "folder": "bench",
            "tags": "bench",
            "allowed_formats": "png,jpg",
            "use_filename": "1",
        }
        for latency in latencies:
            variants = [
                (
                    f"presets upload --parallelism {p}",
                    "bench_upload.ours",
                    {
                        "url": emu.cloudinary_url,
                        "root": str(root),
                        "files": files,
                        "parallelism": p,
                    },
                )
                for p in PARALLELISM
            ]
            variants.append(
                (
                    "SDK loop (cloudinary.uploader.upload)",
                    "bench_upload.sdk_loop",
                    {"url": emu.cloudinary_url, "files": files},
                )
            )
            for variant, task, args in variants:
                emu.reset()
                emu.seed([body])
                emu.latency(latency)
                log(f"upload: {count} files, latency {latency} ms, {variant}")
                before = emu.stats()
                result = measure(task, args)
                after = emu.stats()
                result["work_seconds"], result["seconds"] = (
                    result["seconds"],
                    result["process_seconds"],
                )
                result["uploads"] = after["uploads"] - before["uploads"]
                result["requests"] = {
                    k: after["requests"][k] - before["requests"][k]
                    for k in after["requests"]
                    if after["requests"][k] != before["requests"][k]
                }
                if result["uploads"] != count:
                    raise RuntimeError(f"{variant}: {result['uploads']} uploads, expected {count}")
                results.append({"latency": latency, "variant": variant, **result})
                log(f"  -> {fmt_seconds(result['seconds'])}")
    return {"count": count, "bytes": size, "results": results}


def report(data: dict[str, Any]) -> str:
    rows = []
    for latency in sorted({r["latency"] for r in data["results"]}):
        group = [r for r in data["results"] if r["latency"] == latency]
        sdk = next(r for r in group if r["variant"].startswith("SDK"))
        for r in group:
            rows.append(
                [
                    f"{latency} ms",
                    r["variant"],
                    str(r["uploads"]),
                    fmt_seconds(r["seconds"]),
                    fmt_seconds(r["work_seconds"]),
                    f"{data['count'] / r['work_seconds']:.0f}/s",
                    fmt_mib(r["peak_rss_mib"]),
                    fmt_ratio(sdk["work_seconds"] / r["work_seconds"]),
                ]
            )
    head = (
        f"{data['count']} PNG files of {data['bytes'] / data['count']:.0f} bytes on average, "
        "one signed preset "
        "(`allowed_formats` checked locally before sending)."
    )
    return (
        head
        + "\n\n"
        + table(
            [
                "latency",
                "variant",
                "uploads (emulator)",
                "wall time (process)",
                "in-process time (after imports)",
                "files/s (in-process)",
                "peak RSS",
                "in-process speed-up vs SDK loop",
            ],
            rows,
        )
    )
