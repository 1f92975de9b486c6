"""Helpers of the reliability suites: a realistic change set, the create log, convergence.

A module of its own (several ``conftest.py`` files exist, so ``from conftest import``
would be ambiguous).

The change set is what a team's repository looks like after a few weeks: 22 preset
files against a product environment that already holds 26 presets. Applying it creates
8 presets, updates 8 (moderation thresholds, tags, folders, flags), deletes 5 that no
file defines any more (``prune: true``), leaves 6 unchanged, and must never touch the 5
presets the configuration ignores (``legacy_*``, ``ml_default``). The remote side is
seeded through the emulator's bulk API with the bodies the official SDK would send, and
every expectation about what the emulator stores is written out by hand here, not
computed by the library under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cloudinary_presets.cloudinary.retry import RetryPolicy

#: Retries as many as production, backing off for milliseconds (a 420/429 reset of a
#: second or two is still honoured; anything longer than 5 s fails instead of waiting).
FAST_RETRY = RetryPolicy(max_attempts=5, base_delay=0.005, max_delay=0.02, max_wait=5.0)
PRESET_PATHS = "/v1_1/*/upload_presets*"
CLOUD = "demo"

CONFIG = """\
# the configuration of the realistic change set
presets_dir: presets
prune: true
ignore: ["legacy_*", ml_default]
safety: {max_update_percent: 100, max_delete_percent: 100, min_existing: 10}
"""


# --------------------------------------------------------------------------- the presets


@dataclass(frozen=True)
class Spec:
    """One preset: its YAML definition and what the emulator stores for it (list form)."""

    name: str
    definition: dict[str, Any]  # the YAML file's content
    stored: dict[str, Any]  # the settings the emulator keeps after our client wrote it
    unsigned: bool = False

    def body(self) -> dict[str, Any]:
        """The create body the official SDK would send for this preset (to seed it)."""
        return {"name": self.name, "unsigned": self.unsigned, **self.stored}


def _managed(kind: str, i: int, *, version: str = "new") -> Spec:
    """A managed preset. ``version="old"`` is the remote state before the change set."""
    name = f"{kind}-{i:02d}"
    folder = f"apps/{kind}/{i:02d}"
    tags = ["app", f"team{i % 3}"]
    formats = ["jpg", "png", "webp"] if i % 2 else ["jpg", "png"]
    nudity, violence = (0.7, 0.8) if version == "new" else (0.9, 0.8)
    moderated = i % 3 != 0
    definition: dict[str, Any] = {"name": name, "settings": {}}
    settings = definition["settings"]
    # every "old" version differs: a looser threshold when moderated, else the folder
    settings["folder"] = folder if version == "new" or (moderated and i % 2) else f"{folder}-old"
    settings["tags"] = tags if version == "new" or i % 4 else ["app"]
    settings["allowed_formats"] = formats
    settings["context"] = {"source": kind, "owner": f"team{i % 3}"}
    settings["transformation"] = "c_limit,h_2000,w_2000"
    if version == "new" or i % 5:
        settings["use_filename"] = True
    stored: dict[str, Any] = {
        "folder": settings["folder"],
        "tags": ",".join(settings["tags"]),
        "allowed_formats": ",".join(formats),
        "context": f"source={kind}|owner=team{i % 3}",
        "transformation": "c_limit,h_2000,w_2000",
    }
    if "use_filename" in settings:
        stored["use_filename"] = True
    if moderated:
        settings["moderation"] = [
            {"aws_rek": {"explicit_nudity": nudity, "suggestive": "ignore", "violence": violence}},
            "manual",
        ]
        stored["moderation"] = (
            f"aws_rek:explicit_nudity:{nudity}:suggestive:ignore:violence:{violence}|manual"
        )
    return Spec(name, definition, stored)


def _unmanaged(name: str) -> Spec:
    stored = {"folder": f"legacy/{name}", "tags": "legacy", "unique_filename": False}
    return Spec(name, {}, stored)


@dataclass
class ChangeSet:
    """The project on disk, the remote before, and what the plan must contain."""

    root: Path
    keep: list[Spec]
    update_old: list[Spec]
    update_new: list[Spec]
    create: list[Spec]
    delete: list[Spec]
    unmanaged: list[Spec]
    seeded: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> raw preset

    @property
    def desired(self) -> dict[str, Spec]:
        return {s.name: s for s in [*self.keep, *self.update_new, *self.create]}

    @property
    def expected_writes(self) -> set[tuple[str, str]]:
        return (
            {("create", s.name) for s in self.create}
            | {("update", s.name) for s in self.update_new}
            | {("delete", s.name) for s in self.delete}
        )

    @property
    def untouchable(self) -> list[str]:
        """Presets the apply must leave byte-for-byte alone (unchanged and ignored ones)."""
        return [s.name for s in [*self.keep, *self.unmanaged]]

    def seed(self, emulator: Any) -> None:
        """Put the 'before' state into the emulator (in creation order: oldest first)."""
        bodies = [s.body() for s in [*self.unmanaged, *self.keep, *self.update_old, *self.delete]]
        emulator.seed_presets(CLOUD, bodies)
        self.seeded = stored_presets(emulator)


def write_project(root: Path, specs: list[Spec], config: str = CONFIG) -> None:
    """A project directory with one YAML file per spec (any old files removed)."""
    presets = root / "presets"
    if presets.exists():
        for old in presets.glob("*.yaml"):
            old.unlink()
    presets.mkdir(parents=True, exist_ok=True)
    (root / "cloudinary-presets.yaml").write_text(config, encoding="utf-8")
    for spec in specs:
        text = yaml.safe_dump(spec.definition, sort_keys=False, default_flow_style=None)
        (presets / f"{spec.name}.yaml").write_text(text, encoding="utf-8")


def make_changeset(
    root: Path, *, creates: int = 8, updates: int = 8, deletes: int = 5, keeps: int = 6
) -> ChangeSet:
    """Write the project; call :meth:`ChangeSet.seed` to prepare the remote."""
    changeset = ChangeSet(
        root=root,
        keep=[_managed("keep", i) for i in range(1, keeps + 1)],
        update_old=[_managed("upd", i, version="old") for i in range(1, updates + 1)],
        update_new=[_managed("upd", i) for i in range(1, updates + 1)],
        create=[_managed("new", i) for i in range(1, creates + 1)],
        delete=[_managed("old", i) for i in range(1, deletes + 1)],
        unmanaged=[_unmanaged(n) for n in ("legacy_a", "legacy_b", "legacy_c", "legacy_d")]
        + [_unmanaged("ml_default")],
    )
    write_project(root, list(changeset.desired.values()))
    for old, new in zip(changeset.update_old, changeset.update_new, strict=True):
        assert old.stored != new.stored, f"{old.name}: the update changes nothing"
    return changeset


# --------------------------------------------------------------------------- the remote


def stored_presets(emulator: Any, cloud: str = CLOUD) -> dict[str, dict[str, Any]]:
    """name -> the raw stored preset (list form, external_id included); names are unique
    in the emulator's store, so a duplicate here would be a bug in the emulator."""
    raw = emulator.presets(cloud)
    names = [p["name"] for p in raw]
    assert len(names) == len(set(names)), f"the emulator stores a name twice: {names}"
    return {str(p["name"]): dict(p) for p in raw}


