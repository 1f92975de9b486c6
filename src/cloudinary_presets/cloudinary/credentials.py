"""Cloudinary credentials: where they come from, how they are parsed, and how they stay secret.

The API secret is wrapped in :class:`Secret` the moment it is read, so a ``repr``, an
f-string, a traceback or a pickle can never show it. Every secret (and the HTTP Basic blob
built from it) is also put in a process-wide registry that :func:`redact` scrubs from any
text, which is what the logging filter in :mod:`cloudinary_presets.cloudinary.transport` uses.

This module never reads ``os.environ`` and never prints: the environment and the home
directory are arguments, so the CLI decides and the tests control them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

from cloudinary_presets.errors import CredentialsError, UsageError

SignatureAlgorithm = Literal["sha1", "sha256"]

DEFAULT_API_HOST = "https://api.cloudinary.com"
SCHEME = "cloudinary"
URL_FORM = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
PROFILE_FILE_LIMIT = 1024 * 1024
#: Secrets shorter than this are not scrubbed from free text (it would mangle ordinary
#: words and numbers); they are still masked everywhere a :class:`Secret` is formatted.
MIN_REDACTED_LENGTH = 6

_CLOUD_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")


# --------------------------------------------------------------------------- redaction


class _Registry:
    """Process-wide set of sensitive strings, with a cached regex that matches any of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if len(value) < MIN_REDACTED_LENGTH:
            return
        forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= forms
            self._pattern = None

    def pattern(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                longest_first = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in longest_first))
            return self._pattern

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._values


_REGISTRY = _Registry()

#: Shapes that carry credentials whatever their value: header lines, dict reprs, query
#: strings, JSON bodies, URL user-info. Applied after the registered values.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:\w+\s+)?[^\s\"',;}]+"),
        r"\1***",
    ),
    (re.compile(r"(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/=._~-]{6,}"), r"\1\2***"),
    (re.compile(r"(?i)\b(signature|api_secret)(=|%3D)[^&\s\"'<>]+"), r"\1\2***"),
    (re.compile(r"(?i)\b(invalid signature\s+)[0-9a-f]{8,}"), r"\1***"),
    (re.compile(r"(?i)([\"'](?:signature|api_secret)[\"']\s*:\s*[\"'])[^\"']*"), r"\1***"),
    (re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1***@"),
)


def register_sensitive(value: str) -> None:
    """Make :func:`redact` (and so the log filter) scrub ``value`` from now on."""
    _REGISTRY.add(value)


def is_registered(value: str) -> bool:
    return value in _REGISTRY


def redact(text: str) -> str:
    """Scrub registered secrets and credential-shaped substrings from ``text``."""
    pattern = _REGISTRY.pattern()
    if pattern is not None:
        text = pattern.sub("***", text)
    for shape, replacement in _SHAPES:
        text = shape.sub(replacement, text)
    return text


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


# --------------------------------------------------------------------------- Secret


class Secret:
    """A string that never shows itself: ``repr``/``str``/format give ``'***'``.

    Only :meth:`reveal` returns the value, so every place that needs the clear text is
    greppable. Pickling is refused (a pickle is a clear-text copy); copying returns the
    same immutable object.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds a str")
        object.__setattr__(self, "_value", value)
        register_sensitive(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal().encode(), other.reveal().encode())

    def __hash__(self) -> int:
        return hash((Secret, self.reveal()))

    def __bool__(self) -> bool:
        return bool(self.reveal())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or serialised")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or serialised")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self


# --------------------------------------------------------------------------- Credentials


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
    if parts.scheme != "https" and not _is_loopback_host(hostname):
        raise CredentialsError(
            f"{what} {host_url!r} uses plain http to a non-loopback host; "
            "credentials would travel in clear text",
            hint="use https://, or http:// only with 127.0.0.1, ::1 or localhost",
        )
    return host_url


def _is_loopback_host(hostname: str) -> bool:
    if hostname.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


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
        if not self.cloud_name or not _CLOUD_NAME.match(self.cloud_name):
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
        if self.api_secret is not None:
            blob = f"{self.api_key}:{self.api_secret.reveal()}".encode()
            register_sensitive(base64.b64encode(blob).decode("ascii"))

    @property
    def has_secret(self) -> bool:
        return self.api_secret is not None and bool(self.api_secret)

    @property
    def is_loopback(self) -> bool:
        """True when the API host is this machine (the embedded or a local emulator)."""
        return _is_loopback_host(urlsplit(self.api_host).hostname or "")

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


# --------------------------------------------------------------------------- CLOUDINARY_URL


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
    if not _CLOUD_NAME.match(cloud_name):
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


# --------------------------------------------------------------------------- profiles

DEFAULT_PROFILE_KEY = "__default__"


def profile_file(environ: Mapping[str, str], home: Path) -> Path:
    """cloudinary-cli's file: ``$CLOUDINARY_HOME/config.json``, else ``~/.cloudinary-cli/``."""
    configured = environ.get("CLOUDINARY_HOME", "").strip()
    if configured:
        if configured == "~" or configured.startswith("~/"):
            return home / configured[2:] / "config.json"
        return Path(configured) / "config.json"
    return home / ".cloudinary-cli" / "config.json"


