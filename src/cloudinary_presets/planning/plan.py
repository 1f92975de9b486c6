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
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cloudinary_presets._version import __version__
from cloudinary_presets.cloudinary.codec import sent_keys
from cloudinary_presets.cloudinary.remote import RemotePreset, Snapshot
from cloudinary_presets.cloudinary.stored_form import sent_form
from cloudinary_presets.definitions.project import Desired
from cloudinary_presets.errors import PlanError
from cloudinary_presets.model.changes import FieldChange, TextEnum
from cloudinary_presets.model.names import matches
from cloudinary_presets.model.preset import (
    Preset,
    fingerprint_of_json,
    preset_changes,
)
from cloudinary_presets.model.sensitive import mask_data
from cloudinary_presets.model.values import canonical_json as preset_json

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
            bool(data.get("emulator")),
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
    #: stored parameters the update clears (the remote has them, the definition does not)
    clear: tuple[str, ...] = ()

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


class Check(TextEnum):
    """The safety checks a plan is judged by (``planning/safety.py``)."""

    EMPTY_DEFINITIONS = "empty_definitions"
    MAX_UPDATE_PERCENT = "max_update_percent"
    MAX_DELETE_PERCENT = "max_delete_percent"
    PROTECTED = "protected"
    QUOTA = "quota"


