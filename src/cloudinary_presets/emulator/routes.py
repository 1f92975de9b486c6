"""URL routing: which API a path belongs to, and the key it is counted under.

Why separate from the server: the fault rules, the stats and the handlers all need the
same answer to "what is this request?", computed once from the raw path.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

RESOURCE_TYPES = ("image", "video", "raw", "auto")
DELIVERY_TYPES = ("image", "video", "raw")
CONTROL_PREFIX = "/_emulator"


@dataclass(frozen=True)
class Route:
    """``kind`` is control, admin, upload, delivery or unknown."""

    kind: str
    cloud: str | None = None
    action: str = ""  # admin: list|get|create|update|delete|ping; control: the sub-path
    name: str = ""  # admin: the preset name (URL-decoded); delivery: the asset path
    resource_type: str = ""
    stats_key: str = "other"


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
