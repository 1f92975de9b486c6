"""The baseline: what people write today with the official SDK (``cloudinary==1.46.3``).

    CLOUDINARY_URL=cloudinary://KEY:SECRET@CLOUD python benchmarks/naive_sdk.py plan desired.json
    CLOUDINARY_URL=... python benchmarks/naive_sdk.py apply desired.json

``desired.json`` is a list of create bodies (Cloudinary's flat wire form: the kwargs of
``cloudinary.api.create_upload_preset``). The script lists the preset names (pages of
500: the SDK default is 10, we give the baseline the benefit), fetches every preset with
``cloudinary.api.upload_preset(name)``, then (``apply``) creates the missing ones and
updates the others, one call at a time. Its comparison is the naive one (remote
``settings`` vs the desired body), which sees differences where there are none; the
benchmark compares the cost of the calls, not the quality of the diff.

One workaround was needed: the SDK cannot send the ``headers`` setting through
``create_upload_preset``/``update_upload_preset`` (it also passes every option on as
keyword arguments of its HTTP call, which has its own ``headers`` parameter:
``TypeError: _call_api() got multiple values for keyword argument 'headers'``), so the
script leaves that one setting out.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

#: settings the SDK's preset calls cannot send (see the module docstring)
_SDK_CANNOT_SEND = frozenset({"headers"})


def _configure(url: str | None) -> Any:
    import os

    import cloudinary
    import cloudinary.api

    if url:
        os.environ["CLOUDINARY_URL"] = url
    cloudinary.reset_config()
    return cloudinary.api


def list_names(api: Any) -> list[str]:
    names: list[str] = []
    cursor = None
    while True:
        options: dict[str, Any] = {"max_results": 500}
        if cursor:
            options["next_cursor"] = cursor
        page = api.upload_presets(**options)
        names += [p["name"] for p in page["presets"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return names


def read_all(api: Any) -> dict[str, dict[str, Any]]:
    """List the names, then one GET per preset (what the SDK docs lead people to)."""
    return {name: dict(api.upload_preset(name)) for name in list_names(api)}


def differs(remote: dict[str, Any], body: dict[str, Any]) -> bool:
    settings = remote.get("settings") or {}
    return any(settings.get(k) != v for k, v in body.items() if k not in ("name", "unsigned"))


def plan(desired: list[dict[str, Any]], url: str | None = None) -> dict[str, Any]:
    api = _configure(url)
    started = time.perf_counter()
    remote = read_all(api)
    read = time.perf_counter()
    creates = [b["name"] for b in desired if b["name"] not in remote]
    updates = [b["name"] for b in desired if b["name"] in remote and differs(remote[b["name"]], b)]
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "read_seconds": read - started,
        "creates": len(creates),
        "updates": len(updates),
        "remote": len(remote),
    }


def apply(desired: list[dict[str, Any]], url: str | None = None) -> dict[str, Any]:
    """Read everything, then create the missing presets and update every other one."""
    api = _configure(url)
    started = time.perf_counter()
    remote = read_all(api)
    read = time.perf_counter()
    writes = 0
    for body in desired:
        options = {k: v for k, v in body.items() if k not in _SDK_CANNOT_SEND}
        if body["name"] not in remote:
            api.create_upload_preset(**options)
        else:
            options.pop("name")
            api.update_upload_preset(body["name"], **options)
        writes += 1
    done = time.perf_counter()
    return {"seconds": done - started, "read_seconds": read - started, "writes": writes}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("plan", "apply"):
        print(__doc__, file=sys.stderr)
        return 64
    desired = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    result = plan(desired) if argv[1] == "plan" else apply(desired)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
