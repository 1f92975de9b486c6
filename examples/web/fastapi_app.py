"""A FastAPI backend for browser uploads and Cloudinary's notifications.

The same two endpoints as ``flask_app.py``. The library is synchronous (one HTTP stack,
requests): ``direct_upload`` and ``verify_notification`` make no network call, so they
run inline; a call that does (``wait_for_moderation``, ``approve``...) goes through
``asyncio.to_thread`` so it never blocks the event loop.

Run it from the project root (where ``presets/`` is), with ``CLOUDINARY_URL`` set::

    uvicorn --factory examples.web.fastapi_app:app_from_env
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from fastapi import Body, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse

from cloudinary_presets import (
    ModerationState,
    Notification,
    NotificationError,
    PresetsError,
    Uploader,
    parse_notification,
)

HERE = Path(__file__).resolve().parent
#: the presets a browser may ask for: the server decides, never the browser
BROWSER_PRESETS = frozenset({"avatar", "ugc-moderated"})


def create_app(
    uploader: Uploader, on_notification: Callable[[Notification], None] = print
) -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def form() -> FileResponse:
        return FileResponse(HERE / "index.html")

    @app.post("/api/direct-upload")
    def direct_upload(preset: str = Body(embed=True)) -> dict[str, object]:
        if preset not in BROWSER_PRESETS:
            raise HTTPException(400, f"unknown preset {preset!r}")
        try:
            return uploader.direct_upload(preset).as_dict()
        except PresetsError as exc:
            raise HTTPException(400, exc.message) from None

    @app.post("/cloudinary/notifications", status_code=204)
    async def notification(request: Request) -> Response:
        body = await request.body()  # the raw bytes: the signature covers exactly these
        try:
            uploader.verify_notification(body, request.headers)
            notification = parse_notification(body)
        except NotificationError as exc:
            raise HTTPException(401, exc.message) from None
        on_notification(notification)
        return Response(status_code=204)

    @app.get("/api/moderation/{public_id:path}")
    async def moderation(public_id: str) -> dict[str, object]:
        # Admin API calls block: run them in a thread, not on the event loop.
        state: ModerationState = await asyncio.to_thread(
            uploader.wait_for_moderation, public_id, timeout=10.0
        )
        return state.to_dict()

    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory``: credentials from CLOUDINARY_URL, definitions
    from ``.``."""
    return create_app(Uploader.from_env())
