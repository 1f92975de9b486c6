"""The Admin API: upload-preset CRUD and ping, with Basic auth and the hourly quota.

Why these rules: they are what the reference documents (or, where it is silent, the
choices listed in docs/emulator.md). Every Admin response, errors included, carries the
rate-limit headers; every authenticated call spends one unit of the cloud's quota.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import secrets
import string
import uuid

from cloudinary_presets.emulator import paging, resources, wire
from cloudinary_presets.emulator.accounts import CloudAccount
from cloudinary_presets.emulator.clock import iso_time
from cloudinary_presets.emulator.http_error import HttpError
from cloudinary_presets.emulator.messages import Request, Response, error_response, json_response
from cloudinary_presets.emulator.presets import (
    PresetBody,
    detail_form,
    list_form,
    normalize_body,
    not_found,
)
from cloudinary_presets.emulator.quota import hour_of, next_reset, rate_limit_headers
from cloudinary_presets.emulator.routes import Route
from cloudinary_presets.emulator.service import Service
from cloudinary_presets.emulator.store import CloudRecord, DuplicateName, NewPreset, PresetRow

log = logging.getLogger(__name__)

_NAME_ALPHABET = string.ascii_lowercase + string.digits


def random_name() -> str:
    """A generated preset name: 8 lowercase letters and digits."""
    return "".join(secrets.choice(_NAME_ALPHABET) for _ in range(8))


def authenticate(account: CloudAccount, authorization: str | None) -> None:
    """HTTP Basic ``api_key:api_secret``; raises a 401 HttpError otherwise."""
    if not authorization:
        raise HttpError(401, "Must supply api_key")
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        raise HttpError(
            401, "Invalid credentials: OAuth Bearer tokens are not supported by the emulator"
        )
    if scheme.lower() != "basic":
        raise HttpError(401, "Invalid credentials")
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise HttpError(401, "Invalid credentials") from None
    key, sep, secret = decoded.partition(":")
    if not key:
        raise HttpError(401, "Must supply api_key")
    if key != account.api_key:
        raise HttpError(401, f"Unknown API key {key}")
    if not sep or not hmac.compare_digest(
        secret.encode("utf-8"), account.api_secret.encode("utf-8")
    ):
        raise HttpError(401, "Invalid credentials")


def handle(service: Service, request: Request, route: Route) -> Response:
    """Authenticate, spend quota, dispatch; the rate-limit headers go on every answer."""
    assert route.cloud is not None
    now = service.clock()
    record = service.store.cloud(route.cloud)
    if record is None:
        headers = service.quota_headers(None, now)
        return error_response(HttpError(401, f"Invalid cloud_name {route.cloud}"), headers)
    try:
        authenticate(record.account, request.headers.get("authorization"))
    except HttpError as exc:
        return error_response(exc, service.quota_headers(record, now))
    limit = service.quota_limit(record)
    remaining = service.store.spend_quota(record.account.name, hour_of(now), limit)
    if remaining is None:
        headers = rate_limit_headers(limit, 0, next_reset(now))
        return error_response(HttpError(420, "Rate Limit Exceeded"), headers)
    headers = rate_limit_headers(limit, remaining, next_reset(now))
    try:
        response = _dispatch(service, request, route, record, now)
    except HttpError as exc:
        response = error_response(exc)
    response.headers.update(headers)
    return response


def _dispatch(
    service: Service, request: Request, route: Route, record: CloudRecord, now: float
) -> Response:
    store = service.store
    cloud = record.account.name
    addons = service.enabled_addons(record)
    if route.action == "ping":
        return json_response(200, {"status": "ok"})
    if route.action == "list":
        return json_response(200, _list(service, request, cloud))
    if route.action == "get":
        row = store.preset(cloud, route.name)
        if row is None:
            raise not_found(route.name)
        return json_response(200, detail_form(row))
    if route.action == "create":
        row = create(service, cloud, normalize(cloud, _body_params(request), addons), now)
        service.stats.write(cloud)
        return json_response(
            200, {"message": "created", "name": row.name, "external_id": row.external_id}
        )
    if route.action == "update":
        body = normalize(cloud, _body_params(request), addons)
        row = update(service, cloud, route.name, body, now)
        service.stats.write(cloud)
        return json_response(200, {"message": "updated", "external_id": row.external_id})
    if route.action == "delete":
        external_id = store.delete_preset(cloud, route.name)
        if external_id is None:
            raise not_found(route.name)
        service.stats.write(cloud)
        return json_response(200, {"message": "deleted", "external_id": external_id})
    if route.action in resources.ACTIONS:
        return json_response(200, resources.dispatch(service, request, route, record))
    raise HttpError(404, f"Unsupported endpoint {request.method} {request.path}")


def _body_params(request: Request) -> dict[str, object]:
    return wire.body_params(request.query, request.headers.get("content-type"), request.body)


# --------------------------------------------------------------------------- list


def _list(service: Service, request: Request, cloud: str) -> dict[str, object]:
    params = wire.parse_query(request.query)
    limit = paging.max_results(params)
    before = paging.cursor(params)
    rows, more = service.store.page_presets(cloud, before, limit)
    result: dict[str, object] = {"presets": [list_form(row) for row in rows]}
    if more and rows:
        result["next_cursor"] = paging.encode_cursor(rows[-1].seq)
    return result


# --------------------------------------------------------------------------- writes


def normalize(cloud: str, params: dict[str, object], addons: frozenset[str] | None) -> PresetBody:
    """Validate a body; log (never report) a setting dropped for a disabled add-on."""
    body = normalize_body(params, addons)
    if body.dropped:
        log.info("cloud %s: dropped %s (add-on not enabled)", cloud, ", ".join(body.dropped))
    return body


def new_preset(body: PresetBody) -> NewPreset:
    """The row for a validated create body (name generated when absent)."""
    return NewPreset(
        name=body.name or random_name(),
        external_id=str(uuid.uuid4()),
        unsigned=bool(body.unsigned),
        settings=body.settings,
    )


def create(service: Service, cloud: str, body: PresetBody, now: float) -> PresetRow:
    for _ in range(5):  # a generated name may collide; a given one may not
        preset = new_preset(body)
        try:
            service.store.insert_presets(cloud, [preset], iso_time(now))
        except DuplicateName:
            if body.name is not None:
                raise HttpError(409, f"Upload preset '{body.name}' already exists") from None
            continue
        row = service.store.preset(cloud, preset.name)
        assert row is not None
        return row
    raise HttpError(500, "Could not generate a unique preset name")


def update(service: Service, cloud: str, name: str, body: PresetBody, now: float) -> PresetRow:
    """Under ``replace`` semantics (the default) the sent settings replace the stored ones
    (``unsigned`` and ``live`` are kept when absent); under ``merge`` they are merged into
    them and a setting sent empty (``""``, null, ``[]``) is cleared."""
    existing = service.store.preset(cloud, name)
    if existing is None:
        raise not_found(name)
    if service.settings.put_semantics == "merge":
        settings = {k: v for k, v in existing.settings.items() if k not in body.cleared}
        settings.update(body.settings)
    else:
        settings = dict(body.settings)
        if "live" not in settings and "live" in existing.settings:
            settings["live"] = existing.settings["live"]
    unsigned = existing.unsigned if body.unsigned is None else body.unsigned
    row = service.store.update_preset(cloud, name, unsigned, settings, iso_time(now))
    if row is None:
        raise not_found(name)
    return row
