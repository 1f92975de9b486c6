"""Upload throughput: 100 small PNGs with ``presets upload --parallelism P`` versus a loop
of ``cloudinary.uploader.upload``, against the emulator in its own process.

And memory: a 1 GB file (sparse: a PNG header, then a hole the emulator reads as zeros)
uploaded in 20 MB chunks, against the SDK's ``upload_large`` of the same file, and four
100 MiB files uploaded in parallel, one request each. The peak resident set (``VmHWM``)
of the uploading process is what must not grow with the file: the target is under
120 MB for 1 GB. The emulator keeps its data in a file here, not in memory; one SQLite
value holds less than 10^9 bytes, so "1 GB" is 999,000,000 bytes. The emulator assembles
the file while it answers the last chunk (about ten seconds for 1 GB), so these uploads
run with ``--timeout 300``.
"""

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
LARGE_PRESET = "bench-large"
LARGE_YAML = f"""name: {LARGE_PRESET}
description: Benchmark large uploads (signed, chunked when over the chunk size).
settings:
  folder: bench
  use_filename: true
  unique_filename: false
"""
#: the memory target of a 1 GB upload, in MB (issue 12)
RSS_TARGET_MB = 120
MiB = 1024 * 1024


def ours(url: str, root: str, files: list[str], parallelism: int) -> dict[str, Any]:
    # Import what the command imports lazily first, so "upload loop only" compares with the
    # SDK loop (the whole-process time, imports included, is reported separately).
    import cloudinary_presets.operations.uploader  # noqa: F401
    from cloudinary_presets.cli import main

    args = ["upload", *files, "--preset", PRESET, "--url", url, "--root", root,
            "--parallelism", str(parallelism)]  # fmt: skip
    return _silent_cli(main, args)


def _silent_cli(main: Any, args: list[str]) -> dict[str, Any]:
    """Run ``presets ARGS`` in this process, output discarded; its wall time."""
    with (
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        started = time.perf_counter()
        code = main(args)
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"presets {args[0]} exited {code}")
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


def ours_large(url: str, root: str, files: list[str], chunk_size: int) -> dict[str, Any]:
    """``presets upload`` of big files (the worker reports this process's peak RSS)."""
    from cloudinary_presets.cli import main

    args = ["--timeout", "300", "upload", *files, "--preset", LARGE_PRESET, "--url", url,
            "--root", root, "--chunk-size", str(chunk_size),
            "--parallelism", str(len(files))]  # fmt: skip
    return _silent_cli(main, args)


def sdk_large(url: str, files: list[str], chunk_size: int) -> dict[str, Any]:
    """What the SDK offers for big files: ``upload_large``, one file after the other."""
    os.environ["CLOUDINARY_URL"] = url
    import cloudinary
    import cloudinary.uploader

    cloudinary.reset_config()
    started = time.perf_counter()
    for path in files:
        cloudinary.uploader.upload_large(
            path, upload_preset=LARGE_PRESET, chunk_size=chunk_size, resource_type="auto"
        )
    return {"seconds": time.perf_counter() - started}


def sparse_png(path: Path, size: int, i: int) -> None:
    """A file of ``size`` bytes: a real PNG header, then a hole (no disk blocks)."""
    with path.open("wb") as handle:
        handle.write(corpus.png(i))
        handle.truncate(size)


def _size(n: int) -> str:
    if n % MiB == 0:
        return f"{n // MiB} MiB"
    return f"{n / 1e9:g} GB" if n >= 10**9 - 10**6 else f"{n / 1e6:g} MB"


