"""Plans are plain data: built by a pure function, rendered elsewhere, applied elsewhere.

:func:`build_plan` compares the desired presets (definitions resolved for one target)
with a snapshot of the remote presets and returns a :class:`Plan`: what to create,
update (field by field), delete, what is unchanged, and which remote presets no file
defines (unmanaged). It never talks to the network, so the same inputs always give the
same plan; that is what lets ``apply plan.json`` check that it applies exactly what was
reviewed. The JSON form (``Plan.to_dict``) is versioned and documented in the README;
it holds fingerprints and redacted values, never a secret.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudinary_presets._version import __version__
from cloudinary_presets.cloudinary.codec import canonical, canonical_fingerprint
from cloudinary_presets.definitions.config import Safety
from cloudinary_presets.errors import PlanError, RefusedError
from cloudinary_presets.model.preset import Preset
from cloudinary_presets.planning.diff import (
    FieldChange,
    canonical_changes,
    preset_changes,
    security_flags,
)

PLAN_FORMAT = 1
CREATE, UPDATE, DELETE, UNCHANGED, UNMANAGED = (
    "create",
    "update",
    "delete",
    "unchanged",
    "unmanaged",
)
WRITE_ACTIONS = (CREATE, UPDATE, DELETE)
_ORDER = {CREATE: 0, UPDATE: 1, DELETE: 2, UNCHANGED: 3, UNMANAGED: 4}
PAGE_SIZE = 500


@dataclass(frozen=True)
class Desired:
    """One definition resolved for a target: its remote name and where it was written."""

    name: str
    remote_name: str
    preset: Preset
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class RemotePreset:
    """One preset as read from the remote, decoded, with its fingerprint."""

    name: str
    preset: Preset
    fingerprint: str
    unreadable: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """Everything a plan reads from the remote: presets by remote name, and what it cost."""

    presets: Mapping[str, RemotePreset]
    list_calls: int = 0
    quota_limit: int | None = None
    quota_remaining: int | None = None
    quota_reset: datetime | None = None


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


@dataclass(frozen=True)
class Change:
    action: str
    name: str
    remote_name: str
    fields: tuple[FieldChange, ...] = ()
    flags: tuple[str, ...] = ()
    before: str | None = None  # fingerprint of the remote preset when planned
    after: str | None = None  # fingerprint of the desired preset
    file: str = ""
    line: int = 0

    @property
    def is_write(self) -> bool:
        return self.action in WRITE_ACTIONS

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "name": self.name,
            "remote_name": self.remote_name,
            "file": self.file or None,
            "line": self.line or None,
            "before_fingerprint": self.before,
            "after_fingerprint": self.after,
            "fields": [f.to_dict() for f in self.fields],
            "security_flags": list(self.flags),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            action=str(data["action"]),
            name=str(data["name"]),
            remote_name=str(data["remote_name"]),
            fields=tuple(
                FieldChange(f["path"], f.get("before"), f.get("after"), f.get("note", ""))
                for f in data.get("fields", [])
            ),
            flags=tuple(data.get("security_flags", [])),
            before=data.get("before_fingerprint"),
            after=data.get("after_fingerprint"),
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

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.is_write]

    @property
    def has_changes(self) -> bool:
        return bool(self.writes)

    @property
    def counts(self) -> dict[str, int]:
        return {a: len(self.of(a)) for a in (CREATE, UPDATE, DELETE, UNCHANGED, UNMANAGED)}

    @property
    def managed_existing(self) -> int:
        """Remote presets this plan manages: updated, deleted or unchanged ones."""
        return sum(1 for c in self.changes if c.action in (UPDATE, DELETE, UNCHANGED))

    @property
    def apply_calls(self) -> int:
        """Admin API calls ``apply`` will spend: the writes plus one verifying list pass."""
        if not self.writes:
            return 0
        return len(self.writes) + max(1, -(-len(self.remote_fingerprints) // PAGE_SIZE))

    def checksum(self) -> str:
        """sha256 of what the plan would do (actions, names, fingerprints), for review gates."""
        essence = [(c.action, c.remote_name, c.before, c.after) for c in self.changes if c.is_write]
        text = json.dumps([self.target.cloud_name, self.definitions_digest, essence])
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT,
            "tool_version": self.tool_version,
            "created_at": self.created_at or None,
            "target": self.target.to_dict(),
            "summary": {**self.counts, "has_changes": self.has_changes},
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
        )


def definitions_digest(desired: Iterable[Desired]) -> str:
    """sha256 over the canonical desired presets: changes only when the plan could."""
    return _digest((d, canonical(d.preset)) for d in desired)


def _digest(pairs: Iterable[tuple[Desired, dict[str, Any]]]) -> str:
    """:func:`definitions_digest` of (definition, its canonical form) pairs."""
    items = sorted((d.remote_name, canon, d.preset.protect) for d, canon in pairs)
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def matches(name: str, globs: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


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
    # Each canonical form is computed once: it gives the fingerprint, the field changes
    # and the digest (it dominated the time of planning thousands of presets).
    canons = [canonical(d.preset) for d in desired]
    for d, canon in zip(desired, canons, strict=True):
        if not in_scope(d.name, d.remote_name):
            continue
        current = remote.get(d.remote_name)
        after = canonical_fingerprint(canon)
        if current is None:
            changes.append(
                Change(
                    CREATE,
                    d.name,
                    d.remote_name,
                    tuple(canonical_changes(None, canon)),
                    tuple(security_flags(None, d.preset)),
                    None,
                    after,
                    d.file,
                    d.line,
                )
            )
            continue
        for key, reason in current.unreadable:
            warnings.append(
                f"{d.remote_name}: remote setting `{key}` kept as a raw value ({reason})"
            )
        if current.fingerprint == after:
            changes.append(
                Change(
                    UNCHANGED,
                    d.name,
                    d.remote_name,
                    (),
                    (),
                    current.fingerprint,
                    after,
                    d.file,
                    d.line,
                )
            )
            continue
        fields = tuple(canonical_changes(canonical(current.preset), canon))
        flags = tuple(security_flags(current.preset, d.preset))
        changes.append(
            Change(
                UPDATE,
                d.name,
                d.remote_name,
                fields,
                flags,
                current.fingerprint,
                after,
                d.file,
                d.line,
            )
        )
    protected = []
    for name, current in sorted(remote.items()):
        if name in wanted or not in_scope(name, name):
            continue
        if not prune:
            changes.append(Change(UNMANAGED, name, name, before=current.fingerprint))
            continue
        if matches(name, protect):
            protected.append(name)
            continue
        changes.append(
            Change(
                DELETE,
                name,
                name,
                tuple(preset_changes(current.preset, None)),
                before=current.fingerprint,
            )
        )
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
        definitions_digest=_digest(zip(desired, canons, strict=True)),
        list_calls=snapshot.list_calls,
        quota_limit=snapshot.quota_limit,
        quota_remaining=snapshot.quota_remaining,
        quota_reset=snapshot.quota_reset,
        prune=prune,
        only=tuple(only),
        warnings=tuple(warnings),
        created_at=created_at,
    )


def check_safety(plan: Plan, safety: Safety, *, empty_definitions: bool = False) -> None:
    """octoDNS-style thresholds and the quota check; raises RefusedError with the numbers."""
    existing = plan.managed_existing
    counts = plan.counts
    if empty_definitions and counts[DELETE]:
        raise RefusedError(
            f"no definitions were found, and the plan would delete all {counts[DELETE]} "
            "remote preset(s)",
            hint="check the presets folder; pass --force if deleting everything is intended",
        )
    if existing >= safety.min_existing and existing:
        for action, limit in (
            (UPDATE, safety.max_update_percent),
            (DELETE, safety.max_delete_percent),
        ):
            share = 100.0 * counts[action] / existing
            if share > limit:
                raise RefusedError(
                    f"too many {action}s: {share:.2f}% is over {limit:.2f}% "
                    f"({counts[action]}/{existing} managed presets)",
                    hint="review the plan; pass --force to apply it anyway, or raise "
                    f"safety.max_{action}_percent in cloudinary-presets.yaml",
                )
    remaining = plan.quota_remaining
    if remaining is not None and plan.apply_calls > remaining:
        when = f" (resets {plan.quota_reset:%Y-%m-%d %H:%M} UTC)" if plan.quota_reset else ""
        raise RefusedError(
            f"not enough Admin API quota: this apply needs {plan.apply_calls} call(s), "
            f"{remaining} remain{when}",
            hint="wait for the reset, apply a part with --only, or pass --force",
        )
