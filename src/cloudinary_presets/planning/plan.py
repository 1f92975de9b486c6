"""Plans are plain data: built by a pure function, rendered elsewhere, applied elsewhere.

:func:`build_plan` compares the desired presets (definitions resolved for one target)
with a snapshot of the remote presets and returns a :class:`Plan`: what to create,
update (field by field), delete, what is unchanged, and which remote presets no file
defines (unmanaged). It never talks to the network, so the same inputs always give the
same plan; that is what lets ``apply plan.json`` check that it applies exactly what was
reviewed.

A :class:`Change` carries the typed presets on both sides and their typed field changes
(computed by the presets themselves, see :func:`~cloudinary_presets.model.preset.preset_changes`).
The JSON form (``Plan.to_dict``) is versioned and documented; it holds fingerprints and
redacted values only: the typed presets never leave the process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cloudinary_presets._version import __version__
from cloudinary_presets.cloudinary.remote import Snapshot
from cloudinary_presets.definitions.project import Desired
from cloudinary_presets.errors import PlanError
from cloudinary_presets.model.changes import FieldChange, TextEnum
from cloudinary_presets.model.names import matches
from cloudinary_presets.model.preset import Preset, fingerprint_of, preset_changes

#: Version of the plan JSON. 2: rooted field paths, typed ``meaning``/``security`` per field.
PLAN_FORMAT = 2
PAGE_SIZE = 500


class Action(TextEnum):
    """What a plan does with one preset, in the order changes are listed and applied."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    UNMANAGED = "unmanaged"

    @property
    def is_write(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.DELETE)


_ORDER = {action: index for index, action in enumerate(Action)}


@dataclass(frozen=True)
class TargetInfo:
    """Which product environment a plan is for. Never holds a secret or an API key."""

    description: str
    cloud_name: str
    api_host: str
    key_fingerprint: str
    environment: str | None = None
    emulator: bool = False
    git_revision: str | None = None  # a --base plan: the "remote" is the definitions at REV

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "cloud_name": self.cloud_name,
            "api_host": self.api_host,
            "key_fingerprint": self.key_fingerprint,
            "environment": self.environment,
            "emulator": self.emulator,
            "git_revision": self.git_revision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetInfo:
        return cls(
            str(data["description"]),
            str(data["cloud_name"]),
            str(data["api_host"]),
            str(data["key_fingerprint"]),
            data.get("environment"),
            bool(data.get("emulator", False)),
            data.get("git_revision"),
        )


@dataclass(frozen=True, kw_only=True)
class Change:
    """One preset's fate in a plan.

    ``before``/``after`` are the typed presets (remote, desired); they exist only in the
    process that built the plan, never in a plan file. The fingerprints are what a saved
    plan keeps of them.
    """

    action: Action
    name: str
    remote_name: str
    fields: tuple[FieldChange, ...] = ()
    before: Preset | None = None
    after: Preset | None = None
    before_fingerprint: str | None = None
    after_fingerprint: str | None = None
    file: str = ""
    line: int = 0

    @property
    def is_write(self) -> bool:
        return self.action.is_write

    @property
    def flags(self) -> tuple[str, ...]:
        """The security notes of this change's fields, in field order."""
        return tuple(f.security for f in self.fields if f.security)

    def touches(self, setting: str) -> bool:
        """True when a field of ``setting`` (``settings.moderation``) changes."""
        return any(f.setting == setting for f in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "name": self.name,
            "remote_name": self.remote_name,
            "file": self.file or None,
            "line": self.line or None,
            "before_fingerprint": self.before_fingerprint,
            "after_fingerprint": self.after_fingerprint,
            "fields": [f.to_dict() for f in self.fields],
            "security_flags": list(self.flags),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            action=Action(data["action"]),
            name=str(data["name"]),
            remote_name=str(data["remote_name"]),
            fields=tuple(FieldChange.from_dict(f) for f in data.get("fields", [])),
            before_fingerprint=data.get("before_fingerprint"),
            after_fingerprint=data.get("after_fingerprint"),
            file=data.get("file") or "",
            line=data.get("line") or 0,
        )


