"""The manual review queue: list what waits for a person, and record their decisions.

Listing follows ``next_cursor`` page by page (500 a page, one Admin API call each).
Decisions are one call per asset, run by a small pool that slows down as the hourly quota
runs low (the same rule as ``apply``); one failed decision is an outcome, not the end of
the batch, and once the quota is spent the rest are reported as not attempted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudinary_presets.cloudinary.resources_api import ResourcesApi
from cloudinary_presets.definitions.resolve import ResolvedPreset
from cloudinary_presets.errors import PresetsError, RateLimited
from cloudinary_presets.model.moderation_state import ModerationState
from cloudinary_presets.operations.apply import parallelism_for


@dataclass(frozen=True)
class QueueItem:
    """One asset in a moderation queue.

    ``preset`` is the definition it was most likely uploaded with: Cloudinary's queue does
    not say, so it is inferred from the folder (the preset's ``folder``,
    ``asset_folder`` or ``public_id_prefix``) and the moderator; None when no definition
    or more than one fits.
    """

    public_id: str
    uploaded_at: datetime | None
    url: str
    preset: str | None = None
    resource_type: str = "image"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "public_id": self.public_id,
            "uploaded_at": self.uploaded_at.isoformat() if self.uploaded_at else None,
            "preset": self.preset,
            "url": self.url,
            "resource_type": self.resource_type,
            "asset_folder": self.raw.get("asset_folder"),
        }


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _fits(resource: Mapping[str, Any], preset: ResolvedPreset) -> bool:
    settings = preset.preset.settings
    public_id = str(resource.get("public_id") or "")
    if settings.folder and public_id.startswith(settings.folder.rstrip("/") + "/"):
        return True
    if settings.public_id_prefix and public_id.startswith(settings.public_id_prefix):
        return True
    return bool(settings.asset_folder) and resource.get("asset_folder") == settings.asset_folder


def infer_preset(
    resource: Mapping[str, Any], kind: str, presets: Mapping[str, ResolvedPreset]
) -> str | None:
    """The one definition ``resource`` was plausibly uploaded with (see :class:`QueueItem`)."""
    named = resource.get("upload_preset")
    if isinstance(named, str):
        return next((p.name for p in presets.values() if p.remote_name == named), named)
    fitting = [p for p in presets.values() if _fits(resource, p)]
    if len(fitting) > 1:  # prefer the presets that run this moderator at all
        moderating = [
            p
            for p in fitting
            if p.preset.settings.moderation and p.preset.settings.moderation.get(kind)
        ]
        fitting = moderating or fitting
    return fitting[0].name if len(fitting) == 1 else None


def iter_queue(
    api: ResourcesApi,
    *,
    kind: str,
    status: str,
    resource_type: str,
    presets: Mapping[str, ResolvedPreset],
    page_size: int = 500,
) -> Iterator[QueueItem]:
    """Every asset in the queue, oldest first, fetched a page at a time as it is consumed."""
    for page in api.iter_queue_pages(
        kind, status, resource_type=resource_type, page_size=page_size
    ):
        for resource in page:
            yield QueueItem(
                public_id=resource["public_id"],
                uploaded_at=_when(resource.get("created_at")),
                url=str(resource.get("secure_url") or resource.get("url") or ""),
                preset=infer_preset(resource, kind, presets),
                resource_type=str(resource.get("resource_type") or resource_type),
                raw=resource,
            )


@dataclass(frozen=True)
class DecisionOutcome:
    """One decision: the asset's moderation afterwards, or why it failed (or was not
    attempted: ``attempted`` false)."""

    public_id: str
    decision: str
    state: ModerationState | None = None
    error: PresetsError | None = None
    attempted: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None and self.attempted

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"public_id": self.public_id, "decision": self.decision}
        out["ok"] = self.ok
        if self.state is not None:
            out["moderation"] = self.state.to_dict()
        if self.error is not None:
            out["error"] = str(self.error)
        if not self.attempted:
            out["error"] = "not attempted: the Admin API quota ran out"
        return out


@dataclass(frozen=True)
class DecisionReport:
    """Every decision's outcome, in the order the public ids were given."""

    outcomes: tuple[DecisionOutcome, ...]

    @property
    def failed(self) -> list[DecisionOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        done = len(self.outcomes) - len(self.failed)
        verb = self.outcomes[0].decision if self.outcomes else "decided"
        return f"{done}/{len(self.outcomes)} {verb}; {len(self.failed)} failed"

    def to_list(self) -> list[dict[str, Any]]:
        return [o.to_dict() for o in self.outcomes]


def decide_all(
    api: ResourcesApi,
    public_ids: Sequence[str],
    decision: str,
    *,
    resource_type: str = "image",
    parallelism: int = 4,
    on_result: Callable[[DecisionOutcome], None] = lambda outcome: None,
) -> DecisionReport:
    """Record ``decision`` (approved or rejected) for each asset; ``on_result`` is called in
    the caller's thread as each finishes."""

    def one(public_id: str) -> DecisionOutcome:
        try:
            resource = api.set_moderation_status(public_id, decision, resource_type=resource_type)
        except PresetsError as exc:
            return DecisionOutcome(public_id, decision, error=exc)
        return DecisionOutcome(public_id, decision, state=ModerationState.from_resource(resource))

    queue = list(dict.fromkeys(public_ids))  # the same asset twice is one decision
    outcomes: dict[str, DecisionOutcome] = {}
    running: set[Future[DecisionOutcome]] = set()
    exhausted = False
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="decide") as pool:
        while queue or running:
            limit = parallelism_for(parallelism, api.transport.quota.remaining)
            while queue and not exhausted and len(running) < limit:
                running.add(pool.submit(one, queue.pop(0)))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()
                exhausted = exhausted or isinstance(outcome.error, RateLimited)
                outcomes[outcome.public_id] = outcome
                on_result(outcome)
    for public_id in queue:
        outcomes[public_id] = DecisionOutcome(public_id, decision, attempted=False)
        on_result(outcomes[public_id])
    return DecisionReport(tuple(outcomes[p] for p in dict.fromkeys(public_ids)))
