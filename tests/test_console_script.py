"""The ``presets`` console script (``cli.run``): one-shot commands run without the cyclic
garbage collector and freeze the heap before exit; long-running ones keep the collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudinary_presets.cli import run

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """``run`` leaves the collector as a process about to exit would: put it back."""
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("restored_gc")
def test_a_one_shot_command_runs_without_the_collector_and_freezes_the_heap() -> None:
    assert run(["validate", "--root", str(REPO), str(REPO / "presets")]) == 0
    assert not gc.isenabled()
    assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("restored_gc")
@pytest.mark.parametrize("command", ["upload", "emulator"])
def test_a_long_running_command_keeps_the_collector(command: str) -> None:
    assert run([command, "--no-such-option"]) == 64  # refused after the group chose it
    assert gc.isenabled()