def comparable_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Stored settings with list order and the defaults our client sends explicitly
    (``disallow_public_id: false``) normalised away, for comparison with a spec."""
    out = dict(settings)
    if out.get("disallow_public_id") is False:
        del out["disallow_public_id"]
    for key in ("tags", "allowed_formats"):
        if isinstance(out.get(key), str):
            out[key] = sorted(out[key].split(","))
    return out


class CreateLog:
    """Every preset the emulator created (successful POST /upload_presets), in order.

    The emulator's statistics count writes, not which preset each one was, so the log
    wraps its create handler (``cloudinary_presets.emulator.admin.create``).
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.names.clear()

    def duplicates(self) -> list[str]:
        with self._lock:
            return sorted({n for n in self.names if self.names.count(n) > 1})

    @contextlib.contextmanager
    def installed(self) -> Iterator[CreateLog]:
        from cloudinary_presets.emulator import admin

        real = admin.create

        def logging_create(*args: Any, **kw: Any) -> Any:
            row = real(*args, **kw)
            with self._lock:
                self.names.append(str(row.name))
            return row

        admin.create = logging_create  # type: ignore[assignment]
        try:
            yield self
        finally:
            admin.create = real  # type: ignore[assignment]


def assert_converged(changeset: ChangeSet, emulator: Any, creates: CreateLog) -> None:
    """The remote is exactly the desired state, nothing outside the plan changed, no
    preset was created twice and none was lost."""
    now = stored_presets(emulator)
    desired = changeset.desired
    expected_names = set(desired) | {s.name for s in changeset.unmanaged}
    missing = sorted(expected_names - set(now))
    extra = sorted(set(now) - expected_names)
    assert not missing, f"lost presets: {missing}"
    assert not extra, f"presets that should not exist: {extra}"
    for name, spec in desired.items():
        got = comparable_settings(now[name]["settings"])  # type: ignore[arg-type]
        assert got == comparable_settings(spec.stored), f"{name}: stored {now[name]}"
        assert now[name]["unsigned"] is spec.unsigned, name
    for name in changeset.untouchable:
        assert now[name] == changeset.seeded[name], f"{name} was touched: {now[name]}"
    for spec in changeset.update_new:  # updated in place, never deleted and re-created
        assert now[spec.name]["external_id"] == changeset.seeded[spec.name]["external_id"]
    assert not creates.duplicates(), f"created more than once: {creates.duplicates()}"
    created = set(creates.names)
    assert created == {s.name for s in changeset.create}, f"created: {sorted(created)}"


