"""Documented behaviours that once survived mutation: each test here fails when its
behaviour is broken (each was checked by breaking it by hand, then restoring it).

* the quota slow-down (``operations/apply.py`` ``parallelism_for``): 8-wide while more than
  100 calls remain, 2-wide below 100, one at a time below 25;
* "notification_url moves to another host" (``model/values.py`` ``UrlKind.security``);
* categorization compared as an unordered set (``Wire.CSV``, ``UnorderedKind``).

The fourth, exit 130 with the writes in flight named, is in
``tests/reliability/test_signals.py`` (real SIGINTs to a child process).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import by_name, plan_json, simple, write

from cloudinary_presets.definitions.project import Project
from cloudinary_presets.emulator import Emulator
from cloudinary_presets.operations.apply import Event, parallelism_for
from cloudinary_presets.operations.target import open_target
from cloudinary_presets.operations.workflow import apply_interactive

# --------------------------------------------------------------------------- quota slow-down


@pytest.mark.parametrize(
    ("requested", "remaining", "allowed"),
    [
        (8, None, 8),  # no quota reported yet: as asked
        (8, 5000, 8),
        (8, 100, 8),
        (8, 99, 2),
        (1, 99, 1),  # never more than asked
        (8, 25, 2),
        (8, 24, 1),
        (8, 0, 1),
    ],
)
def test_parallelism_for_the_remaining_quota(requested, remaining, allowed) -> None:
    assert parallelism_for(requested, remaining) == allowed


def test_apply_slows_down_as_the_quota_runs_low(
    project_dir: Path, emulator: Emulator, cloudinary_url: str
) -> None:
    """140 creates at --parallelism 8 with 150 calls left: the writes in flight at each
    start, against the quota the client had read, follow the documented steps."""
    names = [f"q-{i:03d}" for i in range(140)]
    simple(project_dir, names)
    for example in ("avatar", "product-images", "ugc-moderated"):
        (project_dir / "presets" / f"{example}.yaml").unlink()
    emulator.set_quota("demo", limit=2000, remaining=150)
    emulator.set_faults([{"kind": "latency", "method": "POST", "path": "/v1_1/*/upload_presets",
                          "latency_ms": 20}])  # fmt: skip
    starts: list[tuple[int | None, int]] = []  # (remaining quota as read, writes in flight)
    lock = threading.Lock()
    in_flight = 0
    target = open_target(root=project_dir, environ={"CLOUDINARY_URL": cloudinary_url},
                         home=project_dir)  # fmt: skip

    def on_event(event: Event) -> None:
        nonlocal in_flight
        with lock:
            if event.kind == "start":
                in_flight += 1
                transport = target._transports[0]
                starts.append((transport.quota.remaining, in_flight))
            elif event.change is not None:
                in_flight -= 1

    with target:
        project = Project.open(project_dir)
        _, report = apply_interactive(
            project,
            project.environment(None),
            target,
            {},
            confirm=lambda plan: True,
            parallelism=8,
            on_event=on_event,
        )
    assert report is not None
    assert len(report.done) == 140
    # a worker may lower the quota between the loop's decision and the start event:
    # judge each start with a margin of the parallelism (8 calls)
    plenty = [n for left, n in starts if left is not None and left >= 108]
    low = [n for left, n in starts if left is not None and 33 <= left <= 91]
    lowest = [n for left, n in starts if left is not None and left <= 16]
    assert plenty, starts
    assert low, starts
    assert lowest, starts
    assert max(plenty) > 2  # really parallel while the quota lasts
    assert max(low) == 2
    assert max(lowest) == 1
    assert emulator.quota("demo")["remaining"] >= 0


# --------------------------------------------------------------------------- a URL's host


HOOK = "name: hooked\nsettings:\n  folder: hooks\n  notification_url: {url}\n"


@pytest.mark.parametrize(
    ("new_url", "flags"),
    [
        ("https://hooks.attacker.example/cloudinary", ["notification_url moves to another host"]),
        ("https://hooks.example.com/cloudinary/v2", []),  # same host, another path
        ("https://HOOKS.example.com/cloudinary", []),  # host names ignore case
    ],
)
def test_a_notification_url_moving_to_another_host_is_a_security_flag(
    new_url: str, flags: list[str], project_dir: Path, remote_cli: Any
) -> None:
    write(project_dir, "hooked", HOOK.format(url="https://hooks.example.com/cloudinary"))
    assert remote_cli("apply", "--yes").exit_code == 0
    write(project_dir, "hooked", HOOK.format(url=new_url))
    change = by_name(plan_json(remote_cli), "hooked")
    assert change["action"] == "update"
    assert change["security_flags"] == flags
    text = remote_cli("plan").stdout
    assert ("! security: notification_url moves to another host" in text) is bool(flags)


# --------------------------------------------------------------------------- categorization


CATEGORIZED = "name: tagged\nsettings:\n  categorization: [{items}]\n"


def test_categorization_is_compared_as_an_unordered_set(
    project_dir: Path, remote_cli: Any, sdk: Any
) -> None:
    """Cloudinary may list the add-ons in any order: another order is no change; another
    add-on is."""
    sdk.create_upload_preset(name="tagged", categorization="google_tagging,aws_rek_tagging")
    for path in (project_dir / "presets").glob("*.yaml"):
        path.unlink()
    write(project_dir, "tagged", CATEGORIZED.format(items="aws_rek_tagging, google_tagging"))
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0
    write(project_dir, "tagged", CATEGORIZED.format(items="google_tagging, aws_rek_tagging"))
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0
    write(project_dir, "tagged", CATEGORIZED.format(items="aws_rek_tagging, imagga_tagging"))
    changed = remote_cli("plan", "--detailed-exitcode")
    assert changed.exit_code == 2
    assert "categorization" in changed.stdout
