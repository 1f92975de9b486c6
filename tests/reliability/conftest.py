"""Fixtures of the reliability suites: the realistic change set on disk and in the
emulator, the create log, and retries that back off for milliseconds."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import FAST_RETRY, ChangeSet, CreateLog, make_changeset

from cloudinary_presets.cloudinary import transport


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transports made without an explicit policy (the CLI's) use :data:`FAST_RETRY`."""
    monkeypatch.setattr(
        transport, "RetryPolicy", lambda **kw: dataclasses.replace(FAST_RETRY, **kw)
    )


@pytest.fixture
def creates() -> Iterator[CreateLog]:
    with CreateLog().installed() as log:
        yield log


@pytest.fixture
def changeset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Any) -> ChangeSet:
    """The realistic change set, written to a project directory (the cwd) and seeded."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    made = make_changeset(root)
    made.seed(emulator)
    return made
