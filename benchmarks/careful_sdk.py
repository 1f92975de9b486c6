"""The fair baseline: the script a careful user writes with the official SDK (1.46.3).

    CLOUDINARY_URL=cloudinary://KEY:SECRET@CLOUD python benchmarks/careful_sdk.py plan DIR
    CLOUDINARY_URL=... python benchmarks/careful_sdk.py apply DIR [THREADS]

``DIR`` holds one YAML file per preset (any depth), in the form the SDK takes: the keyword
arguments of ``cloudinary.api.create_upload_preset`` written as natural YAML (lists for
tags, booleans, a map for ``context``), for example::

    name: avatar-00000
    unsigned: true
    disallow_public_id: true
    asset_folder: avatars/85
    tags: [avatar, team-35]
    raw_transformation: c_fill,g_face,h_1024,w_1024

(``raw_transformation``: the SDK reads a ``transformation`` string as the name of a named
transformation and sends ``t_<string>``; Cloudinary stores it as ``transformation``.)

What makes it careful (nothing here is a strawman):

* the files are read with PyYAML's C loader (``yaml.CSafeLoader``), no validation;
* the remote is read with the listing alone, in pages of 500 (one call per 500 presets):
  the listing already carries every preset's settings, so there is no GET per preset;
* the comparison normalises what a person notices in the first test run: booleans
  (``true``/``"1"``), lists against comma-separated strings (``|`` for ``eager``), maps
  against ``k=v|k2=v2`` (``context``, ``metadata``) or compact JSON, numbers against their
  text. It has no semantic model: ``0.5`` against ``0.50``, tag order, transformation
  aliases or moderation thresholds in another order are differences to it;
* ``apply`` writes only the presets that differ, sequentially or from a thread pool
  (``THREADS``), and does not read anything back;
* with threads, the SDK's shared urllib3 pool is sized to the thread count (its default
  keeps one connection and opens a new one for every other concurrent call; urllib3's
  "Connection pool is full" warning goes to a null handler), through the SDK's own
  ``cloudinary.utils.get_http_connector``. The SDK is otherwise thread-safe for this use:
  one global configuration, read only, and a urllib3 ``PoolManager``, which is thread-safe.

The SDK cannot send a preset's ``headers`` setting (``create_upload_preset(headers=...)``
raises ``TypeError: _call_api() got multiple values for keyword argument 'headers'``), so
writes leave that one setting out, as in ``naive_sdk.py``; the comparison still sees it.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

#: settings the SDK's preset calls cannot send (see the module docstring)
_SDK_CANNOT_SEND = frozenset({"headers"})
#: list settings Cloudinary joins with something other than a comma
_SEPARATOR = {"eager": "|", "face_coordinates": "|", "custom_coordinates": "|"}
#: map settings sent as ``k=v|k2=v2`` (other maps travel as JSON text)
_KEY_VALUE = frozenset({"context", "metadata"})
#: keyword argument -> the setting Cloudinary stores
_STORED_AS = {"raw_transformation": "transformation"}


def _configure(url: str | None, threads: int = 1) -> Any:
    import os

    import cloudinary
    import cloudinary.api
    import cloudinary.api_client.call_api as call_api
    import cloudinary.utils
    import yaml  # noqa: F401  (imported here so that its import counts as an import)

    if url:
        os.environ["CLOUDINARY_URL"] = url
    cloudinary.reset_config()
    if threads > 1:  # one pooled connection per thread, through the SDK's own factory
        options = {**cloudinary.CERT_KWARGS, "maxsize": threads}
        call_api._http = cloudinary.utils.get_http_connector(cloudinary.config(), options)
    return cloudinary.api


def read_definitions(root: str | Path) -> dict[str, dict[str, Any]]:
    """Every ``*.yaml`` under ``root``, parsed with libyaml, by preset name."""
    import yaml

    definitions = {}
    for path in sorted(Path(root).rglob("*.yaml")):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        definitions[document["name"]] = document
    return definitions


def list_presets(api: Any) -> dict[str, dict[str, Any]]:
    """The whole listing, 500 presets per call, settings included."""
    presets: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        options: dict[str, Any] = {"max_results": 500}
        if cursor:
            options["next_cursor"] = cursor
        page = api.upload_presets(**options)
        for preset in page["presets"]:
            presets[preset["name"]] = preset
        cursor = page.get("next_cursor")
        if not cursor:
            return presets


def normal(key: str, value: Any) -> str:
    """One value in a comparable text form: what a person fixes after the first test run."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return _SEPARATOR.get(key, ",").join(normal(key, item) for item in value)
    if isinstance(value, dict):
        if key in _KEY_VALUE:
            return "|".join(f"{k}={v}" for k, v in value.items())
        return json.dumps(value, separators=(",", ":"))
    text = str(value).strip()
    return {"true": "1", "false": "0"}.get(text.lower(), text)