# --------------------------------------------------------------------------- apply outcomes

_PLAN_LINE = re.compile(r"^([+~-]) (create|update|delete) (\S+)", re.MULTILINE)
_DONE_LINE = re.compile(r"^(created|updated|deleted) (\S+)$", re.MULTILINE)
_FAILED_LINE = re.compile(r"^  failed: (create|update|delete) (\S+): ", re.MULTILINE)
# `  not attempted: 3 create(s): a, b, c` (past twenty names: `... and 5 more`)
_NOT_ATTEMPTED = re.compile(
    r"^  not attempted: \d+ (create|update|delete)\(s\): (.+?)(?: and (\d+) more)?$", re.MULTILINE
)
_VERBS = {"created": "create", "updated": "update", "deleted": "delete"}


@dataclass
class Outcome:
    """What one apply run said it did (from the CLI's output or the library's report)."""

    code: int
    planned: set[tuple[str, str]] = field(default_factory=set)
    done: set[tuple[str, str]] = field(default_factory=set)
    failed: set[tuple[str, str]] = field(default_factory=set)
    not_attempted: set[tuple[str, str]] = field(default_factory=set)
    applied: bool = False  # the run reached the write phase (an apply report exists)
    text: str = ""
    unnamed: dict[str, int] = field(default_factory=dict)  # not attempted, counted not named

    @property
    def reported(self) -> set[tuple[str, str]]:
        return self.done | self.failed | self.not_attempted


