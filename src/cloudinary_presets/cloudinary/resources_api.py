"""The Admin API resource endpoints moderation needs, as plain dicts in and out.

Moderation is asynchronous: decisions are read from the resource details
(``GET resources/<type>/upload/<public_id>``), the manual queue is listed with
``GET resources/<type>/moderations/<kind>/<status>`` (paged with ``next_cursor``), and a
reviewer's decision is ``POST resources/<type>/upload/<public_id>`` with
``moderation_status``. Each call is one Admin API call against the hourly quota.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import BadResponse, UsageError

#: the resource types the Admin API lists and details (``auto`` is upload-only)
RESOURCE_TYPES = ("image", "video", "raw")
#: what a reviewer can decide
DECISIONS = ("approved", "rejected")
MAX_PAGE_SIZE = 500
#: far beyond any real queue, short of an endless loop
MAX_PAGES = 1000


def _resource_type(value: str) -> str:
    if value not in RESOURCE_TYPES:
        raise UsageError(f"resource_type must be one of {', '.join(RESOURCE_TYPES)}, got {value!r}")
    return value


def resource_path(public_id: str, resource_type: str) -> str:
    """``/resources/<type>/upload/<public_id>``; folders stay path segments (as the SDK)."""
    if not isinstance(public_id, str) or not public_id.strip("/"):
        raise UsageError(f"invalid public id {public_id!r}")
    return f"/resources/{_resource_type(resource_type)}/upload/{quote(public_id, safe='/')}"


class ResourcesApi:
    """Resource details, moderation queues and moderation decisions over one transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def resource(self, public_id: str, *, resource_type: str = "image") -> dict[str, Any]:
        """The resource details with ``moderation`` and ``moderation_status`` (404: NotFound)."""
        path = resource_path(public_id, resource_type)
        return self.transport.request("GET", path, idempotent=True).json

    def set_moderation_status(
        self, public_id: str, status: str, *, resource_type: str = "image"
    ) -> dict[str, Any]:
        """Record a reviewer's decision; the answer is the resource details.

        Sent again after a lost response: deciding the same thing twice leaves the same state.
        """
        if status not in DECISIONS:
            raise UsageError(f"moderation_status must be approved or rejected, got {status!r}")
        path = resource_path(public_id, resource_type)
        return self.transport.request(
            "POST", path, data={"moderation_status": status}, idempotent=True
        ).json

    def iter_queue_pages(
        self,
        kind: str,
        status: str,
        *,
        resource_type: str = "image",
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of a moderation queue, oldest first, following ``next_cursor`` to the end."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise UsageError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        for name, value in (("kind", kind), ("status", status)):
            if not value or "/" in value:
                raise UsageError(f"invalid moderation {name} {value!r}")
        queue = f"{quote(kind)}/{quote(status)}"
        path = f"/resources/{_resource_type(resource_type)}/moderations/{queue}"
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(max_pages):
            params: dict[str, Any] = {"max_results": page_size, "direction": "asc"}
            if cursor is not None:
                params["next_cursor"] = cursor
            response = self.transport.request("GET", path, params=params, idempotent=True)
            resources, cursor = _page(response.json, path, response.request_id)
            yield resources
            if cursor is None:
                return
            if cursor in seen:
                raise _bad_page("a next_cursor repeated (it would loop)", path, response.request_id)
            seen.add(cursor)
        raise _bad_page(f"no end after {max_pages} pages", path, None)


def _bad_page(problem: str, path: str, request_id: str | None) -> BadResponse:
    return BadResponse(
        f"malformed moderation queue: {problem}",
        request_id=request_id,
        method="GET",
        path=path,
        hint="retry, and report it if it persists",
    )


def _page(
    document: dict[str, Any], path: str, request_id: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    resources = document.get("resources")
    if not isinstance(resources, list) or not all(
        isinstance(r, dict) and isinstance(r.get("public_id"), str) for r in resources
    ):
        raise _bad_page("'resources' is missing or malformed", path, request_id)
    cursor = document.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise _bad_page("'next_cursor' is not a string", path, request_id)
    return resources, cursor or None
