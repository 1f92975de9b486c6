"""Admin API resource endpoints: resource details, update (moderation decisions), queues.

Why these few: moderation is asynchronous, so a client learns decisions from the
resource details (``GET resources/<type>/upload/<public_id>``: ``moderation`` entries,
``moderation_status``, ``moderation_kind``), reviews the manual queue
(``GET resources/<type>/moderations/<kind>/<status>``) and records decisions
(``POST resources/<type>/upload/<public_id>`` with ``moderation_status``); Node's
moderation example also reads ``GET resources/<asset_id>``. Authentication and quota are
the Admin API's (``admin.handle``); every read first applies the automatic decisions
that are due, so it never shows a decision late.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudinary_presets.emulator import moderation_flow, paging, wire
from cloudinary_presets.emulator.assets import text
from cloudinary_presets.emulator.http_error import HttpError, bad_request
from cloudinary_presets.emulator.messages import Request
from cloudinary_presets.emulator.moderation import QUEUE_KINDS
from cloudinary_presets.emulator.routes import Route
from cloudinary_presets.emulator.service import Service
from cloudinary_presets.emulator.store import CloudRecord

ACTIONS = frozenset({"resource", "update_resource", "moderation_queue", "resource_by_asset_id"})
QUEUE_STATUSES = ("pending", "queued", "approved", "rejected", "aborted")
#: what ``update`` can change here besides ``moderation_status``.
UPDATABLE = ("tags", "context", "display_name", "asset_folder")
_IGNORED = frozenset({"timestamp", "notification_url", "moderation_status"})
#: upload-result fields that are not part of the resource (signing details, flags).
_NOT_RESOURCE = frozenset({"signature", "api_key", "existing"})
#: the fields of a resource in a list (Cloudinary's list shape).
_SUMMARY = (
    "asset_id",
    "public_id",
    "format",
    "version",
    "resource_type",
    "type",
    "created_at",
    "bytes",
    "width",
    "height",
    "asset_folder",
    "display_name",
    "url",
    "secure_url",
)


def not_found(public_id: str) -> HttpError:
    return HttpError(404, f"Resource not found - {public_id}")


def details(info: Mapping[str, object]) -> dict[str, object]:
    """The resource as ``GET resources/...`` shows it (with ``moderation_kind``)."""
    resource = {k: v for k, v in info.items() if k not in _NOT_RESOURCE}
    entries = info.get("moderation")
    if isinstance(entries, list) and entries:
        resource["moderation_kind"] = moderation_flow.current_kind(entries)
    return resource


def dispatch(
    service: Service, request: Request, route: Route, record: CloudRecord
) -> dict[str, object]:
    """One resource action of an authenticated Admin API request."""
    service.moderation.settle()
    cloud = record.account.name
    if route.action == "moderation_queue":
        return _queue(service, request, route, cloud)
    if route.action == "resource_by_asset_id":
        for _, row in service.store.asset_infos(cloud):
            if row.info.get("asset_id") == route.name:
                return details(row.info)
        raise not_found(route.name)
    if route.args[0] != "upload":  # the emulator stores uploads only
        raise not_found(route.name)
    key = (route.resource_type, route.name)
    if route.action == "resource":
        asset = service.store.asset(cloud, *key, with_content=False)
        if asset is None:
            raise not_found(route.name)
        return details(asset.info)
    return _update(service, request, record, key)


def _update(
    service: Service, request: Request, record: CloudRecord, key: tuple[str, str]
) -> dict[str, object]:
    params = wire.body_params(request.query, request.headers.get("content-type"), request.body)
    unsupported = sorted(k for k in params if k not in UPDATABLE and k not in _IGNORED)
    if unsupported:
        raise bad_request(
            f"The emulator cannot update {', '.join(unsupported)}"
            f" (it updates moderation_status, {', '.join(UPDATABLE)})"
        )
    cloud = record.account.name
    changes = _changes(params)  # validated before anything changes
    status = text(params.get("moderation_status"))
    if status and status not in moderation_flow.DECISIONS:
        raise bad_request(f"Invalid moderation_status '{status}': use approved or rejected")
    with service.moderation.lock:
        asset = service.store.asset(cloud, *key, with_content=False)
        if asset is None:
            raise not_found(key[1])
        info = dict(asset.info)
        if status:
            decided = service.moderation.decide(
                record, key, status, text(params.get("notification_url"))
            )
            info = decided if decided is not None else info
        info.update(changes)
        service.store.update_asset_info(cloud, *key, info)
    return details(info)


def _changes(params: Mapping[str, object]) -> dict[str, object]:
    changes: dict[str, object] = {}
    if "tags" in params:
        changes["tags"] = wire.decode_list(text(params["tags"]))
    if "context" in params:
        try:
            context = wire.decode_context(text(params["context"])) if params["context"] else {}
        except ValueError as exc:
            raise bad_request(f"Invalid context: {exc}") from None
        changes["context"] = {"custom": context}
    for key in ("display_name", "asset_folder"):
        if key in params:
            changes[key] = text(params[key])
    return changes


def _queue(service: Service, request: Request, route: Route, cloud: str) -> dict[str, object]:
    kind, status = route.args
    if kind not in QUEUE_KINDS:
        raise bad_request(
            f"Invalid moderation kind {kind} (known kinds: {', '.join(sorted(QUEUE_KINDS))})"
        )
    if status not in QUEUE_STATUSES:
        raise bad_request(
            f"Invalid moderation status {status} (known: {', '.join(QUEUE_STATUSES)})"
        )
    params = wire.parse_query(request.query)
    limit = paging.max_results(params)
    position = paging.cursor(params)
    ascending = (paging.single(params, "direction") or "desc").lower() in ("asc", "1")
    rows = service.store.asset_infos(cloud, route.resource_type)
    matching = [(seq, row.info) for seq, row in rows if _in_queue(row.info, kind, status)]
    if not ascending:
        matching.reverse()
    if position is not None:
        matching = [m for m in matching if (m[0] > position if ascending else m[0] < position)]
    page = matching[:limit]
    flags = {name: _flag(params, name) for name in ("tags", "context", "moderations")}
    result: dict[str, object] = {"resources": [_summary(info, flags) for _, info in page]}
    if len(matching) > limit:
        result["next_cursor"] = paging.encode_cursor(page[-1][0])
    return result


def _in_queue(info: Mapping[str, object], kind: str, status: str) -> bool:
    entries = info.get("moderation")
    if not isinstance(entries, list):
        return False
    return any(
        isinstance(e, dict) and e.get("kind") == kind and e.get("status") == status for e in entries
    )


def _flag(params: Mapping[str, object], name: str) -> bool:
    return (paging.single(params, name) or "").lower() in ("true", "1")


def _summary(info: Mapping[str, object], flags: Mapping[str, bool]) -> dict[str, object]:
    summary = {k: info[k] for k in _SUMMARY if k in info}
    if flags["tags"]:
        summary["tags"] = info.get("tags", [])
    if flags["context"] and "context" in info:
        summary["context"] = info["context"]
    if flags["moderations"]:
        summary["moderation"] = info.get("moderation", [])
        summary["moderation_status"] = info.get("moderation_status")
    return summary
