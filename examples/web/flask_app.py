"""A Flask backend for browser uploads and Cloudinary's notifications.

* ``POST /api/direct-upload`` ``{"preset": "avatar"}``: the upload URL and the form fields
  (signed on the server for a signed preset); the browser POSTs the file straight to
  Cloudinary with them (``index.html`` shows how).
* ``POST /cloudinary/notifications``: the ``notification_url`` receiver. It verifies the
  signature over the raw body before reading anything, and answers 401 otherwise.

Run it from the project root (where ``presets/`` is), with ``CLOUDINARY_URL`` set::

    flask --app 'examples/web/flask_app.py:app_from_env()' run
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, jsonify, request, send_file

from cloudinary_presets import (
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
) -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def form() -> Response:
        return send_file(HERE / "index.html")

    @app.post("/api/direct-upload")
    def direct_upload() -> tuple[Response, int]:
        preset = (request.get_json(silent=True) or {}).get("preset")
        if preset not in BROWSER_PRESETS:
            return jsonify(error=f"unknown preset {preset!r}"), 400
        try:
            upload = uploader.direct_upload(preset)
        except PresetsError as exc:
            return jsonify(error=exc.message), 400
        return jsonify(upload.as_dict()), 200

    @app.post("/cloudinary/notifications")
    def notification() -> tuple[Response | str, int]:
        body = request.get_data()  # the raw bytes: the signature covers exactly these
        try:
            uploader.verify_notification(body, request.headers)
            notification = parse_notification(body)
        except NotificationError as exc:
            return jsonify(error=exc.message), 401
        on_notification(notification)
        return "", 204

    return app


def app_from_env() -> Flask:
    """The app for ``flask --app``: credentials from CLOUDINARY_URL, definitions from ``.``."""
    return create_app(Uploader.from_env())
