"""A plan's JSON document keeps everything a plan says, and a saved plan reads back as
the same plan; the safety checks judge plans built in memory (``planning/safety.py``)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import pytest

from cloudinary_presets.cloudinary.codec import decode, encode
from cloudinary_presets.cloudinary.remote import RemotePreset, Snapshot
from cloudinary_presets.definitions.config import Safety
from cloudinary_presets.definitions.project import Desired
from cloudinary_presets.errors import PlanError
from cloudinary_presets.model.changes import FieldChange, Meaning
from cloudinary_presets.model.preset import Preset, preset_changes
from cloudinary_presets.planning.plan import (
    Action,
    Change,
    Check,
    Plan,
    SafetyReason,
    TargetInfo,
    build_plan,
    document_checksum,
)
from cloudinary_presets.planning.safety import judge, refusal

TARGET = TargetInfo("staging", "demo", "http://127.0.0.1:1", "sha256:0")


def _every_field_set() -> Plan:
    return Plan(
        target=TargetInfo(
            "cloud 'demo' (staging)",
            "demo",
            "http://127.0.0.1:1",
            "sha256:abc",
            environment="staging",
            emulator=True,
            git_revision="main~1",
        ),
        changes=(
            Change(
                action=Action.UPDATE,
                name="ugc",
                remote_name="stg-ugc",
                fields=(
                    FieldChange(
                        path="settings.moderation",
                        before="manual",
                        after=None,
                        meaning=Meaning.NO_LONGER_MODERATED,
                        note="n",
                        security="uploads are no longer moderated",
                    ),
                ),
                before_fingerprint="sha256:1",
                after_fingerprint="sha256:2",
                file="presets/ugc.yaml",
                line=3,
            ),
            Change(action=Action.DELETE, name="old", remote_name="stg-old"),
        ),
        remote_fingerprints={"stg-ugc": "sha256:1", "stg-old": "sha256:3"},
        definitions_digest="sha256:d",
        list_calls=2,
        quota_limit=500,
        quota_remaining=40,
        quota_reset=datetime(2026, 1, 2, 3, 4),
        prune=True,
        only=("stg-*",),
        warnings=("w",),
        tool_version="9.9",
        seal="hmac-sha256:0",
        created_at="2026-01-01T00:00:00+00:00",
        impact={"stg-ugc": {"moderated": False}},
        out_of_scope=4,
        safety=(
            SafetyReason(
                check=Check.PROTECTED,
                message="m",
                hint="h",
                overridable=False,
                refuses_plan=False,
            ),
        ),
    )


def test_a_saved_plan_reads_back_as_the_same_plan() -> None:
    plan = _every_field_set()
    document = json.loads(json.dumps(plan.to_dict()))
    again = Plan.from_dict(document)
    assert again.to_dict() == document
    keys = list(document)
    assert keys[keys.index("summary") + 1 : keys.index("summary") + 3] == ["checksum", "seal"]
    assert document["api"]["quota_reset"] == "2026-01-02T03:04:00"
    assert again.target == plan.target
    assert again.out_of_scope == 4
    assert again.impact == plan.impact
    assert (again.prune, again.only, again.list_calls) == (True, ("stg-*",), 2)
    assert again.tool_version == "9.9"
    assert again.safety == plan.safety
    assert again.changes[0].fields == plan.changes[0].fields
    assert again.changes[0].touches("settings.moderation")
    assert not again.changes[0].touches("settings.folder")
    assert again.changes[0].flags == ("uploads are no longer moderated",)


def test_a_minimal_document_reads_with_the_defaults() -> None:
    document = {
        "target": {"description": "d", "cloud_name": "c", "api_host": "h", "key_fingerprint": "k"},
        "changes": [{"action": "create", "name": "a", "remote_name": "a"}],
        "definitions_digest": "sha256:d",
        "safety": {"reasons": [{"check": "quota", "message": "m", "overridable": 1,
                                "refuses_plan": 0}]},
    }  # fmt: skip
    plan = Plan.from_dict(document)
    assert plan.target == TargetInfo("d", "c", "h", "k")
    assert (plan.target.emulator, plan.target.git_revision) == (False, None)
    assert plan.changes == (Change(action=Action.CREATE, name="a", remote_name="a"),)
    assert (plan.list_calls, plan.prune, plan.only, plan.out_of_scope) == (0, False, (), 0)
    assert (plan.tool_version, plan.created_at, plan.impact) == ("", "", {})
    assert plan.safety == (
        SafetyReason(check=Check.QUOTA, message="m", hint="", refuses_plan=False),
    )
    assert Plan.from_dict({**document, "safety": {}}).safety == ()


# --------------------------------------------------------------------------- safety


def _plan(**counts: int) -> Plan:
    changes = tuple(
        Change(action=Action(action), name=f"{action}-{n}", remote_name=f"{action}-{n}")
        for action, count in counts.items()
        for n in range(count)
    )
    return Plan(TARGET, changes, {}, "sha256:d")


def test_a_protected_delete_is_refused_even_with_force() -> None:
    [reason] = judge(_plan(delete=2, unchanged=1), Safety(), protect=["delete-*"])
    assert reason.check is Check.PROTECTED
    assert reason.message == "the plan would delete protected preset(s): delete-0, delete-1"
    assert reason.hint == (
        "restore their definitions, or remove them from `protect` in "
        "cloudinary-presets.yaml first (--force does not override protection)"
    )
    assert not reason.overridable


def test_deleting_everything_because_no_definitions_were_found_is_refused() -> None:
    plan = _plan(delete=3)
    assert judge(plan, Safety()) == ()  # below min_existing, and definitions were found
    [reason] = judge(plan, Safety(), empty_definitions=True)
    assert reason.check is Check.EMPTY_DEFINITIONS
    assert reason.message == (
        "no definitions were found, and the plan would delete all 3 remote preset(s)"
    )
    assert reason.hint == (
        "check the presets folder; pass --force if deleting everything is intended"
    )
    assert judge(_plan(unchanged=1), Safety(), empty_definitions=True) == ()


@pytest.mark.parametrize(
    ("reset", "when"),
    [(None, ""), (datetime(2026, 1, 2, 3, 4, 5), " (resets 2026-01-02 03:04 UTC)")],
)
def test_not_enough_quota_is_a_reason_that_does_not_refuse_the_plan(reset, when) -> None:
    plan = Plan(TARGET, _plan(create=3).changes, {}, "sha256:d", quota_remaining=3,
                quota_reset=reset)  # fmt: skip
    [reason] = judge(plan, Safety())
    assert reason.check is Check.QUOTA
    assert (
        reason.message == f"not enough Admin API quota: this apply needs 4 call(s), 3 remain{when}"
    )
    assert not reason.refuses_plan


def test_the_refusal_says_every_reason_and_each_hint_once() -> None:
    reasons = [
        SafetyReason(check=Check.MAX_UPDATE_PERCENT, message="one", hint="h1"),
        SafetyReason(check=Check.MAX_DELETE_PERCENT, message="two", hint="h1"),
        SafetyReason(check=Check.QUOTA, message="three", hint="h2"),
        SafetyReason(check=Check.PROTECTED, message="four"),
    ]
    error = refusal(reasons)
    assert error is not None
    assert str(error) == "one\n  two\n  three\n  four\n  hint: h1\n  hint: h2"
    assert refusal([]) is None


def test_an_unchanged_preset_found_without_decoding_is_the_remote_one() -> None:
    """``before`` is what decoding the listing gives: no local-only fields, the remote name."""
    preset = Preset.model_validate(
        {
            "name": "ugc",
            "description": "user uploads",
            "protect": True,
            "ignore_lints": ["unsigned-without-moderation"],
            "settings": {"folder": "ugc"},
        }
    )
    body = encode(preset, name="stg-ugc")
    listed = {"name": body.pop("name"), "unsigned": body.pop("unsigned"), "settings": body}
    snapshot = Snapshot({"stg-ugc": RemotePreset.listed(listed)})
    plan = build_plan([Desired("ugc", "stg-ugc", preset, "ugc.yaml", 1)], snapshot, TARGET)
    [change] = plan.changes
    assert change.action is Action.UNCHANGED
    assert change.before is not None
    decoded = decode(listed).preset
    assert change.before.model_dump() == decoded.model_dump()
    assert (change.before.description, change.before.protect) == (None, False)
    assert change.before.ignore_lints == []
    assert plan.to_dict()["created_at"] is None
    stamped = build_plan([], snapshot, TARGET, created_at="2026-01-01T00:00:00+00:00")
    assert stamped.to_dict()["created_at"] == "2026-01-01T00:00:00+00:00"


def test_a_definition_that_an_ignore_pattern_hides_is_refused() -> None:
    preset = Preset.model_validate({"name": "tmp-a", "settings": {}})
    desired = [
        Desired("tmp-a", "tmp-a", preset, "presets/tmp.yaml", 1),
        Desired("tmp-a", "tmp-b", preset, "presets/tmp.yaml", 1),
    ]
    with pytest.raises(PlanError) as caught:
        build_plan(desired, Snapshot({}), TARGET, ignore=["tmp-*"])
    assert str(caught.value) == (
        "defined presets match an `ignore` pattern: tmp-a (presets/tmp.yaml), tmp-b "
        "(presets/tmp.yaml)\n"
        "  hint: remove the pattern from `ignore` in cloudinary-presets.yaml, or the file"
    )


def _desired(name: str, remote_name: str, **settings: object) -> Desired:
    preset = Preset.model_validate({"name": name, "settings": settings})
    return Desired(name, remote_name, preset, f"presets/{name}.yaml", 1)


def test_a_remote_preset_that_cannot_be_read_is_replaced_by_the_definition() -> None:
    unreadable = RemotePreset.listed({"name": "ugc", "live": True, "settings": ["not", "a", "map"]})
    snapshot = Snapshot({"ugc": unreadable})
    desired = [_desired("ugc", "ugc", folder="f", tags=["a"]), _desired("zed", "zed")]
    plan = build_plan(desired, snapshot, TARGET)
    change, zed = plan.changes[1], plan.changes[0]
    assert (zed.action, zed.remote_name) == (Action.CREATE, "zed")
    assert change.action is Action.UPDATE
    assert change.clear == ("live",)  # stored, and the definition does not send it
    definition = change.after
    assert change.fields == tuple(preset_changes(None, definition))  # as for a create
    assert {"settings.folder", "settings.tags"} <= {f.path for f in change.fields}
    assert plan.warnings == (
        "ugc: the remote preset cannot be read (its settings are not a map: "
        "\"['not', 'a', 'map']\"); the plan replaces it with the definition",
    )


def test_ignored_and_selected_remote_presets() -> None:
    remote = {
        name: RemotePreset.listed({"name": name, "settings": {"folder": name}})
        for name in ("tmp-1", "stg-ugc", "zz")
    }
    desired = [_desired("ugc", "stg-ugc", folder="new"), _desired("other", "other")]
    plan = build_plan(desired, Snapshot(remote), TARGET, ignore=["tmp-*"])
    assert [(c.action, c.remote_name) for c in plan.changes] == [
        (Action.CREATE, "other"),
        (Action.UPDATE, "stg-ugc"),
        (Action.UNMANAGED, "zz"),
    ]
    assert set(plan.remote_fingerprints) == {"stg-ugc", "zz"}
    only = build_plan(desired, Snapshot(remote), TARGET, ignore=["tmp-*"], only=["stg-ugc"])
    assert [(c.action, c.remote_name) for c in only.changes] == [(Action.UPDATE, "stg-ugc")]


def test_the_checksum_is_sha256_of_the_sorted_compact_utf8_document() -> None:
    """The documented formula, so a saved plan can be checked by other tools."""
    document = {"b": "é", "a": [1, {"d": 2, "c": None}], "checksum": "x", "seal": "y"}
    text = '{"a":[1,{"c":null,"d":2}],"b":"é"}'
    expected = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert document_checksum(document) == expected


def test_an_update_clears_what_the_remote_stores_and_the_definition_does_not_send() -> None:
    remote = RemotePreset.listed({"name": "a", "settings": {"folder": "old", "tags": "x"}})
    plan = build_plan([_desired("a", "a", folder="new")], Snapshot({"a": remote}), TARGET)
    [change] = plan.changes
    assert (change.action, change.clear) == (Action.UPDATE, ("tags",))


def test_an_unreadable_preset_no_file_defines_is_deleted_only_by_its_exact_name() -> None:
    remote = {
        "bad": RemotePreset.listed({"name": "bad", "settings": ["x"]}),
        "zz": RemotePreset.listed({"name": "zz", "settings": {"folder": "z"}}),
    }
    problem = "its settings are not a map: \"['x']\""

    kept = build_plan([], Snapshot(remote), TARGET)
    assert [(c.action, c.remote_name) for c in kept.changes] == [
        (Action.UNMANAGED, "bad"),
        (Action.UNMANAGED, "zz"),
    ]
    assert kept.changes[0].before is None
    assert kept.changes[1].before is not None
    assert kept.changes[1].before.canonical() == remote["zz"].preset.canonical()
    assert kept.warnings == (f"bad: unmanaged and left alone: it cannot be read ({problem})",)

    pruned = build_plan([], Snapshot(remote), TARGET, prune=True, only=["bad", "z*"])
    assert [(c.action, c.remote_name) for c in pruned.changes] == [
        (Action.DELETE, "bad"),
        (Action.DELETE, "zz"),
    ]
    assert pruned.changes[0].fields == ()
    assert pruned.warnings == ()

    by_pattern = build_plan([], Snapshot(remote), TARGET, prune=True, only=["b*", "zz"])
    assert [(c.action, c.remote_name) for c in by_pattern.changes] == [
        (Action.DELETE, "zz"),
        (Action.UNMANAGED, "bad"),
    ]
    assert by_pattern.warnings == (
        f"bad: unmanaged and left alone: it cannot be read ({problem}); "
        "to delete it, plan with `--prune --only bad`",
    )
    not_pruned = build_plan([], Snapshot(remote), TARGET, only=["bad"])
    assert [c.action for c in not_pruned.changes] == [Action.UNMANAGED]
