"""Run one measurement in this (fresh) interpreter and print ``RESULT <json>``.

    python benchmarks/worker.py MODULE.FUNCTION '{"arg": ...}'

The function returns a dict that includes ``seconds`` (the wall time of the measured
work, timed by the function itself). The worker adds ``peak_rss_mib``: the peak
resident set size of this process since exec (interpreter, imports and the work), and
``start_rss_mib``, the peak before the task module was imported. The caller times the
whole process as well (``process_seconds``: start-up, imports, work, exit).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def peak_rss_mib() -> float:
    """Peak resident set size of this process since it started (exec), in MiB.

    Linux: ``VmHWM`` from /proc/self/status. Not ``ru_maxrss``: Linux carries it over
    ``fork`` + ``exec``, so a child of a big parent would report the parent's size.
    Elsewhere ``ru_maxrss`` (macOS: bytes) is the best there is.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    task, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    start = peak_rss_mib()
    module_name, _, function_name = task.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**json.loads(raw))
    result["peak_rss_mib"] = peak_rss_mib()
    result["start_rss_mib"] = start
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
