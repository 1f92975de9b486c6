"""The quickstart in miniature: apply the example presets, then the plan is empty."""

from __future__ import annotations

import pytest
from e2e_helpers import PUT_READINGS


@pytest.mark.parametrize("emulator", PUT_READINGS, indirect=True)
def test_apply_then_plan_is_empty(project_dir, remote_cli, emulator):
    first = remote_cli("plan", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert first.stdout.splitlines()[0].startswith("Target: cloud 'demo' at http://127.0.0.1")
    applied = remote_cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert sorted(p["name"] for p in emulator.presets("demo")) == [
        "avatar",
        "product-images",
        "ugc-moderated",
    ]
    again = remote_cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout
