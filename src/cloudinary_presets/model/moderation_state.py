"""Where an asset's moderation stands: each moderator's status, the verdict, the labels.

Cloudinary moderates asynchronously (its current docs): the upload answers with the first
moderator ``pending`` and the rest ``queued``, and the decisions land later, readable from
the resource details. An application needs one answer from that list: is the asset
approved, rejected, or waiting for a person? :class:`ModerationState` reads either shape
(an upload response or resource details) into typed values; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cloudinary_presets.model.moderation_rule import Label, parse_label

Verdict = Literal["approved", "rejected", "pending"]

#: the moderator a person works through; every other kind is automatic
MANUAL = "manual"
_WAITING = frozenset({"pending", "queued"})
_VERDICTS: dict[str, Verdict] = {v: v for v in ("approved", "rejected", "pending")}


@dataclass(frozen=True)
class ModerationStep:
    """One moderator of the chain: its kind and status (pending, queued, approved,
    rejected, aborted), with the labels it reported (Rekognition only)."""

    kind: str
    status: str
    updated_at: str | None = None
    labels: tuple[Label, ...] = ()

    @property
    def automatic(self) -> bool:
        return self.kind != MANUAL

    @property
    def waiting(self) -> bool:
        return self.status in _WAITING

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status, "updated_at": self.updated_at}


def response_labels(response: object) -> tuple[Label, ...]:
    """The labels of a moderator's ``response`` (Cloudinary's or Rekognition's shape);
    unreadable ones are skipped: a label the model cannot read is no reason to fail."""
    if not isinstance(response, Mapping):
        return ()
    found = response.get("moderation_labels") or response.get("ModerationLabels") or []
    version = response.get("moderation_model_version") or response.get("ModerationModelVersion")
    labels = []
    for item in found if isinstance(found, list) else []:
        if isinstance(item, Mapping):
            try:
                labels.append(parse_label(item, model_version=version))
            except ValueError:
                continue
    return tuple(labels)


def _step(entry: Mapping[str, Any]) -> ModerationStep:
    updated = entry.get("updated_at")
    return ModerationStep(
        kind=str(entry.get("kind") or ""),
        status=str(entry.get("status") or ""),
        updated_at=str(updated) if updated else None,
        labels=response_labels(entry.get("response")),
    )


@dataclass(frozen=True)
class ModerationState:
    """An asset's moderation as Cloudinary last reported it.

    ``status`` is the verdict: ``approved``, ``rejected`` or ``pending``; None when the
    asset is not moderated. ``steps`` are the moderators in chain order. ``settled`` is
    true once no automatic moderator is still to decide: what is left (if anything) waits
    for a person.
    """

    public_id: str
    status: Verdict | None
    steps: tuple[ModerationStep, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> ModerationState:
        """Read resource details (Admin API) or an upload response (Upload API)."""
        entries = resource.get("moderation")
        listed = entries if isinstance(entries, list) else []
        steps = tuple(_step(e) for e in listed if isinstance(e, Mapping))
        return cls(
            public_id=str(resource.get("public_id") or ""),
            status=_verdict(resource.get("moderation_status"), steps),
            steps=steps,
            raw=resource,
        )

    @property
    def current(self) -> ModerationStep | None:
        """The first moderator still waiting to decide (None when all have)."""
        return next((s for s in self.steps if s.waiting), None)

    @property
    def settled(self) -> bool:
        """No automatic moderator is still to decide (a person may be). A ``pending``
        status without the moderator list says nothing about who decides: not settled."""
        if not self.steps:
            return self.status != "pending"
        current = self.current
        return current is None or not current.automatic

    @property
    def waiting_for(self) -> str | None:
        """The kind of the moderator the asset waits for (``manual``: a person)."""
        current = self.current
        return current.kind if current else None

    @property
    def labels(self) -> tuple[Label, ...]:
        """Every Rekognition label reported, in chain order."""
        return tuple(label for step in self.steps for label in step.labels)

    @property
    def rejected_by(self) -> str | None:
        """The kind of the moderator that rejected the asset, if one did."""
        return next((s.kind for s in reversed(self.steps) if s.status == "rejected"), None)

    def describe(self) -> str:
        """``rejected (aws_rek)``, ``pending (manual review)``, ``approved``, ``not moderated``."""
        if self.status is None:
            return "not moderated"
        if self.status == "rejected" and self.rejected_by:
            return f"rejected ({self.rejected_by})"
        if self.status == "pending" and self.waiting_for:
            who = "manual review" if self.waiting_for == MANUAL else self.waiting_for
            return f"pending ({who})"
        return self.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "public_id": self.public_id,
            "status": self.status,
            "settled": self.settled,
            "waiting_for": self.waiting_for,
            "steps": [s.to_dict() for s in self.steps],
            "labels": [
                {"name": label.name, "parent": label.parent, "confidence": label.confidence}
                for label in self.labels
            ],
        }


def _verdict(reported: object, steps: tuple[ModerationStep, ...]) -> Verdict | None:
    """Cloudinary's ``moderation_status`` when it gives one (a person's approval overrides
    a machine's rejection there), else derived from the steps."""
    if isinstance(reported, str) and reported in _VERDICTS:
        return _VERDICTS[reported]
    if not steps:
        return None
    statuses = {s.status for s in steps}
    if "rejected" in statuses:
        return "rejected"
    if statuses & _WAITING:
        return "pending"
    return "approved"