def flatten(remote: dict[str, Any]) -> dict[str, Any]:
    """A listed preset as create keyword arguments (``unsigned`` is outside ``settings``)."""
    return {"name": remote["name"], "unsigned": remote.get("unsigned"), **remote["settings"]}


def differs(desired: dict[str, Any], remote: dict[str, Any]) -> bool:
    """True when a setting differs, is missing on one side, or is extra on the other."""
    empty = (None, "", [], {})
    a = {_STORED_AS.get(k, k): normal(k, v) for k, v in desired.items() if v not in empty}
    b = {k: normal(k, v) for k, v in flatten(remote).items() if v not in empty}
    return a != b


def diff(
    desired: dict[str, dict[str, Any]], remote: dict[str, dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """(names to create, names to update)."""
    creates = [name for name in desired if name not in remote]
    updates = [name for name in desired if name in remote and differs(desired[name], remote[name])]
    return creates, updates


def _planned(root: str, url: str | None, threads: int) -> dict[str, Any]:
    """Import the SDK, read, list, compare; the steps' times and what differs."""
    started = time.perf_counter()
    api = _configure(url, threads)
    imported = time.perf_counter()
    desired = read_definitions(root)
    read = time.perf_counter()
    remote = list_presets(api)
    listed = time.perf_counter()
    creates, updates = diff(desired, remote)
    done = time.perf_counter()
    steps = {
        "imports": imported - started,
        "definitions": read - imported,
        "listing": listed - read,
        "comparison": done - listed,
    }
    return {"api": api, "desired": desired, "remote": remote, "creates": creates,
            "updates": updates, "started": started, "done": done, "steps": steps}  # fmt: skip


def plan(root: str, url: str | None = None) -> dict[str, Any]:
    """Import the SDK, read, list, compare; ``steps`` says where the time went."""
    planned = _planned(root, url, 1)
    return {
        "seconds": planned["done"] - planned["started"],
        "steps": planned["steps"],
        "creates": len(planned["creates"]),
        "updates": len(planned["updates"]),
        "remote": len(planned["remote"]),
    }


def _write(api: Any, body: dict[str, Any], exists: bool) -> None:
    options = {k: v for k, v in body.items() if k not in _SDK_CANNOT_SEND}
    if exists:
        name = options.pop("name")
        api.update_upload_preset(name, **options)
    else:
        api.create_upload_preset(**options)


def apply(root: str, url: str | None = None, threads: int = 1) -> dict[str, Any]:
    """Plan, then create and update what differs (``threads`` at a time); no read-back."""
    planned = _planned(root, url, threads)
    api, desired = planned["api"], planned["desired"]
    jobs = [(desired[n], False) for n in planned["creates"]]
    jobs += [(desired[n], True) for n in planned["updates"]]
    if threads <= 1:
        for body, exists in jobs:
            _write(api, body, exists)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(_write, api, body, exists) for body, exists in jobs]:
                future.result()  # re-raise the first failure, as a loop would
    done = time.perf_counter()
    return {
        "seconds": done - planned["started"],
        "steps": {**planned["steps"], "writes": done - planned["done"]},
        "creates": len(planned["creates"]),
        "updates": len(planned["updates"]),
    }


def main(argv: list[str]) -> int:
    if (
        len(argv) not in (3, 4)
        or argv[1] not in ("plan", "apply")
        or (len(argv) == 4 and argv[1] != "apply")
    ):
        print(__doc__, file=sys.stderr)
        return 64
    if argv[1] == "plan":
        result = plan(argv[2])
    else:
        result = apply(argv[2], threads=int(argv[3]) if len(argv) == 4 else 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