@dataclass(frozen=True)
class Plan:
    target: TargetInfo
    changes: tuple[Change, ...]
    remote_fingerprints: Mapping[str, str]
    definitions_digest: str
    list_calls: int = 0
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset: datetime | None = None
    prune: bool = False
    only: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    tool_version: str = __version__
    created_at: str = ""
    impact: Mapping[str, Any] = field(default_factory=dict)

    def of(self, action: Action) -> list[Change]:
        return [c for c in self.changes if c.action is action]

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.is_write]

    @property
    def has_changes(self) -> bool:
        return bool(self.writes)

    @property
    def counts(self) -> dict[Action, int]:
        return {a: len(self.of(a)) for a in Action}

    @property
    def managed_existing(self) -> int:
        """Remote presets this plan manages: updated, deleted or unchanged ones."""
        managed = (Action.UPDATE, Action.DELETE, Action.UNCHANGED)
        return sum(1 for c in self.changes if c.action in managed)

    @property
    def apply_calls(self) -> int:
        """Admin API calls ``apply`` will spend: the writes plus one verifying list pass."""
        if not self.writes:
            return 0
        return len(self.writes) + max(1, -(-len(self.remote_fingerprints) // PAGE_SIZE))

    def checksum(self) -> str:
        """sha256 of what the plan would do (actions, names, fingerprints), for review gates."""
        essence = [
            (c.action.value, c.remote_name, c.before_fingerprint, c.after_fingerprint)
            for c in self.writes
        ]
        text = json.dumps([self.target.cloud_name, self.definitions_digest, essence])
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT,
            "tool_version": self.tool_version,
            "created_at": self.created_at or None,
            "target": self.target.to_dict(),
            "summary": {
                **{a.value: n for a, n in self.counts.items()},
                "has_changes": self.has_changes,
            },
            "checksum": self.checksum(),
            "api": {
                "list_calls": self.list_calls,
                "apply_calls": self.apply_calls,
                "quota_limit": self.quota_limit,
                "quota_remaining": self.quota_remaining,
                "quota_reset": self.quota_reset.isoformat() if self.quota_reset else None,
            },
            "options": {"prune": self.prune, "only": list(self.only)},
            "definitions_digest": self.definitions_digest,
            "remote_fingerprints": dict(sorted(self.remote_fingerprints.items())),
            "changes": [c.to_dict() for c in self.changes],
            "warnings": list(self.warnings),
            "moderation_impact": dict(self.impact) or None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        api = data.get("api") or {}
        reset = api.get("quota_reset")
        return cls(
            target=TargetInfo.from_dict(data["target"]),
            changes=tuple(Change.from_dict(c) for c in data["changes"]),
            remote_fingerprints=dict(data.get("remote_fingerprints") or {}),
            definitions_digest=str(data["definitions_digest"]),
            list_calls=int(api.get("list_calls") or 0),
            quota_limit=api.get("quota_limit"),
            quota_remaining=api.get("quota_remaining"),
            quota_reset=datetime.fromisoformat(reset) if reset else None,
            prune=bool((data.get("options") or {}).get("prune", False)),
            only=tuple((data.get("options") or {}).get("only") or ()),
            warnings=tuple(data.get("warnings") or ()),
            tool_version=str(data.get("tool_version") or ""),
            created_at=str(data.get("created_at") or ""),
            impact=dict(data.get("moderation_impact") or {}),
        )


def definitions_digest(desired: Sequence[Desired]) -> str:
    """sha256 over the canonical desired presets: changes only when the plan could."""
    return _digest([(d, d.preset.canonical()) for d in desired])


def _digest(pairs: Sequence[tuple[Desired, dict[str, Any]]]) -> str:
    """:func:`definitions_digest` of (definition, its canonical form) pairs."""
    items = sorted((d.remote_name, canon, d.preset.protect) for d, canon in pairs)
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_plan(
    desired: Sequence[Desired],
    snapshot: Snapshot,
    target: TargetInfo,
    *,
    prune: bool = False,
    ignore: Sequence[str] = (),
    protect: Sequence[str] = (),
    only: Sequence[str] = (),
    created_at: str = "",
) -> Plan:
    """Diff desired presets against a remote snapshot. Pure: no I/O, deterministic."""
    clashes = [d for d in desired if matches(d.remote_name, ignore)]
    if clashes:
        raise PlanError(
            "defined presets match an `ignore` pattern: "
            + ", ".join(f"{d.remote_name} ({d.file})" for d in clashes),
            hint="remove the pattern from `ignore` in cloudinary-presets.yaml, or the file",
        )
    remote = {n: r for n, r in snapshot.presets.items() if not matches(n, ignore)}
    wanted = {d.remote_name: d for d in desired}

    def in_scope(definition_name: str, remote_name: str) -> bool:
        return not only or matches(definition_name, only) or matches(remote_name, only)

    changes: list[Change] = []
    warnings: list[str] = []
    # Each canonical form is computed once: it gives the fingerprint and the digest (it
    # dominated the time of planning thousands of presets).
    canons = [d.preset.canonical() for d in desired]
    for d, canon in zip(desired, canons, strict=True):
        if not in_scope(d.name, d.remote_name):
            continue
        current = remote.get(d.remote_name)
        change = Change(
            action=Action.CREATE,
            name=d.name,
            remote_name=d.remote_name,
            after=d.preset,
            after_fingerprint=fingerprint_of(canon),
            file=d.file,
            line=d.line,
        )
        if current is None:
            changes.append(replace(change, fields=tuple(preset_changes(None, d.preset))))
            continue
        for key, reason in current.unreadable:
            warnings.append(
                f"{d.remote_name}: remote setting `{key}` kept as a raw value ({reason})"
            )
        change = replace(change, before=current.preset, before_fingerprint=current.fingerprint)
        if current.fingerprint == change.after_fingerprint:
            changes.append(replace(change, action=Action.UNCHANGED))
            continue
        fields = tuple(preset_changes(current.preset, d.preset))
        changes.append(replace(change, action=Action.UPDATE, fields=fields))
    protected = []
    for name, current in sorted(remote.items()):
        if name in wanted or not in_scope(name, name):
            continue
        gone = Change(
            action=Action.UNMANAGED,
            name=name,
            remote_name=name,
            before=current.preset,
            before_fingerprint=current.fingerprint,
        )
        if not prune:
            changes.append(gone)
            continue
        if matches(name, protect):
            protected.append(name)
            continue
        fields = tuple(preset_changes(current.preset, None))
        changes.append(replace(gone, action=Action.DELETE, fields=fields))
    if protected:
        raise PlanError(
            f"the plan would delete protected preset(s): {', '.join(protected)}",
            hint="restore their definitions, or remove them from `protect` in "
            "cloudinary-presets.yaml first",
        )
    changes.sort(key=lambda c: (_ORDER[c.action], c.remote_name))
    return Plan(
        target=target,
        changes=tuple(changes),
        remote_fingerprints={n: r.fingerprint for n, r in remote.items()},
        definitions_digest=_digest(list(zip(desired, canons, strict=True))),
        list_calls=snapshot.list_calls,
        quota_limit=snapshot.quota_limit,
        quota_remaining=snapshot.quota_remaining,
        quota_reset=snapshot.quota_reset,
        prune=prune,
        only=tuple(only),
        warnings=tuple(warnings),
        created_at=created_at,
    )