def run_large(large: int, chunk: int, parallel: int, parallel_mib: int) -> dict[str, Any]:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        folder = Path(tmp)
        root = folder / "project"
        (root / "presets").mkdir(parents=True)
        (root / "presets" / f"{LARGE_PRESET}.yaml").write_text(LARGE_YAML, encoding="utf-8")
        big = folder / "big.png"
        sparse_png(big, large, 1)
        many = [folder / f"part-{i}.png" for i in range(parallel)]
        for i, path in enumerate(many):
            sparse_png(path, parallel_mib * MiB, 10 + i)
        body = {"name": LARGE_PRESET, "folder": "bench", "use_filename": "1",
                "unique_filename": "0"}  # fmt: skip
        with emulator_process(data=str(folder / "emulator.sqlite")) as emu:
            url = emu.cloudinary_url
            whole = (parallel_mib + 1) * MiB  # above the file size: one request per file
            variants = [
                (f"presets upload, 1 file of {_size(large)}, chunks of {_size(chunk)}",
                 "bench_upload.ours_large",
                 {"url": url, "root": str(root), "files": [str(big)], "chunk_size": chunk},
                 1, large / MiB),
                (f"SDK upload_large, the same file, chunks of {_size(chunk)}",
                 "bench_upload.sdk_large", {"url": url, "files": [str(big)], "chunk_size": chunk},
                 1, large / MiB),
                (f"presets upload --parallelism {parallel}, {parallel} files of {parallel_mib} "
                 "MiB, one request each",
                 "bench_upload.ours_large",
                 {"url": url, "root": str(root), "files": [str(p) for p in many],
                  "chunk_size": whole},
                 parallel, parallel_mib),
            ]  # fmt: skip
            for variant, task, args, files, mib in variants:
                emu.reset()
                emu.seed([body])
                log(f"upload memory: {variant}")
                before = emu.stats()
                result = measure(task, args)
                after = emu.stats()
                result["uploads"] = after["uploads"] - before["uploads"]
                key = "POST /{resource_type}/upload"
                result["requests"] = after["requests"][key] - before["requests"][key]
                if result["uploads"] != files:
                    raise RuntimeError(f"{variant}: {result['uploads']} uploads, expected {files}")
                results.append({"variant": variant, "files": files, "mib": mib, **result})
                log(f"  -> {fmt_seconds(result['seconds'])}, {fmt_mib(result['peak_rss_mib'])}")
    return {"large": large, "chunk": chunk, "results": results}


def run(
    count: int,
    latencies: list[int],
    large: int = 999_000_000,
    chunk: int = 20_000_000,
    parallel: int = 4,
    parallel_mib: int = 100,
) -> dict[str, Any]:
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
    memory = run_large(large, chunk, parallel, parallel_mib)
    return {"count": count, "bytes": size, "results": results, "large": memory}


def report_large(data: dict[str, Any]) -> str:
    rows = []
    for r in data["results"]:
        total = r["files"] * r["mib"]
        rows.append(
            [
                r["variant"],
                str(r["requests"]),
                str(r["uploads"]),
                fmt_seconds(r["seconds"]),
                f"{total / r['seconds']:.0f} MiB/s",
                fmt_mib(r["peak_rss_mib"]),
            ]
        )
    ours = data["results"][0]
    peak_mb = ours["peak_rss_mib"] * MiB / 1e6
    verdict = "met" if peak_mb < RSS_TARGET_MB else "NOT met"
    return (
        "Memory while uploading large files: peak resident set (`VmHWM`) of the uploading "
        "process, interpreter and imports included. The files are sparse (a PNG header, "
        "then a hole read as zeros), the emulator keeps its data in a file.\n\n"
        + table(
            [
                "variant",
                "upload requests (emulator)",
                "assets",
                "time (in-process)",
                "throughput",
                "peak RSS",
            ],
            rows,
        )
        + f"\n\nTarget: peak RSS under {RSS_TARGET_MB} MB for a 1 GB upload. "
        f"{data['large']:,} bytes in chunks: {peak_mb:.0f} MB "
        f"({fmt_mib(ours['peak_rss_mib'])}), {verdict}."
    )


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
    large = "\n\n" + report_large(data["large"]) if "large" in data else ""
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
        + large
    )
