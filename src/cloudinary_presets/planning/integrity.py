"""Is a saved plan intact, and is it still exactly the plan that would be made now?

``apply PLAN`` writes only what was reviewed. Two questions decide it, both answered
here without any write:

1. :func:`check_document`: is the file what ``plan --out`` wrote? Its checksum must match
   its content (sha256 of the canonical JSON of everything but the checksum), and it must
   be consistent with itself: read back and written again it is the same document (a
   summary that does not count the changes, a ``kind`` that does not fit its values, an
   unknown key, changes out of order: all refused).
2. :func:`differences`: recomputed from the current definitions and the current remote,
   with the options recorded in the file, is the plan the same in every change and
   field? Each difference is named (which preset, which field, which option).

Presets the saved plan never saw and that a plan made now leaves alone (a new unmanaged
preset; another environment's presets, which are out of scope) do not make it differ:
they are not written either way.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from cloudinary_presets.cloudinary.remote import Snapshot
from cloudinary_presets.model.preset import preset_changes
from cloudinary_presets.model.sensitive import mask
from cloudinary_presets.model.wording import name_list
from cloudinary_presets.planning.plan import Action, Plan, document_checksum, seal_of

#: a key one side of a comparison does not have
_ABSENT = object()

#: what a plan does with a preset, as the end of "the saved plan would ..."
_VERBS = {
    Action.CREATE: "create it",
    Action.UPDATE: "update it",
    Action.DELETE: "delete it",
    Action.UNCHANGED: "leave it unchanged",
    Action.UNMANAGED: "leave it unmanaged",
}


def check_document(document: Mapping[str, Any]) -> list[str]:
    """Why a parsed plan file is not intact (empty: it is), most telling first."""
    recorded = document.get("checksum")
    if recorded != document_checksum(document):
        return [
            "the plan file was altered after `presets plan --out` wrote it: its checksum "
            + ("is missing" if recorded is None else "does not match its content")
        ]
    try:
        plan = Plan.from_dict(document)
        again = plan.to_dict()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"the plan file is damaged: {exc}"]
    problems = [
        f"the plan file is inconsistent: `{path}` "
        + (
            "is not a key of a plan file"
            if expected is _ABSENT
            else f"is {_show(found)}, but its content implies {_show(expected)}"
        )
        for path, found, expected in _mismatches(document, again, "")
        if path not in ("checksum", "seal")  # follow from the rest, checked above and later
    ]
    unlisted = plan.remote_fingerprints.keys() - {c.remote_name for c in plan.changes}
    if unlisted and not plan.only:  # without --only, every remote preset read is in the plan
        problems.append(
            "the plan file is inconsistent: remote_fingerprints names presets its changes do "
            f"not list: {', '.join(sorted(map(str, unlisted))[:5])}"
        )
    order = list(Action)
    keys = [(order.index(c.action), c.remote_name) for c in plan.changes]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        problems.append("the plan file is inconsistent: its changes are not in plan order")
    for change in plan.changes:
        recorded_remote = plan.remote_fingerprints.get(change.remote_name)
        if recorded_remote != change.before_fingerprint:
            problems.append(
                f"the plan file is inconsistent: {change.remote_name}'s before_fingerprint "
                "is not the remote fingerprint the plan recorded for it"
            )
    return problems


def check_seal(saved: Plan, key: bytes | None) -> str:
    """Why the saved plan's seal does not prove it was written for this target ("" if it does)."""
    if key is None:
        return ""  # no secret, no Admin API: the apply cannot go further anyway
    if not saved.seal:
        return "the plan file carries no seal (it was not written by `presets plan --out`)"
    if not hmac.compare_digest(saved.seal, seal_of(saved.checksum(), key)):
        return (
            "the plan file's seal does not match: it was altered after `presets plan --out` "
            "wrote it, or written for another account"
        )
    return ""


def differences(saved: Plan, now: Plan, snapshot: Snapshot) -> list[str]:
    """Every way the plan made now (same options) differs from the saved one."""
    reasons = []
    if now.definitions_digest != saved.definitions_digest:
        moved = _definitions_moved(saved, now)
        names = f": {name_list(moved)}" if moved else ""
        reasons.append(f"the definitions changed since the plan was made{names}")
    for option, before, after in (
        ("prune", saved.prune, now.prune),
        ("only", list(saved.only), list(now.only)),
    ):
        if before != after:
            reasons.append(f"option {option}: the saved plan has {before!r}, now {after!r}")
    saved_changes = {c.remote_name: c for c in saved.changes}
    now_changes = {c.remote_name: c for c in now.changes}
    wanted = {c.remote_name: c.after for c in now.changes if c.after is not None}
    for name in sorted(saved_changes.keys() | now_changes.keys()):
        mine, theirs = saved_changes.get(name), now_changes.get(name)
        drift = _remote_drift(name, mine.before_fingerprint if mine else None, snapshot, wanted)
        if mine is None and theirs is not None:
            if theirs.action is Action.UNMANAGED and name not in saved.remote_fingerprints:
                continue  # appeared since, and is left alone: nothing unreviewed is written
            now_does = f"a plan made now would {_VERBS[theirs.action]}"
            reasons.append(
                f"{drift}; {now_does}"
                if drift
                else f"{name}: {now_does}; the saved plan does not list it"
            )
        elif mine is not None and theirs is None:
            only = f" (options.only is {list(saved.only)} in the saved plan)" if saved.only else ""
            reasons.append(
                drift
                or f"{name}: the saved plan would {_VERBS[mine.action]}; "
                f"a plan made now does not list it{only}"
            )
        elif mine is not None and theirs is not None:
            if drift:
                reasons.append(drift)
            else:
                reasons.extend(_change_differences(name, mine.to_dict(), theirs.to_dict(), saved))
    listed = saved_changes.keys() | now_changes.keys()
    for name in sorted(saved.remote_fingerprints.keys() - listed):  # read, not in the plan
        drift = _remote_drift(name, saved.remote_fingerprints[name], snapshot, wanted)
        if drift:
            reasons.append(drift)
    if list(now.warnings) != list(saved.warnings):
        reasons.append("the warnings about remote values differ from the saved plan's")
    return reasons


