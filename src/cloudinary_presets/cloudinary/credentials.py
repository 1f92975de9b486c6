"""One product environment's credentials as a value, and what makes a value valid.

:class:`Credentials` checks itself when built (cloud name, key, a safe API host) and
registers the HTTP Basic blob it will send, so whichever source it came from
(:mod:`~cloudinary_presets.cloudinary.cloudinary_url`,
:mod:`~cloudinary_presets.cloudinary.profiles`,
:mod:`~cloudinary_presets.cloudinary.credential_sources`) the same rules hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlsplit

from cloudinary_presets.cloudinary.secrets import (
    MIN_SECRET_LENGTH,
    Secret,
    redact,
    register_sensitive,
)
from cloudinary_presets.errors import CredentialsError
from cloudinary_presets.model.hosts import host_scope

SignatureAlgorithm = Literal["sha1", "sha256"]

DEFAULT_API_HOST = "https://api.cloudinary.com"
SCHEME = "cloudinary"
URL_FORM = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"

CLOUD_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")


def validate_api_host(value: str, *, what: str = "upload_prefix") -> str:
    """Return ``value`` without trailing slashes, or raise if it is not a safe API base URL.

    Plain ``http://`` is allowed only for loopback hosts (a local emulator): anything else
    would send the Basic credentials in clear text.
    """
    host_url = value.strip().rstrip("/")
    try:
        parts = urlsplit(host_url)
        hostname = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as exc:
        raise CredentialsError(f"{what} {redact(value)!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise CredentialsError(
            f"{what} must be an http(s) URL such as https://api.cloudinary.com, "
            f"got {redact(value)!r}"
        )
    if "@" in parts.netloc:
        raise CredentialsError(
            f"{what} must not contain user-info (credentials go in the key and secret)"
        )
    if parts.query or parts.fragment:
        raise CredentialsError(f"{what} must not have a query or fragment: {host_url!r}")
    if parts.scheme != "https" and host_scope(host_url) != "loopback":
        raise CredentialsError(
            f"{what} {host_url!r} uses plain http to a non-loopback host; "
            "credentials would travel in clear text",
            hint="use https://, or http:// only with 127.0.0.1, ::1 or localhost",
        )
    return host_url


@dataclass(frozen=True)
class Credentials:
    """One product environment's API credentials, plus where they came from (``source``).

    ``api_secret`` is ``None`` for a key-only URL (``cloudinary://KEY@cloud``): enough for
    unsigned uploads, refused by every Admin API call and signed upload.
    """

    cloud_name: str
    api_key: str
    api_secret: Secret | None
    api_host: str = DEFAULT_API_HOST
    signature_algorithm: SignatureAlgorithm = "sha1"
    source: str = "arguments"

    def __post_init__(self) -> None:
        if not self.cloud_name or not CLOUD_NAME.match(self.cloud_name):
            raise CredentialsError(
                f"invalid cloud name {self.cloud_name!r} in {self.source} "
                "(expected lowercase letters, digits, '_', '-' or '.')"
            )
        if not self.api_key:
            raise CredentialsError(f"missing API key in {self.source}")
        if self.signature_algorithm not in ("sha1", "sha256"):
            raise CredentialsError(
                f"unsupported signature_algorithm {self.signature_algorithm!r} in "
                f"{self.source} (expected sha1 or sha256)"
            )
        object.__setattr__(self, "api_host", validate_api_host(self.api_host))
        length = len(self.api_secret.reveal()) if self.api_secret is not None else 0
        if 0 < length < MIN_SECRET_LENGTH:
            raise CredentialsError(
                f"the API secret in {self.source} is {length} character(s) long: too short to "
                f"be kept out of output reliably (at least {MIN_SECRET_LENGTH}; Cloudinary's "
                "API secrets are 27)",
                hint="check the credentials; a local emulator needs a longer secret too",
            )
        if self.api_secret is not None:
            blob = f"{self.api_key}:{self.api_secret.reveal()}".encode()
            register_sensitive(base64.b64encode(blob).decode("ascii"))

    @property
    def has_secret(self) -> bool:
        return self.api_secret is not None and bool(self.api_secret)

    @property
    def is_loopback(self) -> bool:
        """True when the API host is this machine (the embedded or a local emulator)."""
        return host_scope(self.api_host) == "loopback"

    def basic_auth(self) -> tuple[str, str]:
        """The ``(key, secret)`` pair for HTTP Basic; raises if there is no secret."""
        if self.api_secret is None or not self.api_secret:
            raise CredentialsError(
                f"the credentials from {self.source} have no API secret",
                hint=f"the Admin API and signed uploads need {URL_FORM}",
            )
        return self.api_key, self.api_secret.reveal()

    def redacted_url(self) -> str:
        """``cloudinary://KEY:***@cloud[?upload_prefix=...]``: safe to print and log."""
        userinfo = quote(self.api_key, safe="")
        if self.api_secret is not None:
            userinfo += ":***"
        query = []
        if self.api_host != DEFAULT_API_HOST:
            query.append(f"upload_prefix={self.api_host}")
        if self.signature_algorithm != "sha1":
            query.append(f"signature_algorithm={self.signature_algorithm}")
        suffix = "?" + "&".join(query) if query else ""
        return f"{SCHEME}://{userinfo}@{self.cloud_name}{suffix}"

    def key_fingerprint(self) -> str:
        """A short, stable stand-in for the API key, stored in plans instead of the key.

        It tells "same account?" apart; it is not a secret-grade hash (API keys are
        short numbers), and the key itself is not secret anyway.
        """
        digest = hashlib.sha256(f"cloudinary-presets:{self.api_key}".encode()).hexdigest()
        return f"sha256:{digest[:16]}"

    def plan_seal_key(self) -> bytes | None:
        """The key that seals saved plans for this account (``None`` without a secret).

        Derived from the API secret with HMAC, so it reveals nothing of it; whoever can
        forge a seal holds the secret, and could write presets directly anyway.
        """
        if self.api_secret is None or not self.api_secret:
            return None
        secret = self.api_secret.reveal().encode("utf-8")
        return hmac.new(secret, b"cloudinary-presets:plan-seal:v1", hashlib.sha256).digest()
