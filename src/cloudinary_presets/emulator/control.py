"""The ``/_emulator/...`` control API: the Python API, over HTTP, for loopback clients.

Why: benchmarks and the CLI's ``presets emulator`` run the emulator in another process;
they still need to read the counters, reset state, inject faults, register moderation
labels and set quotas. Every endpoint calls the same ``Emulator`` method a Python test
would, so the two never disagree. No authentication: the server answers loopback
clients only, and control requests are never counted or faulted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Protocol

from cloudinary_presets.emulator.faults import FaultRule
from cloudinary_presets.emulator.http_error import HttpError, bad_request
from cloudinary_presets.emulator.messages import Request, Response, error_response, json_response
from cloudinary_presets.emulator.routes import Route


class Controller(Protocol):
    """What the control API drives (implemented by ``Emulator``)."""

    def stats(self) -> dict[str, object]: ...
    def reset(self) -> None: ...
    def set_faults(
        self, rules: Sequence[FaultRule | Mapping[str, object]], seed: int | None = None
    ) -> None: ...
    def clear_faults(self) -> None: ...
    def faults(self) -> dict[str, object]: ...
    def register_labels(
        self,
        content: bytes | None = None,
        *,
        sha256: str | None = None,
        labels: list[dict[str, object]],
    ) -> str: ...
    def set_quota(
        self, cloud: str, limit: int | None = None, remaining: int | None = None
    ) -> None: ...
    def quota(self, cloud: str) -> dict[str, object]: ...
    def set_addons(self, cloud: str, enabled: Sequence[str]) -> None: ...
    def presets(self, cloud: str) -> list[dict[str, object]]: ...
    def assets(self, cloud: str) -> list[dict[str, object]]: ...
    def seed_presets(self, cloud: str, bodies: Sequence[Mapping[str, object]]) -> list[str]: ...
    def configure(
        self,
        *,
        put_semantics: str | None = None,
        moderation_timing: str | None = None,
        moderation_delay: float | None = None,
    ) -> dict[str, object]: ...
    def settings(self) -> dict[str, object]: ...
    def set_signature_algorithm(self, cloud: str, algorithm: str) -> None: ...
    def notifications(self, wait: float = 0.0) -> list[dict[str, object]]: ...


def handle(controller: Controller, request: Request, route: Route) -> Response:
    try:
        return _dispatch(controller, request, route.action)
    except HttpError as exc:
        return error_response(exc)
    except (ValueError, TypeError) as exc:
        return error_response(bad_request(str(exc)))


def _json(request: Request) -> dict[str, object]:
    if not request.body.strip():
        return {}
    try:
        value = json.loads(request.body)
    except ValueError:
        raise bad_request("control API bodies are JSON objects") from None
    if not isinstance(value, dict):
        raise bad_request("control API bodies are JSON objects")
    return value


def _string(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{key}' (a string) is required")
    return value


def _optional_int(data: Mapping[str, object], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"'{key}' must be an integer")
    return value


def _list(data: Mapping[str, object], key: str) -> list[object]:
    value = data.get(key)
    if not isinstance(value, list):
        raise bad_request(f"'{key}' (a list) is required")
    return value


def _dispatch(controller: Controller, request: Request, action: str) -> Response:
    method = request.method
    head, _, rest = action.partition("/")
    if (method, action) == ("GET", "stats"):
        return json_response(200, controller.stats())
    if (method, action) == ("POST", "reset"):
        controller.reset()
        return json_response(200, {"message": "reset"})
    if action == "faults":
        if method == "POST":
            data = _json(request)
            rules = _list(data, "rules")
            if not all(isinstance(rule, dict) for rule in rules):
                raise bad_request("'rules' must be a list of objects")
            controller.set_faults(
                [dict(rule) for rule in rules if isinstance(rule, dict)],
                seed=_optional_int(data, "seed"),
            )
            return json_response(200, controller.faults())
        if method == "DELETE":
            controller.clear_faults()
            return json_response(200, controller.faults())
        if method == "GET":
            return json_response(200, controller.faults())
    if (method, action) == ("POST", "labels"):
        return json_response(200, {"sha256": _labels(controller, _json(request))})
    if (method, action) == ("POST", "quota"):
        data = _json(request)
        cloud = _string(data, "cloud")
        controller.set_quota(cloud, _optional_int(data, "limit"), _optional_int(data, "remaining"))
        return json_response(200, controller.quota(cloud))
    if (method, action) == ("POST", "addons"):
        data = _json(request)
        cloud = _string(data, "cloud")
        enabled = _list(data, "enabled")
        if not all(isinstance(name, str) for name in enabled):
            raise bad_request("'enabled' must be a list of add-on names")
        controller.set_addons(cloud, [str(name) for name in enabled])
        return json_response(200, {"cloud": cloud, "enabled": enabled})
    if (method, action) == ("POST", "seed"):
        data = _json(request)
        bodies = _list(data, "presets")
        if not all(isinstance(body, dict) for body in bodies):
            raise bad_request("'presets' must be a list of objects")
        names = controller.seed_presets(
            _string(data, "cloud"), [body for body in bodies if isinstance(body, dict)]
        )
        return json_response(200, {"names": names})
    if action == "settings" and method in ("GET", "POST"):
        if method == "POST":
            return json_response(200, _configure(controller, _json(request)))
        return json_response(200, controller.settings())
    if (method, action) == ("POST", "signature_algorithm"):
        data = _json(request)
        cloud, algorithm = _string(data, "cloud"), _string(data, "algorithm")
        controller.set_signature_algorithm(cloud, algorithm)
        return json_response(200, {"cloud": cloud, "algorithm": algorithm})
    if (method, action) == ("GET", "notifications"):
        return json_response(200, controller.notifications())
    if method == "GET" and head in ("presets", "assets") and rest and "/" not in rest:
        listing = controller.presets(rest) if head == "presets" else controller.assets(rest)
        return json_response(200, listing)
    raise HttpError(404, f"Unknown control endpoint {method} /_emulator/{action}")


def _labels(controller: Controller, data: Mapping[str, object]) -> str:
    labels = _list(data, "labels")
    content: bytes | None = None
    if "content_base64" in data:
        try:
            content = base64.b64decode(_string(data, "content_base64"), validate=True)
        except binascii.Error:
            raise bad_request("'content_base64' is not valid base64") from None
    sha256 = data.get("sha256")
    if sha256 is not None and not isinstance(sha256, str):
        raise bad_request("'sha256' must be a hex string")
    checked = [dict(label) for label in labels if isinstance(label, dict)]
    if len(checked) != len(labels):
        raise bad_request("'labels' must be a list of objects")
    return controller.register_labels(content, sha256=sha256, labels=checked)


def _configure(controller: Controller, data: Mapping[str, object]) -> dict[str, object]:
    """``{"put_semantics", "moderation_timing", "moderation_delay"}``, any subset."""
    known = ("put_semantics", "moderation_timing", "moderation_delay")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise bad_request(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    delay = data.get("moderation_delay")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, float))):
        raise bad_request("'moderation_delay' must be a number of seconds")
    return controller.configure(
        put_semantics=_optional_str(data, "put_semantics"),
        moderation_timing=_optional_str(data, "moderation_timing"),
        moderation_delay=float(delay) if delay is not None else None,
    )


def _optional_str(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string")
    return value
