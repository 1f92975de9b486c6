"""The official SDKs as clients of the emulator: ``sdk`` is pycloudinary, then the Node.js
SDK (skipped, with the reason shown, when node or tests/sdk/node/node_modules is absent)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cloudinary
import cloudinary.api_client.call_api
import cloudinary.uploader
import pytest
from sdk_clients import NodeSdk, PythonSdk, node_unavailable

from cloudinary_presets.emulator import Emulator


@pytest.fixture(params=["python", "node"])
def sdk(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[Any]:
    if request.param == "node":
        reason = node_unavailable()
        if reason is not None:
            pytest.skip(reason)
        yield NodeSdk(emulator)
        return
    yield PythonSdk(emulator)
    cloudinary.reset_config()
    cloudinary.api_client.call_api._http.clear()
    cloudinary.uploader._http.clear()
