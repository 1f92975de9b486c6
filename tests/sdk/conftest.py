"""The official SDKs as clients of the emulator: ``sdk`` is pycloudinary, then the Node.js
SDK (skipped, with the reason shown, when node or tests/sdk/node/node_modules is absent)."""

from __future__ import annotations

from typing import Any

import pytest
from sdk_clients import NodeSdk, PythonSdk, node_unavailable

from cloudinary_presets.emulator import Emulator


@pytest.fixture(params=["python", "node"])
def sdk(request: pytest.FixtureRequest, emulator: Emulator, sdk: Any) -> Any:
    """Overrides the root ``sdk`` (pycloudinary configured for ``emulator``, reset after)."""
    if request.param == "node":
        reason = node_unavailable()
        if reason is not None:
            pytest.skip(reason)
        return NodeSdk(emulator)
    return PythonSdk()
