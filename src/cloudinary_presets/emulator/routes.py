"""URL routing: which API a path belongs to, and the key it is counted under.

Why separate from the server: the fault rules, the stats and the handlers all need the
same answer to "what is this request?", computed once from the raw path.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import unquote as _unquote

RESOURCE_TYPES = ("image", "video", "raw", "auto")
DELIVERY_TYPES = ("image", "video", "raw")
CONTROL_PREFIX = "/_emulator"


@dataclass(frozen=True)
class Route:
    """``kind`` is control, admin, upload, delivery or unknown."""

    kind: str
    cloud: str | None = None
    action: str = ""  # admin: list|get|create|update|delete|ping|resource...; control: sub-path
    name: str = ""  # admin: preset name or public id (URL-decoded); delivery: the asset path
    resource_type: str = ""
    stats_key: str = "other"
    args: tuple[str, ...] = ()  # resources: the delivery type; queues: kind and status


def unquote(text: str) -> str:
    """URL-decode a path; raw UTF-8 bytes in the request line (which ``http.server``
    reads as Latin-1) are decoded as UTF-8 first."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("latin-1").decode("utf-8")
    return _unquote(text)


_PRESET_ACTIONS = {"GET": "get", "PUT": "update", "DELETE": "delete"}


def route(method: str, path: str) -> Route:
    """Classify ``method path`` (the raw path, without the query string)."""
    if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
        return Route("control", action=path[len(CONTROL_PREFIX) :].strip("/"))
    parts = path.split("/")
    if len(parts) >= 4 and parts[0] == "" and parts[1] == "v1_1":
        return _api_route(method, unquote(parts[2]), parts[3:])
    if len(parts) >= 5 and parts[0] == "" and parts[2] in DELIVERY_TYPES and parts[3] == "upload":
        rest = unquote("/".join(parts[4:]))
        return Route("delivery", unquote(parts[1]), name=rest, resource_type=parts[2])
    return Route("unknown")


def _api_route(method: str, cloud: str, rest: list[str]) -> Route:
    head = rest[0]
    if head == "upload_presets":
        name = unquote("/".join(rest[1:]))
        if not name:
            action = {"GET": "list", "POST": "create"}.get(method, "")
            return Route(
                "admin" if action else "unknown",
                cloud,
                action,
                stats_key=f"{method} /upload_presets",
            )
        action = _PRESET_ACTIONS.get(method, "")
        key = f"{method} /upload_presets/{{name}}"
        return Route("admin" if action else "unknown", cloud, action, name, stats_key=key)
    if head == "resources" and len(rest) >= 2:
        return _resource_route(method, cloud, rest[1:])
    if head == "ping" and len(rest) == 1:
        return Route(
            "admin" if method == "GET" else "unknown", cloud, "ping", stats_key=f"{method} /ping"
        )
    upload = rest == ["upload"] or (
        len(rest) == 2 and rest[0] in RESOURCE_TYPES and rest[1] == "upload"
    )
    if upload:
        resource_type = "auto" if len(rest) == 1 else rest[0]
        kind = "upload" if method == "POST" else "unknown"
        return Route(
            kind,
            cloud,
            "upload",
            resource_type=resource_type,
            stats_key=f"{method} /{{resource_type}}/upload",
        )
    return Route("unknown", cloud)


def _resource_route(method: str, cloud: str, rest: list[str]) -> Route:
    """``resources/<type>/<delivery type>/<public id>`` (GET details, POST update),
    ``resources/<type>/moderations/<kind>/<status>`` and ``resources/<asset id>``."""
    if len(rest) == 1 and rest[0] not in RESOURCE_TYPES and method == "GET":
        key = "GET /resources/{asset_id}"
        return Route("admin", cloud, "resource_by_asset_id", unquote(rest[0]), stats_key=key)
    if rest[0] not in DELIVERY_TYPES or len(rest) < 3:
        return Route("unknown", cloud)
    if rest[1] == "moderations" and len(rest) == 4 and method == "GET":
        key = "GET /resources/{resource_type}/moderations/{kind}/{status}"
        args = (unquote(rest[2]), unquote(rest[3]))
        return Route("admin", cloud, "moderation_queue", "", rest[0], key, args)
    action = {"GET": "resource", "POST": "update_resource"}.get(method)
    if action is None:
        return Route("unknown", cloud)
    key = f"{method} /resources/{{resource_type}}/{{type}}/{{public_id}}"
    name = unquote("/".join(rest[2:]))
    return Route("admin", cloud, action, name, rest[0], key, (unquote(rest[1]),))
