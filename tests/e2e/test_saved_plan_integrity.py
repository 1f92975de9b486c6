"""A saved plan is applied exactly as reviewed, or not at all (issue 10, item 1).

Every mutation of a plan file is refused with exit 3 and no write, in two variants:

* **edited**: the file is changed and nothing else (its checksum no longer matches);
* **resealed**: a determined editor who holds the API secret also rewrites the checksum
  and the seal; then the recomputed plan (same options, current definitions and remote)
  must be found to differ, and the message must say what differs.

Both variants run against one saved plan and one emulator (nothing is written, so the
remote stays as it was): each case asserts the message, the exit status, the emulator's
write counters and the stored presets.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from e2e_helpers import TerminalInput, names, state, write_requests

from cli_runner import run_main
from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.planning.plan import Plan, document_checksum, seal_of

Doc = dict[str, Any]


def _change(doc: Doc, name: str) -> Doc:
    return next(c for c in doc["changes"] if c["remote_name"] == name)


def _recount(doc: Doc) -> None:
    """What a careful editor does after changing actions: make the summary fit."""
    for action in ("create", "update", "delete", "unchanged", "unmanaged"):
        doc["summary"][action] = sum(1 for c in doc["changes"] if c["action"] == action)
    writes = [c for c in doc["changes"] if c["action"] in ("create", "update", "delete")]
    doc["summary"]["has_changes"] = bool(writes)
    doc["api"]["apply_calls"] = len(writes) + 1 if writes else 0


def _to_delete(name: str, *, prune: bool = False) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        _change(doc, name)["action"] = "delete"
        if prune:
            doc["options"]["prune"] = True
        doc["changes"].sort(key=lambda c: (ORDER.index(c["action"]), c["remote_name"]))
        _recount(doc)

    return mutate


ORDER = ["create", "update", "delete", "unchanged", "unmanaged"]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """Set ``a.b[0].c`` (list indexes in brackets; ``changes[name]`` picks a change)."""

    def mutate(doc: Doc) -> None:
        node: Any = doc
        parts = path.replace("]", "").replace("[", ".").split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)] if part.isdigit() else _change({"changes": node}, part)
            else:
                node = node[part]
        node[parts[-1]] = value

    return mutate


def _drop(name: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        doc["changes"] = [c for c in doc["changes"] if c["remote_name"] != name]
        _recount(doc)

    return mutate


def _add_create(doc: Doc) -> None:
    ghost = copy.deepcopy(_change(doc, "avatar"))
    ghost.update(name="ghost", remote_name="ghost", file="presets/ghost.yaml")
    doc["changes"].insert(1, ghost)
    _recount(doc)


def _rename(doc: Doc) -> None:
    _change(doc, "avatar")["remote_name"] = "avatar2"


def _reorder(doc: Doc) -> None:
    doc["changes"][0], doc["changes"][1] = doc["changes"][1], doc["changes"][0]


def _fingerprint(name: str) -> Callable[[Doc], None]:
    """The remote preset looked different when the plan was made (both records agree)."""

    def mutate(doc: Doc) -> None:
        forged = "sha256:" + "0" * 64
        doc["remote_fingerprints"][name] = forged
        _change(doc, name)["before_fingerprint"] = forged

    return mutate


def _phantom(doc: Doc) -> None:
    doc["remote_fingerprints"]["phantom"] = "sha256:" + "1" * 64


def _field(key: str, value: Any) -> Callable[[Doc], None]:
    """Edit a field of the update, and what follows from it (its kind, the flags)."""
    edit = _set(f"changes.ugc-moderated.fields.0.{key}", value)

    def mutate(doc: Doc) -> None:
        edit(doc)
        if key == "kind":
            return
        change = _change(doc, "ugc-moderated")
        field = change["fields"][0]
        field["kind"] = (
            "add" if field["before"] is None else "remove" if field["after"] is None else "change"
        )
        change["security_flags"] = [f["security"] for f in change["fields"] if f.get("security")]

    return mutate


#: (id, mutation, what the refusal of the resealed file names)
MUTATIONS: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "unmanaged->delete",
        _to_delete("legacy"),
        "legacy: the saved plan would delete it; a plan made now would leave it unmanaged "
        "(options.prune is false in the saved plan)",
    ),
    (
        "update->delete",
        _to_delete("ugc-moderated"),
        "ugc-moderated: the saved plan would delete it; a plan made now would update it",
    ),
    (
        "unchanged->delete",
        _to_delete("product-images"),
        "product-images: the saved plan would delete it; a plan made now would leave it unchanged",
    ),
    ("add a change", _add_create, "ghost: the saved plan would create it; a plan made now does"),
    (
        "remove a change",
        _drop("avatar"),
        "avatar: a plan made now would create it; the saved plan does not list it",
    ),
    ("remote name", _rename, "avatar2: the saved plan would create it"),
    (
        "name",
        _set("changes.avatar.name", "other"),
        'avatar: name is "other" in the saved plan, "avatar" now',
    ),
    (
        "file",
        _set("changes.avatar.file", "presets/x.yaml"),
        'avatar: file is "presets/x.yaml" in the saved plan',
    ),
    ("line", _set("changes.avatar.line", 7), "avatar: line is 7 in the saved plan, 2 now"),
    (
        "field path",
        _field("path", "settings.zzz"),
        "ugc-moderated: field settings.zzz is changed only in the saved plan",
    ),
    ("field before", _field("before", "forged"), 'before is "forged" in the saved plan'),
    ("field after", _field("after", "forged"), 'after is "forged" in the saved plan'),
    ("field meaning", _field("meaning", "stricter"), 'meaning is "stricter" in the saved plan'),
    ("field note", _field("note", "harmless"), 'note is "harmless" in the saved plan'),
    ("field security", _field("security", "x"), 'security is "x" in the saved plan'),
    (
        "option prune",
        _set("options.prune", True),
        "legacy: the saved plan would leave it unmanaged; a plan made now would delete it "
        "(options.prune is true in the saved plan)",
    ),
    (
        "option only",
        _set("options.only", ["avatar"]),
        "ugc-moderated: the saved plan would update it; a plan made now does not list it "
        "(options.only is ['avatar'] in the saved plan)",
    ),
    ("target cloud", _set("target.cloud_name", "other"), "cloud 'other' vs 'demo'"),
    ("target host", _set("target.api_host", "https://api.example.com"), "API host https://api"),
    ("target key", _set("target.key_fingerprint", "sha256:00"), "a different API key"),
    ("target environment", _set("target.environment", "prod"), "environment 'prod' vs None"),
    (
        "definitions digest",
        _set("definitions_digest", "sha256:" + "2" * 64),
        "the definitions changed since the plan was made",
    ),
    (
        "remote fingerprint",
        _fingerprint("ugc-moderated"),
        "ugc-moderated: changed on the remote since the plan (was sha256:0000000000",
    ),
    (
        "unmanaged fingerprint",
        _fingerprint("legacy"),
        "legacy: changed on the remote since the plan",
    ),
    (
        "remote fingerprint only",
        _set("remote_fingerprints.legacy", "sha256:" + "3" * 64),
        "legacy's before_fingerprint is not the remote fingerprint the plan recorded",
    ),
    ("a phantom remote preset", _phantom, "remote_fingerprints names presets its changes do not"),
    (
        "after fingerprint",
        _set("changes.avatar.after_fingerprint", "sha256:" + "4" * 64),
        "avatar: after_fingerprint is",
    ),
    ("summary", _set("summary.delete", 2), "`summary.delete` is 2, but its content implies 0"),
    (
        "security flags",
        _set("changes.avatar.security_flags", []),
        "`changes[0].security_flags` is [], but its content implies",
    ),
    ("kind", _field("kind", "remove"), '`changes[1].fields[0].kind` is "remove"'),
    (
        "unknown key",
        _set("changes.avatar.force", True),
        "`changes[0].force` is not a key of a plan file",
    ),
    ("reordering", _reorder, "its changes are not in plan order"),
    ("apply calls", _set("api.apply_calls", 0), "`api.apply_calls` is 0"),
    ("format version", _set("format_version", 1), "uses plan format 1"),
    ("tool version", _set("tool_version", "9.0.0"), "was written by presets 9.0.0"),
]

#: mutations that change nothing a plan does: refused when the checksum is left as it
#: was, applied when resealed (the seal proves the editor holds the API secret)
VOID = {"created_at": _set("created_at", "2000-01-01T00:00:00+00:00")}


@pytest.fixture
def reviewed(project_dir, remote_cli, emulator, sdk):
    """A saved plan with every kind of change: create avatar, update ugc-moderated,
    unchanged product-images, unmanaged legacy and legacy-2."""
    applied = remote_cli("apply", "--yes", "--only", "product-images", "--only", "ugc-moderated")
    assert applied.exit_code == 0, applied.output
    sdk.update_upload_preset("ugc-moderated", folder="ugc", tags="ugc")
    emulator.seed_presets(
        "demo", [{"name": "legacy", "folder": "old"}, {"name": "legacy-2", "folder": "old"}]
    )
    saved = remote_cli("plan", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    doc = json.loads((project_dir / "plan.json").read_text())
    assert [(c["action"], c["remote_name"]) for c in doc["changes"]] == [
        ("create", "avatar"),
        ("update", "ugc-moderated"),
        ("unchanged", "product-images"),
        ("unmanaged", "legacy"),
        ("unmanaged", "legacy-2"),
    ]
    return doc


def _seal_key(emulator) -> bytes:
    key = parse_cloudinary_url(emulator.cloudinary_url("demo"), "the test").plan_seal_key()
    assert key is not None
    return key


def _reseal(doc: Doc, key: bytes) -> None:
    doc["checksum"] = document_checksum(doc)
    doc["seal"] = seal_of(doc["checksum"], key)


def _refusals(cli, project_dir, emulator, doc, cases, *, key: bytes | None) -> list[str]:
    """Apply each mutation of ``doc``; return what did not go as expected."""
    before, writes = state(emulator), write_requests(emulator)
    failures = []
    for label, mutate, expected in cases:
        tampered = copy.deepcopy(doc)
        mutate(tampered)
        if key is not None:
            _reseal(tampered, key)
        (project_dir / "plan.json").write_text(json.dumps(tampered, indent=2))
        result = cli("apply", "plan.json", "--yes")
        problems = []
        if result.exit_code != 3:
            problems.append(f"exit {result.exit_code}")
        if "nothing was written" not in result.stderr and "the plan was made for" not in (
            result.stderr
        ):
            problems.append("does not say that nothing was written")
        if expected not in result.stderr:
            problems.append(f"does not name {expected!r}")
        if write_requests(emulator) != writes or state(emulator) != before:
            problems.append("WROTE to the remote")
        if problems:
            failures.append(f"{label}: {', '.join(problems)}\n{result.stderr}")
    return failures


ALTERED = "the plan file was altered after `presets plan --out` wrote it"


def test_every_edit_of_a_saved_plan_is_refused_without_a_write(
    reviewed, project_dir, remote_cli, emulator
):
    cases = [
        (label, mutate, ALTERED)
        for label, mutate, _ in MUTATIONS
        if label not in ("format version", "tool version")
    ]
    cases += [(label, mutate, ALTERED) for label, mutate in VOID.items()]
    cases += [
        ("format version", _set("format_version", 1), "uses plan format 1"),
        ("tool version", _set("tool_version", "9.0.0"), "was written by presets 9.0.0"),
        ("checksum", _set("checksum", "sha256:" + "5" * 64), ALTERED),
        (
            "the issue's edit",  # unmanaged -> delete, prune on; summary and checksum kept
            lambda doc: [
                _change(doc, "legacy").update(action="delete"),
                _change(doc, "legacy-2").update(action="delete"),
                doc["options"].update(prune=True),
            ],
            ALTERED,
        ),
    ]
    failures = _refusals(remote_cli, project_dir, emulator, reviewed, cases, key=None)
    assert not failures, "\n".join(failures)
    assert names(emulator) == ["legacy", "legacy-2", "product-images", "ugc-moderated"]


def test_a_rewritten_checksum_without_the_secret_is_refused(
    reviewed, project_dir, remote_cli, emulator
):
    def forge(doc: Doc) -> None:  # the edit, with a checksum that fits
        _to_delete("legacy", prune=True)(doc)
        _to_delete("legacy-2", prune=True)(doc)
        doc["checksum"] = document_checksum(doc)

    def unseal(doc: Doc) -> None:
        del doc["seal"]

    cases = [
        ("rewritten checksum", forge, "the plan file's seal does not match"),
        ("no seal", unseal, "the plan file carries no seal"),
        ("another seal", _set("seal", "hmac-sha256:" + "6" * 64), "seal does not match"),
    ]
    failures = _refusals(remote_cli, project_dir, emulator, reviewed, cases, key=None)
    assert not failures, "\n".join(failures)


def test_a_resealed_edit_is_still_refused_naming_what_differs(
    reviewed, project_dir, remote_cli, emulator
):
    failures = _refusals(
        remote_cli, project_dir, emulator, reviewed, MUTATIONS, key=_seal_key(emulator)
    )
    assert not failures, "\n".join(failures)


def test_a_truncated_plan_file_is_refused(reviewed, project_dir, remote_cli, emulator):
    text = json.dumps(reviewed, indent=2)
    for cut in (len(text) // 2, len(text) - 2, 1):
        (project_dir / "plan.json").write_text(text[:cut])
        result = remote_cli("apply", "plan.json", "--yes")
        assert result.exit_code == 3, result.output
        assert "plan.json is not a complete plan file (invalid JSON" in result.stderr
        assert "nothing was written" in result.stderr
    assert write_requests(emulator) == 3  # the fixture's apply only


def test_edits_that_change_nothing_apply_when_resealed(reviewed, project_dir, remote_cli, emulator):
    tampered = copy.deepcopy(reviewed)
    VOID["created_at"](tampered)
    _reseal(tampered, _seal_key(emulator))
    (project_dir / "plan.json").write_text(json.dumps(tampered))
    result = remote_cli("apply", "plan.json")
    assert result.exit_code == 0, result.output
    assert "Apply complete: applied 2/2 change(s)" in result.stdout


def test_a_plan_file_round_trips_into_the_same_document(reviewed):
    assert Plan.from_dict(reviewed).to_dict() == reviewed
    assert reviewed["checksum"] == document_checksum(reviewed)
    assert reviewed["seal"].startswith("hmac-sha256:")


# --------------------------------------------------------------------------- shown, confirmed


def test_apply_plan_shows_the_plan_and_asks_on_a_terminal(
    reviewed, project_dir, emulator, cloudinary_url, monkeypatch
):
    monkeypatch.setenv("CLOUDINARY_URL", cloudinary_url)
    writes = write_requests(emulator)

    declined = run_main(["apply", "plan.json"], TerminalInput("no\n"))

    assert declined.exit_code == 1, declined.output
    out = declined.stdout
    assert "+ create avatar" in out  # as `plan` shows it
    assert "~ update ugc-moderated" in out
    assert "Plan: 1 to create, 1 to update, 0 to delete." in out
    assert "Apply 2 change(s) to cloud 'demo'" in out
    assert "Apply cancelled; nothing was written." in out
    assert write_requests(emulator) == writes

    accepted = run_main(["apply", "plan.json"], TerminalInput("yes\n"))
    assert accepted.exit_code == 0, accepted.output
    assert "Apply complete: applied 2/2 change(s)" in accepted.stdout
    assert write_requests(emulator) == writes + 2


def test_apply_plan_yes_skips_the_question(
    reviewed, project_dir, emulator, cloudinary_url, monkeypatch
):
    monkeypatch.setenv("CLOUDINARY_URL", cloudinary_url)
    result = run_main(["apply", "plan.json", "--yes"], TerminalInput(""))
    assert result.exit_code == 0, result.output
    assert "Apply 2 change(s)" not in result.stdout
    assert "+ create avatar" in result.stdout
    assert sorted(names(emulator)) == [
        "avatar",
        "legacy",
        "legacy-2",
        "product-images",
        "ugc-moderated",
    ]