def _shown_path(path: Path, home: Path) -> str:
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)


def _read_profiles(path: Path, shown: str) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(PROFILE_FILE_LIMIT + 1)
    except FileNotFoundError:
        raise CredentialsError(
            f"no cloudinary-cli profiles: {shown} does not exist",
            hint="save one with `cld config -n NAME cloudinary://KEY:SECRET@CLOUD`",
        ) from None
    except OSError as exc:
        raise CredentialsError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if len(raw) > PROFILE_FILE_LIMIT:
        raise CredentialsError(f"{shown} is larger than {PROFILE_FILE_LIMIT} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # The decoder's message quotes no input, only a position.
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
        raise CredentialsError(f"{shown} is not valid JSON ({detail})") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{shown} must hold a JSON object of profile names to URLs")
    return data


def _profile_names(data: Mapping[str, object]) -> str:
    names = sorted(k for k in data if not (k.startswith("__") and k.endswith("__")))
    return ", ".join(names) if names else "(none)"


def load_profile(name: str | None, environ: Mapping[str, str], home: Path) -> Credentials:
    """Credentials from a saved cloudinary-cli profile (``cld config -n NAME URL``).

    ``name`` ``None`` or ``"__default__"`` means the profile saved as default
    (``cld config -d NAME``). Errors name the file and list the profile names, never a URL.
    """
    path = profile_file(environ, home)
    shown = _shown_path(path, home)
    data = _read_profiles(path, shown)
    label = ""
    if name is None or name == DEFAULT_PROFILE_KEY:
        default = data.get(DEFAULT_PROFILE_KEY)
        if not isinstance(default, str) or not default:
            raise CredentialsError(
                f"no default profile is set in {shown}; available profiles: {_profile_names(data)}",
                hint="pass --profile NAME, or set one with `cld config -d NAME`",
            )
        name, label = default, " (default)"
    if name.startswith("__") and name.endswith("__"):
        raise UsageError(f"profile names wrapped in '__' are reserved: {name!r}")
    value = data.get(name)
    if value is None:
        raise CredentialsError(
            f"profile {name!r}{label} not found in {shown}; available profiles: "
            f"{_profile_names(data)}"
        )
    if not isinstance(value, str):
        raise CredentialsError(f"profile {name!r} in {shown} is not a cloudinary:// URL string")
    return parse_cloudinary_url(value, f"profile {name!r}{label} ({shown})")


# --------------------------------------------------------------------------- precedence

_TRIO = ("CLOUDINARY_CLOUD_NAME", "CLOUDINARY_API_KEY", "CLOUDINARY_API_SECRET")
_TRIO_SOURCE = "environment variables CLOUDINARY_CLOUD_NAME/_API_KEY/_API_SECRET"


def _from_trio(environ: Mapping[str, str]) -> Credentials | None:
    cloud, key, secret = (environ.get(name, "").strip() for name in _TRIO)
    if not (cloud or key or secret):
        return None
    for var, value in zip(_TRIO[:2], (cloud, key), strict=True):
        if not value:
            raise CredentialsError(
                f"{var} is not set, but other CLOUDINARY_* credential variables are",
                hint="set CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET, "
                "or CLOUDINARY_URL",
            )
    algorithm = environ.get("CLOUDINARY_SIGNATURE_ALGORITHM", "sha1").strip().lower() or "sha1"
    if algorithm not in ("sha1", "sha256"):
        raise CredentialsError(
            f"CLOUDINARY_SIGNATURE_ALGORITHM must be sha1 or sha256, got {algorithm!r}"
        )
    prefix = environ.get("CLOUDINARY_UPLOAD_PREFIX", "").strip()
    return Credentials(
        cloud_name=cloud.lower(),
        api_key=key,
        api_secret=Secret(secret) if secret else None,
        api_host=validate_api_host(prefix, what="CLOUDINARY_UPLOAD_PREFIX")
        if prefix
        else DEFAULT_API_HOST,
        signature_algorithm="sha256" if algorithm == "sha256" else "sha1",
        source=_TRIO_SOURCE,
    )


def _from_variable(environ: Mapping[str, str], var: str, why: str) -> Credentials | None:
    if var not in environ:
        return None
    if not environ[var].strip():
        raise CredentialsError(
            f"{var} is set but empty{why}",
            hint=f"give it a {URL_FORM} value, or unset it",
        )
    return parse_cloudinary_url(environ[var], f"environment variable {var}")


def _from_environment(environ: Mapping[str, str]) -> Credentials | None:
    from_url = _from_variable(
        environ, "CLOUDINARY_URL", " (an undefined CI secret?); unset it to use the emulator"
    )
    from_trio = _from_trio(environ)
    if from_url is None or from_trio is None:
        return from_url or from_trio
    if from_url.cloud_name != from_trio.cloud_name:
        raise CredentialsError(
            f"CLOUDINARY_URL names cloud {from_url.cloud_name!r} but CLOUDINARY_CLOUD_NAME "
            f"names {from_trio.cloud_name!r}; refusing to guess",
            hint="unset one of them",
        )
    differ = [
        what
        for what, a, b in (
            ("API key", from_url.api_key, from_trio.api_key),
            ("API secret", from_url.api_secret, from_trio.api_secret),
            ("upload_prefix", from_url.api_host, from_trio.api_host),
            ("signature_algorithm", from_url.signature_algorithm, from_trio.signature_algorithm),
        )
        if a != b
    ]
    if differ:
        raise CredentialsError(
            f"CLOUDINARY_URL and the CLOUDINARY_CLOUD_NAME/_API_KEY/_API_SECRET variables "
            f"both target cloud {from_url.cloud_name!r} but differ in: {', '.join(differ)}",
            hint="unset one of them",
        )
    return from_url


def resolve_credentials(
    *,
    url: str | None,
    profile: str | None,
    env_credentials: tuple[str, str] | None,
    environ: Mapping[str, str],
    home: Path,
) -> Credentials | None:
    """Pick the credentials to use; the whole precedence lives here, first match wins.

    1. ``--url URL`` (giving both ``--url`` and ``--profile`` is a usage error);
    2. ``--profile NAME``: a cloudinary-cli saved profile (``--profile __default__``
       selects the profile saved as default);
    3. the target environment's configured credentials: ``("env", VAR)`` reads the
       ``cloudinary://`` URL in variable ``VAR``, ``("profile", NAME)`` reads a saved
       profile. If the configured source is missing this is an error: it never falls
       through to ``CLOUDINARY_URL``, which may name another account;
    4. ``CLOUDINARY_URL``, or the SDK's ``CLOUDINARY_CLOUD_NAME`` + ``CLOUDINARY_API_KEY``
       + ``CLOUDINARY_API_SECRET`` (+ ``CLOUDINARY_UPLOAD_PREFIX``,
       ``CLOUDINARY_SIGNATURE_ALGORITHM``). When both forms are set they must describe
       the same credentials, otherwise nothing is guessed and an error names both clouds;
    5. nothing: returns ``None`` and the caller uses the embedded emulator.

    Unlike ``cld``, a profile saved as default is never used implicitly: a command run
    without any configuration talks to the emulator, not to whatever account was saved
    last. A variable that is set but empty (an undefined CI secret) is an error, not
    "unset". Only the shape of the values is checked here; nothing touches the network.
    """
    if url is not None and profile is not None:
        raise UsageError("give either --url or --profile, not both")
    if url is not None:
        return parse_cloudinary_url(url, "--url")
    if profile is not None:
        return load_profile(profile, environ, home)
    if env_credentials is not None:
        kind, name = env_credentials
        if kind == "env":
            found = _from_variable(environ, name, " (it holds this environment's credentials)")
            if found is None:
                raise CredentialsError(
                    f"environment variable {name} is not set; the target environment "
                    f"reads its credentials from it",
                    hint=f"export {name}={URL_FORM}",
                )
            return found
        if kind == "profile":
            return load_profile(name, environ, home)
        raise UsageError(f"unknown credentials kind {kind!r} (expected 'env' or 'profile')")
    return _from_environment(environ)
