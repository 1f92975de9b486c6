"""The moderation state machine of one asset: pure functions over its ``moderation`` entries.

Why pure: the same transitions run at upload time (``sync`` timing), later in the
background (``async`` timing), and when a reviewer decides through the Admin API; as
functions from entries to entries they can be read, and tested, without threads or a
database.

Cloudinary's rules (cloudinary_npm docs/moderate-upload.md, moderate_assets): the chain
runs in order; the first moderator starts ``pending`` and the rest ``queued``; if one
rejects, the remaining ones become ``aborted`` and the asset is ``rejected``; a human
decision (``manual``, or an override through ``update``) records the final word.
Entries are ``{kind, status}`` while undecided and ``{kind, status, response,
updated_at}`` once an automatic moderator decided (``{kind, status, updated_at}`` for a
human decision or an abort).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cloudinary_presets.emulator.moderation import REKOGNITION_KINDS, Moderator
from cloudinary_presets.model.moderation_rule import decide, parse_label

UNDECIDED = frozenset({"pending", "queued"})
DECISIONS = ("approved", "rejected")
#: the Rekognition model version the recorded 2026 responses carry.
MODEL_VERSION = "7.0"

Entry = dict[str, object]


@dataclass(frozen=True)
class Step:
    """Entries after a transition, which of them were just decided, and whether automatic
    moderators now wait to run (``async`` timing schedules them)."""

    entries: list[Entry]
    decided: tuple[int, ...] = field(default=())
    runnable: bool = False


def _status(entry: Mapping[str, object]) -> str:
    return str(entry.get("status", ""))


def _waiting(kind: str, first: bool) -> Entry:
    return {"kind": kind, "status": "pending" if first else "queued"}


def queue(chain: Sequence[Moderator]) -> Step:
    """The entries an upload answers with under ``async`` timing: first pending, rest queued."""
    entries = [_waiting(m.kind, index == 0) for index, m in enumerate(chain)]
    return Step(entries, runnable=bool(chain) and chain[0].kind != "manual")


def decide_automatic(
    moderator: Moderator, labels: Sequence[Mapping[str, object]], updated_at: str
) -> Entry:
    """One automatic moderator's entry: Rekognition through the shared decision rule
    (an asset without registered labels is approved); the other add-ons approve."""
    if moderator.kind in REKOGNITION_KINDS:
        decision = decide(moderator.thresholds, [parse_label(label) for label in labels])
        response: object = {
            "moderation_labels": [dict(label) for label in labels],
            "moderation_model_version": MODEL_VERSION,
            "content_types": [],
        }
        status = decision.status
    else:
        response, status = None, "approved"
    return {
        "kind": moderator.kind,
        "status": status,
        "response": response,
        "updated_at": updated_at,
    }


def advance(
    chain: Sequence[Moderator],
    entries: Sequence[Mapping[str, object]],
    labels: Sequence[Mapping[str, object]],
    updated_at: str,
) -> Step:
    """Run every undecided automatic moderator in order, up to the first ``manual`` one
    (which becomes pending, the rest queued) or the first rejection (the rest aborted)."""
    result = [dict(e) for e in entries]
    decided: list[int] = []
    state = "running"  # running -> waiting (a manual review) | rejected
    for index, moderator in enumerate(chain):
        if index >= len(result) or _status(result[index]) not in UNDECIDED:
            continue
        if state == "rejected":
            result[index] = {"kind": moderator.kind, "status": "aborted", "updated_at": updated_at}
        elif state == "waiting":
            result[index] = _waiting(moderator.kind, first=False)
        elif moderator.kind == "manual":
            result[index] = _waiting("manual", first=True)
            state = "waiting"
        else:
            result[index] = decide_automatic(moderator, labels, updated_at)
            decided.append(index)
            if _status(result[index]) == "rejected":
                state = "rejected"
    return Step(result, tuple(decided))


def start(
    chain: Sequence[Moderator], labels: Sequence[Mapping[str, object]], updated_at: str
) -> Step:
    """The entries an upload answers with under ``sync`` timing: automatic ones decided."""
    return advance(chain, queue(chain).entries, labels, updated_at)


def decide_manual(
    chain: Sequence[Moderator],
    entries: Sequence[Mapping[str, object]],
    status: str,
    updated_at: str,
) -> Step:
    """A reviewer's decision (``approved``/``rejected``) through the Admin API.

    It lands on the chain's ``manual`` entry (the pending one first); an asset without one
    gets a ``manual`` entry appended: the decision overrides the machines'. A rejection
    aborts every undecided moderator; an approval lets the next queued one start.
    """
    if status not in DECISIONS:
        raise ValueError(f"moderation_status must be approved or rejected, got {status!r}")
    result = [dict(e) for e in entries]
    manual = [i for i, e in enumerate(result) if e.get("kind") == "manual"]
    pending = [i for i in manual if _status(result[i]) == "pending"]
    decision: Entry = {"kind": "manual", "status": status, "updated_at": updated_at}
    if pending or manual:
        index = (pending or manual)[0]
        result[index] = decision
    else:
        index = len(result)
        result.append(decision)
    runnable = False
    if status == "rejected":
        for i, entry in enumerate(result):
            if _status(entry) in UNDECIDED:
                result[i] = {
                    "kind": entry.get("kind"),
                    "status": "aborted",
                    "updated_at": updated_at,
                }
    else:
        following = [i for i in range(index + 1, len(result)) if _status(result[i]) in UNDECIDED]
        if following and not any(_status(e) == "pending" for e in result):
            first = following[0]
            result[first] = _waiting(str(result[first].get("kind")), first=True)
            runnable = first < len(chain) and chain[first].kind != "manual"
    return Step(result, (index,), runnable)


def overall(entries: Sequence[Mapping[str, object]]) -> str:
    """The asset's ``moderation_status``: a rejection wins unless a later human approval
    overrides it; otherwise pending while anything is undecided, else approved."""
    verdict = ""
    for entry in entries:
        status = _status(entry)
        if status == "rejected":
            verdict = "rejected"
        elif entry.get("kind") == "manual" and status == "approved":
            verdict = "approved"
    if verdict == "rejected":
        return "rejected"
    if any(_status(e) in UNDECIDED for e in entries):
        return "pending"
    return "approved"


def current_kind(entries: Sequence[Mapping[str, object]]) -> str | None:
    """``moderation_kind`` of the resource details: the pending moderator, else the last
    one that decided."""
    for entry in entries:
        if _status(entry) == "pending":
            return str(entry.get("kind"))
    decided = [e for e in entries if _status(e) in DECISIONS]
    if decided:
        return str(decided[-1].get("kind"))
    return str(entries[0].get("kind")) if entries else None
