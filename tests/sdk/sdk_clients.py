"""The official SDKs behind one small interface, so one test drives the emulator with both.

``PythonSdk`` calls pycloudinary in-process; ``NodeSdk`` runs ``node/scenarios.js`` (the
``cloudinary`` npm package) in a subprocess with the emulator's ``CLOUDINARY_URL``. Both
return plain dicts and raise ``SdkError`` with the SDK's message for an API error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import cloudinary.api
import cloudinary.exceptions
import cloudinary.uploader

from cloudinary_presets.emulator import Emulator
from secret_scan import record

NODE_DIR = Path(__file__).resolve().parent / "node"


class SdkError(Exception):
    """An API error as the SDK reported it."""


def node_unavailable() -> str | None:
    """Why the Node.js SDK cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return (
            "node is not installed: the Node.js SDK suite needs node and `npm ci` in tests/sdk/node"
        )
    if not (NODE_DIR / "node_modules" / "cloudinary" / "package.json").is_file():
        return (
            "tests/sdk/node/node_modules is missing: run `npm ci` there (.ci/run does, with node)"
        )
    return None


class PythonSdk:
    """pycloudinary (``cloudinary==1.46.3``), as the root ``sdk`` fixture configured it."""

    name = "python"

    @staticmethod
    def _call(function: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(function(*args, **kwargs))
        except cloudinary.exceptions.Error as exc:
            raise SdkError(str(exc)) from None

    def upload(self, file: Path, **options: Any) -> dict[str, Any]:
        return self._call(cloudinary.uploader.upload, str(file), **options)

    def unsigned_upload(self, file: Path, preset: str, **options: Any) -> dict[str, Any]:
        return self._call(cloudinary.uploader.unsigned_upload, str(file), preset, **options)

    def upload_large(self, file: Path, **options: Any) -> dict[str, Any]:
        return self._call(cloudinary.uploader.upload_large, str(file), **options)

    def preset_lifecycle(
        self, name: str, create: dict[str, Any], update: dict[str, Any]
    ) -> dict[str, Any]:
        api = cloudinary.api
        return {
            "created": self._call(api.create_upload_preset, name=name, **create),
            "listed": self._call(api.upload_presets, max_results=500),
            "fetched": self._call(api.upload_preset, name),
            "updated": self._call(api.update_upload_preset, name, **update),
            "refetched": self._call(api.upload_preset, name),
        }

    def delete_preset(self, name: str) -> dict[str, Any]:
        return self._call(cloudinary.api.delete_upload_preset, name)

    def upload_preset(self, name: str) -> dict[str, Any]:
        return self._call(cloudinary.api.upload_preset, name)

    def queue(self, kind: str, status: str, **options: Any) -> dict[str, Any]:
        return self._call(cloudinary.api.resources_by_moderation, kind, status, **options)

    def decide(self, public_id: str, status: str) -> dict[str, Any]:
        return self._call(cloudinary.api.update, public_id, moderation_status=status)

    def resource(self, public_id: str, **options: Any) -> dict[str, Any]:
        return self._call(cloudinary.api.resource, public_id, **options)


class NodeSdk:
    """The ``cloudinary`` npm package (pinned in node/package.json), one process a call."""

    name = "node"

    def __init__(self, emulator: Emulator) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "CLOUDINARY_URL": emulator.cloudinary_url(),
        }

    def _call(self, name: str, *args: Any) -> dict[str, Any]:
        argv = ["node", "scenarios.js", name, *(json.dumps(a) for a in args)]
        done = subprocess.run(
            argv, cwd=NODE_DIR, env=self.env, capture_output=True, text=True, timeout=60
        )
        record(done.stdout + done.stderr, f"node scenarios.js {name}")  # the secret scan
        if done.returncode not in (0, 2):
            raise AssertionError(f"node {name} failed ({done.returncode}): {done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout)
        if done.returncode == 2:
            raise SdkError(result["error"]["message"])
        return result

    def upload(self, file: Path, **options: Any) -> dict[str, Any]:
        return self._call("upload", str(file), options)

    def unsigned_upload(self, file: Path, preset: str, **options: Any) -> dict[str, Any]:
        return self._call("unsigned_upload", str(file), preset, options)

    def upload_large(self, file: Path, **options: Any) -> dict[str, Any]:
        return self._call("upload_large", str(file), options)

    def preset_lifecycle(
        self, name: str, create: dict[str, Any], update: dict[str, Any]
    ) -> dict[str, Any]:
        return self._call("preset_lifecycle", name, create, update)

    def delete_preset(self, name: str) -> dict[str, Any]:
        return self._call("delete_preset", name)

    def upload_preset(self, name: str) -> dict[str, Any]:
        return self._call("upload_preset", name)

    def queue(self, kind: str, status: str, **options: Any) -> dict[str, Any]:
        return self._call("queue", kind, status, options)

    def decide(self, public_id: str, status: str) -> dict[str, Any]:
        return self._call("decide", public_id, status)

    def resource(self, public_id: str, **options: Any) -> dict[str, Any]:
        return self._call("resource", public_id, options)