@dataclass(frozen=True, kw_only=True)
class SafetyReason:
    """Why ``apply`` would refuse a plan: the check, the numbers, what to do about it.

    ``overridable``: ``--force`` overrides it (never for a protected preset).
    ``refuses_plan``: ``plan`` exits 3 for it; the quota is only a warning at plan time
    (it is judged again, with the quota left then, when applying).
    """

    check: Check
    message: str
    hint: str = ""
    overridable: bool = True
    refuses_plan: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check.value,
            "message": self.message,
            "hint": self.hint or None,
            "overridable": self.overridable,
            "refuses_plan": self.refuses_plan,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SafetyReason:
        return cls(
            check=Check(data["check"]),
            message=str(data["message"]),
            hint=str(data.get("hint") or ""),
            overridable=bool(data["overridable"]),
            refuses_plan=bool(data["refuses_plan"]),
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
    #: remote presets left out because they belong to other environments (name prefixes)
    out_of_scope: int = 0
    #: why ``apply`` would refuse this plan (judged by ``planning/safety.py``)
    safety: tuple[SafetyReason, ...] = ()
    #: the target's plan-seal key (``Credentials.plan_seal_key``): the document is sealed
    seal_key: bytes | None = field(default=None, repr=False, compare=False)
    #: the seal read from a plan file (checked against the target's key before applying)
    seal: str = ""

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
    def list_pages(self) -> int:
        """List calls to read the remote again (a page per 500 presets, at least one)."""
        return max(1, -(-len(self.remote_fingerprints) // PAGE_SIZE), self.list_calls)

    @property
    def apply_calls(self) -> int:
        """Admin API calls ``apply`` will spend: the writes, then reading back what they
        stored: one GET per written preset when that is fewer calls than a list pass."""
        if not self.writes:
            return 0
        return len(self.writes) + min(len(self.writes), self.list_pages)

    def refusals(self, *, force: bool = False, at_plan: bool = False) -> list[SafetyReason]:
        """The safety reasons that stop an apply (``at_plan``: that make ``plan`` exit 3).

        ``force`` overrides every reason but a protected preset's.
        """
        return [
            r
            for r in self.safety
            if (not force or not r.overridable) and (r.refuses_plan or not at_plan)
        ]

    def checksum(self) -> str:
        """sha256 of the whole document (:meth:`to_dict`) but the checksum itself."""
        return document_checksum(self._document())

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document: what ``--format json`` prints and ``--out`` saves."""
        document = self._document()
        out: dict[str, Any] = {}
        for key, value in document.items():
            out[key] = value
            if key == "summary":  # read first by people: what the plan does, then its checksum
                out["checksum"] = document_checksum(document)
                if self.seal_key is not None or self.seal:
                    out["seal"] = (
                        seal_of(out["checksum"], self.seal_key) if self.seal_key else self.seal
                    )
        return out

    def _document(self) -> dict[str, Any]:
        """Everything but the checksum, every string masked (``model/sensitive.py``): a
        remote value that carries a known secret is never printed or saved."""
        return mask_data(self._unmasked())

    def _unmasked(self) -> dict[str, Any]:
        return {
            "format_version": PLAN_FORMAT,
            "tool_version": self.tool_version,
            "created_at": self.created_at or None,
            "target": self.target.to_dict(),
            "summary": {
                **{a.value: n for a, n in self.counts.items()},
                "out_of_scope": self.out_of_scope,
                "has_changes": self.has_changes,
            },
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
            "safety": {
                "apply_would_refuse": bool(self.safety),
                "reasons": [r.to_dict() for r in self.safety],
            },
            "moderation_impact": dict(self.impact) or None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        api = data.get("api") or {}
        reset = api.get("quota_reset")
        options = data.get("options") or {}
        return cls(
            target=TargetInfo.from_dict(data["target"]),
            changes=tuple(Change.from_dict(c) for c in data["changes"]),
            remote_fingerprints=dict(data.get("remote_fingerprints") or {}),
            definitions_digest=str(data["definitions_digest"]),
            list_calls=int(api.get("list_calls") or 0),
            quota_limit=api.get("quota_limit"),
            quota_remaining=api.get("quota_remaining"),
            quota_reset=datetime.fromisoformat(reset) if reset else None,
            prune=bool(options.get("prune")),
            only=tuple(options.get("only") or ()),
            warnings=tuple(data.get("warnings") or ()),
            tool_version=str(data.get("tool_version") or ""),
            created_at=str(data.get("created_at") or ""),
            impact=dict(data.get("moderation_impact") or {}),
            out_of_scope=int((data.get("summary") or {}).get("out_of_scope") or 0),
            safety=tuple(
                SafetyReason.from_dict(r) for r in (data.get("safety") or {}).get("reasons", ())
            ),
            seal=str(data.get("seal") or ""),
        )


def _as_remote(preset: Preset, remote_name: str) -> Preset:
    """A definition as a preset read from the remote has it: its remote name, and the
    local-only fields (description, protect, ignored lints) unset."""
    update: dict[str, Any] = {
        "name": remote_name,
        "description": None,
        "protect": False,
        "ignore_lints": [],
    }
    return preset.model_copy(update=update)


def canonical_json(document: Any) -> str:
    """The one serialisation checksums are computed over: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_checksum(document: Mapping[str, Any]) -> str:
    """sha256 of a plan document's canonical JSON, its ``checksum`` and ``seal`` left out."""
    body = {k: v for k, v in document.items() if k not in ("checksum", "seal")}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()


def seal_of(checksum: str, key: bytes) -> str:
    """HMAC of a plan's checksum with the target's plan-seal key: editing a saved plan
    and writing a matching checksum is not enough, the seal needs the API secret."""
    return "hmac-sha256:" + hmac.new(key, checksum.encode(), hashlib.sha256).hexdigest()


def definitions_digest(desired: Sequence[Desired]) -> str:
    """sha256 over the canonical desired presets: changes only when the plan could."""
    return _digest([(d, preset_json(d.preset.canonical())) for d in desired])


def _digest(pairs: Sequence[tuple[Desired, str]]) -> str:
    """:func:`definitions_digest` of (definition, its canonical JSON) pairs.

    The text hashed is, byte for byte, ``json.dumps(sorted((remote name, canonical form,
    protect)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` (remote names
    are unique), assembled from each preset's canonical JSON, which the fingerprints have
    already serialised, instead of serialising every form a second time.
    """
    items = sorted(
        (d.remote_name, text, "true" if d.preset.protect else "false") for d, text in pairs
    )
    text = (
        "["
        + ",".join(
            f"[{json.dumps(name, ensure_ascii=False)},{canon},{protect}]"
            for name, canon, protect in items
        )
        + "]"
    )
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _cleared(current: RemotePreset, desired: Preset) -> tuple[str, ...]:
    """What an update must clear: stored on the remote, not sent by the definition."""
    return tuple(sorted(current.stored - sent_keys(desired)))


def build_plan(
    desired: Sequence[Desired],
    snapshot: Snapshot,
    target: TargetInfo,
    *,
    prune: bool = False,
    ignore: Sequence[str] = (),
    only: Sequence[str] = (),
    owns: Callable[[str], bool] | None = None,
    created_at: str = "",
) -> Plan:
    """Diff desired presets against a remote snapshot. Pure: no I/O, deterministic.

    ``owns(remote_name)`` says whether an undefined remote preset belongs to this
    environment (see ``EnvironmentSpec.owns``): those that do not are out of scope,
    neither listed nor pruned, only counted. A defined name is always in scope.
    Protected presets are planned like any other; ``planning/safety.py`` refuses.
    """
    clashes = [d for d in desired if matches(d.remote_name, ignore)]
    if clashes:
        raise PlanError(
            "defined presets match an `ignore` pattern: "
            + ", ".join(f"{d.remote_name} ({d.file})" for d in clashes),
            hint="remove the pattern from `ignore` in cloudinary-presets.yaml, or the file",
        )
    wanted = {d.remote_name: d for d in desired}
    remote = {}
    out_of_scope = 0
    for name, preset in snapshot.presets.items():
        if matches(name, ignore):
            continue
        if owns is not None and name not in wanted and not owns(name):
            out_of_scope += 1
            continue
        remote[name] = preset

    def selected(definition_name: str, remote_name: str) -> bool:
        return not only or matches(definition_name, only) or matches(remote_name, only)

    changes: list[Change] = []
    warnings: list[str] = []
    matched: dict[str, str | None] = {}  # remote name -> fingerprint, found without decoding
    # Each canonical form is computed once: it gives the fingerprint and the digest (it
    # dominated the time of planning thousands of presets).
    pairs = [(d, preset_json(d.preset.canonical())) for d in desired]
    for d, canon in pairs:
        if not selected(d.name, d.remote_name):
            continue
        current = remote.get(d.remote_name)
        change = Change(
            action=Action.CREATE,
            name=d.name,
            remote_name=d.remote_name,
            after=d.preset,
            after_fingerprint=fingerprint_of_json(canon),
            file=d.file,
            line=d.line,
        )
        if current is None:
            changes.append(replace(change, fields=tuple(preset_changes(None, d.preset))))
            continue
        if current.holds(sent_form(d.preset, d.remote_name)):
            # The listing holds byte for byte what apply would send: unchanged, and nothing
            # to decode. `before` is then the definition under its remote name (what
            # decoding the listing gives, by the codec's round trip).
            matched[d.remote_name] = change.after_fingerprint
            before = _as_remote(d.preset, d.remote_name)
            changes.append(
                replace(
                    change,
                    action=Action.UNCHANGED,
                    before=before,
                    before_fingerprint=change.after_fingerprint,
                )
            )
            continue
        change = replace(change, action=Action.UPDATE, before_fingerprint=current.fingerprint)
        if not current.readable:
            warnings.append(
                f"{d.remote_name}: the remote preset cannot be read ({current.problem}); "
                "the plan replaces it with the definition"
            )
            fields = tuple(preset_changes(None, d.preset))
            changes.append(replace(change, fields=fields, clear=_cleared(current, d.preset)))
            continue
        warnings.extend(
            f"{d.remote_name}: remote setting `{key}` kept as a raw value ({reason})"
            for key, reason in current.unreadable
            if key not in d.preset.extra_settings  # the definition keeps it raw on purpose
        )
        change = replace(change, before=current.preset)
        if current.fingerprint == change.after_fingerprint:
            changes.append(replace(change, action=Action.UNCHANGED))
            continue
        fields = tuple(preset_changes(current.preset, d.preset))
        changes.append(replace(change, fields=fields, clear=_cleared(current, d.preset)))
    for name, current in sorted(remote.items()):
        if name in wanted or not selected(name, name):
            continue
        gone = Change(
            action=Action.UNMANAGED,
            name=name,
            remote_name=name,
            before=current.preset if current.readable else None,
            before_fingerprint=current.fingerprint,
        )
        if not current.readable and not (prune and name in only):
            # never pruned by a pattern: deleting what cannot be read needs its exact name
            reason = f"it cannot be read ({current.problem})"
            hint = f"; to delete it, plan with `--prune --only {name}`" if prune else ""
            warnings.append(f"{name}: unmanaged and left alone: {reason}{hint}")
            changes.append(gone)
            continue
        if prune:
            fields = tuple(preset_changes(current.preset if current.readable else None, None))
            gone = replace(gone, action=Action.DELETE, fields=fields)
        changes.append(gone)
    changes.sort(key=lambda c: (_ORDER[c.action], c.remote_name))
    return Plan(
        target=target,
        changes=tuple(changes),
        remote_fingerprints={n: matched.get(n) or r.fingerprint for n, r in remote.items()},
        definitions_digest=_digest(pairs),
        list_calls=snapshot.list_calls,
        quota_limit=snapshot.quota_limit,
        quota_remaining=snapshot.quota_remaining,
        quota_reset=snapshot.quota_reset,
        prune=prune,
        only=tuple(only),
        warnings=tuple(warnings),
        created_at=created_at,
        out_of_scope=out_of_scope,
    )
