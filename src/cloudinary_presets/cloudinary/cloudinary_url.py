"""Parsing a ``cloudinary://KEY:SECRET@CLOUD`` URL (``CLOUDINARY_URL``, ``--url``, profiles).

The URL carries the secret, so every error shows it masked, and the secret is a
:class:`~cloudinary_presets.cloudinary.secrets.Secret` from the moment it is decoded.
"""

from __future__ import annotations

import re
from typing import NoReturn
from urllib.parse import parse_qs, unquote, urlsplit

from cloudinary_presets.cloudinary.credentials import (
    CLOUD_NAME,
    DEFAULT_API_HOST,
    SCHEME,
    URL_FORM,
    Credentials,
    validate_api_host,
)
from cloudinary_presets.cloudinary.secrets import Secret, redact
from cloudinary_presets.errors import CredentialsError


def redact_url_text(url: str) -> str:
    """Best-effort masking of a raw, possibly malformed ``scheme://key:secret@host`` string.

    Used for error messages about a URL we could not parse, so it masks generously:
    everything between the first ``:`` of the user-info and the last ``@``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "(value not shown)"
    at = rest.rfind("@")
    if at < 0:
        return redact(url)
    key, colon, _ = rest[:at].partition(":")
    userinfo = f"{key}:***" if colon else key
    return redact(f"{scheme}://{userinfo}@{rest[at + 1 :]}")


def parse_cloudinary_url(url: str, source: str) -> Credentials:
    """Parse ``cloudinary://KEY:SECRET@CLOUD[?upload_prefix=...&signature_algorithm=...]``.

    As the SDK does: key and secret are percent-decoded (``ab%2Fcd`` is ``ab/cd``) and the
    cloud name is lowercased. Query keys other than ``upload_prefix`` and
    ``signature_algorithm`` are ignored (the SDK accepts dozens of CDN settings). A
    non-loopback ``upload_prefix`` must be https.

    ``cloudinary://KEY@CLOUD`` (no ``:``) is accepted with ``api_secret=None`` for
    unsigned-only use; an empty secret (``KEY:@CLOUD``) is an error. Every message shows
    the URL redacted, never the secret.
    """
    text = url.strip()
    shown = redact_url_text(text)

    def fail(problem: str, hint: str = "") -> NoReturn:
        raise CredentialsError(
            f"invalid Cloudinary URL from {source}: {problem}; expected {URL_FORM} (got {shown})",
            hint=hint,
        )

    if text[:1] in ("'", '"'):
        fail("the value is wrapped in quotes", "remove the quotes around the value")
    scheme, sep, rest = text.partition("://")
    if not sep:
        fail("it does not start with cloudinary://")
    if scheme.lower() != SCHEME:
        shown_scheme = scheme if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,20}", scheme) else "?"
        fail(f"wrong scheme {shown_scheme!r}")
    netloc_end = len(rest)
    for stop in "/?#":
        index = rest.find(stop)
        if 0 <= index < netloc_end:
            netloc_end = index
    netloc, tail = rest[:netloc_end], rest[netloc_end:]
    if "@" not in netloc:
        if "@" in tail:
            fail(
                "the key or secret contains '/', '?' or '#'",
                "percent-encode them in the URL: '/' as %2F, '?' as %3F, '#' as %23",
            )
        fail("missing API key and secret")
    userinfo, _, host = netloc.rpartition("@")
    raw_key, colon, raw_secret = userinfo.partition(":")
    api_key = unquote(raw_key)
    if not api_key:
        fail("missing API key")
    secret: Secret | None = None
    if colon:
        if not raw_secret:
            fail("missing API secret after ':'")
        secret = Secret(unquote(raw_secret))
    if not host:
        fail("missing cloud name after '@'")
    if ":" in host:
        fail("unexpected ':' in the cloud name (a port is not allowed here)")
    cloud_name = unquote(host).lower()
    if not CLOUD_NAME.match(cloud_name):
        fail(f"invalid cloud name {cloud_name!r}")

    query = urlsplit(f"x://h{tail}").query if tail else ""
    options = parse_qs(query, keep_blank_values=True)
    for key in ("upload_prefix", "signature_algorithm"):
        if len(options.get(key, [])) > 1:
            fail(f"{key} is given more than once")
    api_host = DEFAULT_API_HOST
    if "upload_prefix" in options:
        try:
            api_host = validate_api_host(options["upload_prefix"][0])
        except CredentialsError as exc:
            fail(exc.message, exc.hint)
    algorithm = options.get("signature_algorithm", ["sha1"])[0].lower()
    if algorithm not in ("sha1", "sha256"):
        fail(f"unsupported signature_algorithm {algorithm!r} (expected sha1 or sha256)")
    return Credentials(
        cloud_name=cloud_name,
        api_key=api_key,
        api_secret=secret,
        api_host=api_host,
        signature_algorithm="sha256" if algorithm == "sha256" else "sha1",
        source=source,
    )
