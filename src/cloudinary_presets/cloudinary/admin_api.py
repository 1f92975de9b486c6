"""The Admin API upload-preset endpoints, as plain dicts in and out.

This layer knows the endpoints and their failure semantics, not our models: listings are
complete or raise (a partial listing would plan creates for presets that exist), a create
whose outcome is unknown is reconciled by reading it back instead of being blindly retried,
and a delete whose first response was lost accepts the 404 of its retry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.errors import (
    AlreadyExists,
    ApiError,
    BadResponse,
    NetworkError,
    NotFound,
    ServerError,
    UsageError,
)

PRESETS_PATH = "/upload_presets"
MAX_PAGE_SIZE = 500
#: 1,000 pages of 500 presets: far beyond any real account, short of an endless loop.
MAX_PAGES = 1000
#: POST attempts for one create when every failure was ambiguous and the preset is absent.
MAX_CREATE_ATTEMPTS = 3

# Failures after which the server may or may not have created the preset.
_AMBIGUOUS = (NetworkError, ServerError, BadResponse)


def preset_path(name: str) -> str:
    """``/upload_presets/<name>`` with the name percent-encoded, ``/`` included."""
    if not isinstance(name, str) or not name or name in (".", ".."):
        raise UsageError(f"invalid preset name {name!r}")
    return f"{PRESETS_PATH}/{quote(name, safe='')}"


@dataclass(frozen=True)
class CreateResult:
    """How a create ended: ``reconciled`` means the POST's outcome was unknown and a GET
    found the preset already there with the desired settings."""

    name: str
    response: dict[str, Any]
    reconciled: bool = False
    attempts: int = 1


@dataclass(frozen=True)
class DeleteResult:
    """How a delete ended: ``reconciled`` means a retry found the preset already gone."""

    name: str
    response: dict[str, Any]
    reconciled: bool = False


class AdminApi:
    """Upload-preset CRUD over one :class:`~cloudinary_presets.cloudinary.transport.Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def ping(self) -> dict[str, Any]:
        """``GET /ping``: checks the credentials; costs one Admin API call."""
        return self.transport.request("GET", "/ping", idempotent=True).json

    # -- reads --------------------------------------------------------------------------

    def iter_preset_pages(
        self, page_size: int = MAX_PAGE_SIZE, *, max_pages: int = MAX_PAGES
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield each page of the listing, following ``next_cursor`` to the end.

        Raises :class:`BadResponse` on a malformed page, a cursor seen before, or more than
        ``max_pages`` pages; a consumer that needs the whole listing must not keep a
        partial one (use :meth:`list_presets`).
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise UsageError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        cursor: str | None = None
        seen_cursors: set[str] = set()
        for _ in range(max_pages):
            params: dict[str, Any] = {"max_results": page_size}
            if cursor is not None:
                params["next_cursor"] = cursor
            response = self.transport.request("GET", PRESETS_PATH, params=params, idempotent=True)
            presets, cursor = _parse_page(response.json, response.request_id)
            yield presets
            if cursor is None:
                return
            if cursor in seen_cursors:
                raise _bad_listing("a next_cursor repeated (it would loop)", response.request_id)
            seen_cursors.add(cursor)
        raise _bad_listing(f"no end after {max_pages} pages", None)

    def list_presets(self, page_size: int = MAX_PAGE_SIZE) -> list[dict[str, Any]]:
        """Every preset of the account, or an exception: never a partial list."""
        everything: list[dict[str, Any]] = []
        names: set[str] = set()
        for page in self.iter_preset_pages(page_size):
            for preset in page:
                if preset["name"] in names:
                    raise _bad_listing(f"preset {preset['name']!r} appears twice", None)
                names.add(preset["name"])
            everything.extend(page)
        return everything

    def get_preset(self, name: str) -> dict[str, Any]:
        """One preset (``NotFound`` if absent), with its settings in the parsed form."""
        response = self.transport.request("GET", preset_path(name), idempotent=True)
        preset = response.json
        if not isinstance(preset.get("name"), str) or preset["name"] != name:
            raise BadResponse(
                f"GET of preset {name!r} returned a body without its name (or another name)",
                status=response.status,
                request_id=response.request_id,
                method="GET",
                path=preset_path(name),
            )
        return preset

    def _find(self, name: str) -> dict[str, Any] | None:
        try:
            return self.get_preset(name)
        except NotFound:
            return None

    # -- writes -------------------------------------------------------------------------

    def create_preset(
        self, body: dict[str, Any], *, same: Callable[[dict[str, Any]], bool]
    ) -> CreateResult:
        """Create a preset; POST is never blindly retried.

        After an ambiguous failure (timeout, reset, truncated body, 5xx, garbled response)
        or a 409, the preset is read back: present and ``same(preset)`` is success
        (``reconciled=True``); present but different is :class:`AlreadyExists`; absent
        after a 409 re-raises the 409; absent after an ambiguous failure posts again, up
        to :data:`MAX_CREATE_ATTEMPTS` times. All of it shares one retry budget, so a
        server that hangs costs the budget, not every attempt's timeout.
        """
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise UsageError("create_preset needs a body with a 'name' (needed to reconcile)")
        preset_path(name)
        with self.transport.retry_scope():  # the POSTs and read-backs share one budget
            last_error: ApiError | None = None
            for attempt in range(1, MAX_CREATE_ATTEMPTS + 1):
                try:
                    response = self.transport.request(
                        "POST", PRESETS_PATH, json=body, idempotent=False
                    )
                    return CreateResult(name, response.json, reconciled=False, attempts=attempt)
                except AlreadyExists as error:
                    conflict, last_error = True, error
                except _AMBIGUOUS as error:
                    status = error.status or 0
                    if isinstance(error, BadResponse) and 300 <= status < 400:
                        raise  # a redirect: nothing was created, and a GET would be too
                    conflict, last_error = False, error
                try:
                    current = self._find(name)
                except ApiError as error:
                    raise type(error)(
                        error.cloudinary_message,
                        status=error.status,
                        request_id=error.request_id,
                        method=error.method,
                        path=error.path,
                        hint=f"the create of preset {name!r} failed ({last_error.message}) and "
                        "reading it back failed too: its outcome is unknown; run plan again",
                    ) from last_error
                if current is not None:
                    if same(current):
                        return CreateResult(name, current, reconciled=True, attempts=attempt)
                    raise AlreadyExists(
                        f"preset {name!r} exists with different settings "
                        "(created outside this apply?)",
                        status=409,
                        request_id=last_error.request_id,
                        method="POST",
                        path=last_error.path,
                    )
                if conflict:
                    raise last_error
                if attempt < MAX_CREATE_ATTEMPTS:
                    self.transport.backoff(attempt)
            assert last_error is not None
            raise type(last_error)(
                last_error.cloudinary_message,
                status=last_error.status,
                request_id=last_error.request_id,
                method=last_error.method,
                path=last_error.path,
                hint=f"preset {name!r} is still absent after {MAX_CREATE_ATTEMPTS} create attempts",
            )

    def update_preset(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT`` the full settings (unlisted ones may be dropped); retried: idempotent."""
        return self.transport.request("PUT", preset_path(name), json=body, idempotent=True).json

    def delete_preset(self, name: str) -> DeleteResult:
        """``DELETE``, retried. A plain 404 raises :class:`NotFound`; a 404 on a retry after
        an attempt that may have landed counts as deleted (``reconciled=True``)."""
        response = self.transport.request(
            "DELETE", preset_path(name), json={}, idempotent=True, success_on_retry={404}
        )
        if response.status == 404:
            return DeleteResult(name, {"message": "deleted"}, reconciled=True)
        return DeleteResult(name, response.json)


def _bad_listing(problem: str, request_id: str | None) -> BadResponse:
    return BadResponse(
        f"malformed preset listing: {problem}",
        request_id=request_id,
        method="GET",
        path=PRESETS_PATH,
        hint="no partial listing is used; retry, and report it if it persists",
    )


def _parse_page(
    document: dict[str, Any], request_id: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    presets = document.get("presets")
    if not isinstance(presets, list):
        raise _bad_listing("'presets' is missing or not a list", request_id)
    for index, entry in enumerate(presets):
        if not isinstance(entry, dict):
            raise _bad_listing(f"entry {index} is not an object", request_id)
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise _bad_listing(f"entry {index} has no name", request_id)
    cursor = document.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise _bad_listing("'next_cursor' is not a string", request_id)
    return presets, cursor or None
