"""Waiting for moderation verdicts: Admin API calls spent and how late the verdict is seen.

Cloudinary decides moderation after the upload, and every poll of the resource details
costs one call of the hourly Admin API quota. For decision delays from 50 ms to 20 s
(the emulator's ``moderation_delay``; Rekognition takes seconds), each variant uploads
one file with a moderated preset and waits for its verdict, ``repeats`` times:

* ``wait_for_moderation(result)``: the upload response is the first reading;
* ``wait_for_moderation(public_id)``: the first reading is a call;
* the loop people write with the SDK: ``cloudinary.api.resource`` every second until no
  automatic moderator is pending.

Calls are the emulator's counter; *lag* is how long after the decision landed the
verdict was seen (wall time from the upload response minus the delay).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import corpus
from common import emulator_process, fmt_seconds, log, table

PRESET = "bench-moderated"
PRESET_YAML = f"""name: {PRESET}
description: Benchmark uploads, moderated by Rekognition.
settings:
  folder: bench
  moderation: aws_rek
"""
BODY = {"name": PRESET, "folder": "bench", "moderation": "aws_rek"}
VARIANTS = ("ours: wait_for_moderation(result)", "ours: wait_for_moderation(public_id)")
SDK_VARIANT = "SDK loop: api.resource every 1 s"


def _sdk_wait(url: str, public_id: str) -> None:
    import cloudinary
    import cloudinary.api

    os.environ["CLOUDINARY_URL"] = url  # what people do: configure from CLOUDINARY_URL
    cloudinary.reset_config()
    while True:
        entries = cloudinary.api.resource(public_id).get("moderation") or []
        if not any(e["status"] == "pending" and e["kind"] != "manual" for e in entries):
            return
        time.sleep(1.0)


def run(delays: list[float], repeats: int) -> dict[str, Any]:
    from cloudinary_presets.operations.uploader import Uploader

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-moderation-") as tmp, emulator_process() as emu:
        root = Path(tmp) / "project"
        (root / "presets").mkdir(parents=True)
        (root / "presets" / f"{PRESET}.yaml").write_text(PRESET_YAML, encoding="utf-8")
        emu.reset()
        emu.seed([BODY])
        with Uploader.from_env({"CLOUDINARY_URL": emu.cloudinary_url}, root=root) as uploader:
            for delay in delays:
                emu.control("POST", "settings", {"moderation_delay": delay})
                for variant in (*VARIANTS, SDK_VARIANT):
                    calls, lags = [], []
                    for i in range(repeats):
                        result = uploader.upload(corpus.png(i), preset=PRESET)
                        answered = time.monotonic()
                        before = emu.admin_calls()
                        if variant == VARIANTS[0]:
                            verdict = uploader.wait_for_moderation(result, timeout=60)
                            assert verdict.settled
                        elif variant == VARIANTS[1]:
                            assert uploader.wait_for_moderation(result.public_id).settled
                        else:
                            _sdk_wait(emu.cloudinary_url, result.public_id)
                        lags.append(time.monotonic() - answered - delay)
                        calls.append(emu.admin_calls() - before)
                    results.append(
                        {"delay": delay, "variant": variant, "calls": calls, "lags": lags}
                    )
                    log(f"moderation: delay {delay} s, {variant}: calls {calls}")
    return {"repeats": repeats, "results": results}


def report(data: dict[str, Any]) -> str:
    rows = [
        [
            f"{r['delay']:g} s",
            r["variant"],
            f"{statistics.median(r['calls']):g} ({min(r['calls'])}-{max(r['calls'])})",
            fmt_seconds(statistics.median(r["lags"])),
        ]
        for r in data["results"]
    ]
    return f"Median of {data['repeats']} uploads per row (range of calls in brackets).\n\n" + table(
        ["decision delay", "variant", "Admin API calls", "lag after the decision"], rows
    )