def outcome_from_cli(code: int, stdout: str, stderr: str) -> Outcome:
    text = stdout + stderr
    planned = {(action, name) for _, action, name in _PLAN_LINE.findall(stdout)}
    done = {(_VERBS[verb], name) for verb, name in _DONE_LINE.findall(text)}
    failed = set(_FAILED_LINE.findall(text))
    not_attempted: set[tuple[str, str]] = set()
    unnamed: dict[str, int] = {}
    for action, names, more in _NOT_ATTEMPTED.findall(text):
        not_attempted.update((action, name) for name in names.split(", "))
        unnamed[action] = int(more or 0)
    applied = "Apply complete: applied " in text or "change(s) in " in text
    return Outcome(code, planned, done, failed, not_attempted, applied, text, unnamed)


def outcome_from_library(run: Any) -> Outcome:
    """Run ``run()`` (a workflow call returning ``(plan, report)``) and describe it."""
    from cloudinary_presets.errors import ApplyFailed, PresetsError

    def pairs(changes: Any) -> set[tuple[str, str]]:
        return {(c.action, c.remote_name) for c in changes}

    try:
        plan, report = run()
    except ApplyFailed as exc:
        report = exc.report
        failed = {(c.action, c.remote_name) for c, _ in report.failed}  # type: ignore[attr-defined]
        return Outcome(
            1,
            planned=set(),
            done=pairs(report.done),  # type: ignore[attr-defined]
            failed=failed,
            not_attempted=pairs(report.not_attempted),  # type: ignore[attr-defined]
            applied=True,
            text=str(exc),
        )
    except PresetsError as exc:
        return Outcome(exc.exit_code, text=str(exc))
    writes = pairs(plan.writes)
    done = pairs(report.done) if report is not None else set()
    return Outcome(0, planned=writes, done=done, applied=report is not None, text="")


def pending_writes(cli: Any, root: Path | None = None) -> set[tuple[str, str]]:
    """The writes the next plan holds (``presets plan --format json``)."""
    where = ("--root", str(root)) if root is not None else ()
    result = cli("plan", "--format", "json", *where)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    return {
        (c["action"], c["remote_name"])
        for c in plan["changes"]
        if c["action"] in ("create", "update", "delete")
    }


def assert_failure_reported(
    outcome: Outcome, pending: set[tuple[str, str]], writes_made: int
) -> None:
    """A failed run says what failed; the remote (the state) agrees with what it said."""
    assert outcome.code == 1, f"a failed apply must exit 1, not {outcome.code}:\n{outcome.text}"
    assert "Traceback" not in outcome.text, outcome.text
    assert outcome.text.strip(), "a failed apply said nothing"
    if not outcome.applied:
        # failed while planning (the listing gave up): nothing may have been written
        assert writes_made == 0, (
            f"{writes_made} write(s) by a run that never applied:\n{outcome.text}"
        )
        return
    unverified = "could not verify what Cloudinary stored" in outcome.text
    assert (
        outcome.failed
        or outcome.not_attempted
        or unverified
        or "stored something other" in outcome.text
    ), f"a failed apply named nothing:\n{outcome.text}"
    for action, name in outcome.failed:
        assert f"{action} {name}" in outcome.text, (action, name, outcome.text)
    # the remote is the state: what is still to do was reported as not done
    assert not (pending & outcome.done), (
        f"reported done but still pending: {pending & outcome.done}"
    )
    unreported = pending - outcome.failed - outcome.not_attempted
    for action, count in outcome.unnamed.items():  # a long list names the first few only
        named = {pair for pair in unreported if pair[0] == action}
        assert len(named) <= count, f"{len(named)} {action}(s) unreported, {count} counted"
        unreported -= named
    assert not unreported, f"pending but never reported as failed: {unreported}\n{outcome.text}"


def child_env(url: str) -> dict[str, str]:
    """The environment of a ``presets`` child process: this one's, pointed at ``url``,
    without coverage, pytest or other Cloudinary settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COV_CORE_", "COVERAGE_", "CLOUDINARY_", "PYTEST_"))
    }
    env["CLOUDINARY_URL"] = url
    return env