def _definitions_moved(saved: Plan, now: Plan) -> list[str]:
    """Remote names whose desired preset differs between two plans (added, removed, edited)."""

    def desired(plan: Plan) -> dict[str, str | None]:
        return {c.remote_name: c.after_fingerprint for c in plan.changes if c.after_fingerprint}

    before, after = desired(saved), desired(now)
    return sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))


def _remote_drift(
    name: str, recorded: str | None, snapshot: Snapshot, wanted: Mapping[str, Any]
) -> str:
    """How the remote preset ``name`` moved since the plan recorded ``recorded``."""
    current = snapshot.presets.get(name)
    fingerprint = current.fingerprint if current else None
    if fingerprint == recorded:
        return ""
    if recorded is None:
        return f"{name}: appeared on the remote since the plan"
    if current is None:
        return f"{name}: was deleted from the remote since the plan"
    detail = ""
    desired = wanted.get(name)
    if desired is not None:
        fields = preset_changes(current.preset, desired)
        if fields:
            detail = "; differs now in " + ", ".join(f.path for f in fields[:6])
    return (
        f"{name}: changed on the remote since the plan "
        f"(was {recorded[:19]}…, now {(fingerprint or 'none')[:19]}…){detail}"
    )


def _change_differences(
    name: str, saved: Mapping[str, Any], now: Mapping[str, Any], plan: Plan
) -> list[str]:
    if saved == now:
        return []
    if saved["action"] != now["action"]:
        why = ""
        if {saved["action"], now["action"]} == {"delete", "unmanaged"}:
            why = f" (options.prune is {str(plan.prune).lower()} in the saved plan)"
        verbs = {action.value: verb for action, verb in _VERBS.items()}
        return [
            f"{name}: the saved plan would {verbs.get(saved['action'], saved['action'])}; "
            f"a plan made now would {verbs[now['action']]}{why}"
        ]
    reasons = []
    saved_fields = {f["path"]: f for f in saved["fields"]}
    now_fields = {f["path"]: f for f in now["fields"]}
    for path in sorted(saved_fields.keys() | now_fields.keys()):
        mine, theirs = saved_fields.get(path), now_fields.get(path)
        if mine == theirs:
            continue
        if mine is None or theirs is None:
            where = "the saved plan" if mine is not None else "a plan made now"
            reasons.append(f"{name}: field {path} is changed only in {where}")
            continue
        for key, found, expected in _mismatches(mine, theirs, ""):
            reasons.append(
                f"{name}: field {path}: {key} is {_show(found)} in the saved plan, "
                f"{_show(expected)} now"
            )
    for key in sorted((saved.keys() | now.keys()) - {"fields", "security_flags"}):
        if saved.get(key) != now.get(key):
            reasons.append(
                f"{name}: {key} is {_show(saved.get(key))} in the saved plan, "
                f"{_show(now.get(key))} now"
            )
    if not reasons:  # only the flags differ (they come from the fields, so this is rare)
        reasons.append(f"{name}: its security flags differ from the saved plan's")
    return reasons


def _mismatches(found: Any, expected: Any, path: str) -> list[tuple[str, Any, Any]]:
    """(path, found, expected) for every leaf where two JSON values differ."""
    if isinstance(found, dict) and isinstance(expected, dict):
        out = []
        for key in list(dict.fromkeys([*found, *expected])):
            child = f"{path}.{key}" if path else str(key)
            if key not in expected:
                out.append((child, found[key], _ABSENT))
            elif key not in found:
                out.append((child, _ABSENT, expected[key]))
            else:
                out.extend(_mismatches(found[key], expected[key], child))
        return out
    if isinstance(found, list) and isinstance(expected, list) and len(found) == len(expected):
        out = []
        for index, (a, b) in enumerate(zip(found, expected, strict=True)):
            out.extend(_mismatches(a, b, f"{path}[{index}]"))
        return out
    if found == expected and type(found) is type(expected):
        return []
    return [(path, found, expected)]


def _show(value: Any) -> str:
    """A value as JSON, cut to one readable line; ``absent`` for a missing key."""
    if value is _ABSENT:
        return "absent"
    text = mask(json.dumps(value, ensure_ascii=False, default=str))
    return text if len(text) <= 80 else f"{text[:70]}… ({len(text)} characters)"
