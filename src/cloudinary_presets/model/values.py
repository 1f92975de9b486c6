"""Value kinds: how each setting's value is made canonical, compared and shown.

Every field of a preset has one kind. The kind owns three decisions that used to be
scattered: the canonical form (what fingerprints and equality use, so ``0.70`` equals
``0.7`` and tag order does not matter), the typed changes between two values (with their
meaning and security relevance), and the display form, redacted when the value can carry
a secret or code. Nothing outside this module and the value types decides redaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from pydantic import BaseModel

from cloudinary_presets.model.changes import FieldChange, Meaning, Scope
from cloudinary_presets.model.moderation_changes import chain_changes
from cloudinary_presets.model.transformations import Transformation, canonical_value


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def field_name(path: str) -> str:
    """The name of the field a rooted path points to: what follows its section
    (``settings.folder`` -> ``folder``; ``extra_settings.client_secret.v2`` ->
    ``client_secret.v2``: a raw key may hold dots), or the path itself (``unsigned``)."""
    return path.partition(".")[2] or path


def plain(value: Any) -> Any:
    """A structured setting (pydantic models, transformations inside) as plain JSON data."""
    if isinstance(value, BaseModel):
        return {k: plain(v) for k, v in value.model_dump(exclude_none=True).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Transformation):
        return str(value)
    return value


class ValueKind:
    """The plain kind: a value is its own canonical and display form."""

    def canonical(self, value: Any) -> Any:
        """The form that equality and fingerprints use (JSON-able, normalised)."""
        return value

    def display(self, canonical: Any, key: str) -> Any:
        """A canonical value made safe to show in plans, logs and plan files (``key``: the
        field's name, for kinds whose redaction depends on it)."""
        return canonical

    def security(
        self, path: str, before: Any, after: Any, *, scope: Scope
    ) -> tuple[Meaning | None, str]:
        """The meaning and the security sentence of a change between two canonical values.

        ``scope`` says whether the whole preset is new, existing, or being deleted.
        """
        return None, ""

    def changes(
        self, path: str, before: Any, after: Any, *, scope: Scope = Scope.EXISTING
    ) -> list[FieldChange]:
        """Typed changes between two values of this kind (``None`` = unset)."""
        b = None if before is None else self.canonical(before)
        a = None if after is None else self.canonical(after)
        if b == a:
            return []
        meaning, security = self.security(path, b, a, scope=scope)
        key = field_name(path)
        return [
            FieldChange(
                path=path,
                before=None if b is None else self.display(b, key),
                after=None if a is None else self.display(a, key),
                meaning=meaning,
                note=meaning.value if meaning is not None else "",
                security=security,
            )
        ]


class NumberKind(ValueKind):
    """A number written in one form (``0.50`` and ``0.5`` are one value)."""

    def canonical(self, value: Any) -> Any:
        return canonical_value(repr(float(value)))


class UnorderedKind(ValueKind):
    """A list whose order carries no meaning (tags, formats): compared as a sorted list."""

    def canonical(self, value: Any) -> Any:
        return value if isinstance(value, str) else sorted(value)  # "none" is a whole value


class MapKind(ValueKind):
    """A map (context, metadata): compared with keys sorted."""

    def canonical(self, value: Any) -> Any:
        return {k: value[k] for k in sorted(value)}


class HeadersKind(MapKind):
    """HTTP headers: values may be credentials (``Authorization``), so only names are shown."""

    def display(self, canonical: Any, key: str) -> Any:
        return dict.fromkeys(canonical, "***")


class TextKind(ValueKind):
    """A value type with a canonical string form (transformations, moderation chains)."""

    def canonical(self, value: Any) -> Any:
        return str(value)


class EagerKind(ValueKind):
    """Eager transformations: an ordered list of canonical strings."""

    def canonical(self, value: Any) -> Any:
        return [str(item) for item in value]


class StructuredKind(ValueKind):
    """Structured settings sent as JSON (access rules, breakpoints, regions, transcription)."""

    def canonical(self, value: Any) -> Any:
        return plain(value)


class CodeKind(ValueKind):
    """JavaScript Cloudinary runs on every upload: never shown, and every change is flagged."""

    def display(self, canonical: Any, key: str) -> Any:
        return f"(JavaScript, {len(canonical)} chars, sha256:{_digest(canonical)})"

    def security(
        self, path: str, before: Any, after: Any, *, scope: Scope
    ) -> tuple[Meaning | None, str]:
        if after is None:  # removed, or the whole preset deleted: nothing runs any more
            return None, ""
        return None, f"{field_name(path)} JavaScript changes (runs on every upload)"


def redact_url(url: str) -> str:
    """Keep scheme, host, port and path as written; replace query values (tokens live
    there) with ***; drop user info and fragment. A text Python cannot read as a URL (a
    raw value) is shown as a digest only."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[oops": nothing of it can be shown safely
        return f"(unreadable URL, sha256:{_digest(url)})"
    query = "&".join(
        f"{quote(k, safe='')}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True)
    )
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


class UrlKind(ValueKind):
    """A URL Cloudinary calls or sends browsers to: query tokens hidden, a new host flagged."""

    def display(self, canonical: Any, key: str) -> Any:
        return redact_url(canonical)

    def security(
        self, path: str, before: Any, after: Any, *, scope: Scope
    ) -> tuple[Meaning | None, str]:
        if before is None or after is None or scope is not Scope.EXISTING:
            return None, ""
        if urlsplit(before).hostname == urlsplit(after).hostname:
            return None, ""
        return Meaning.HOST_CHANGED, f"{field_name(path)} moves to another host"


class VisibilityKind(ValueKind):
    """Settings that decide who can see assets (``type``, ``access_control``)."""

    def __init__(self, inner: ValueKind | None = None) -> None:
        self.inner = inner or ValueKind()

    def canonical(self, value: Any) -> Any:
        return self.inner.canonical(value)

    def security(
        self, path: str, before: Any, after: Any, *, scope: Scope
    ) -> tuple[Meaning | None, str]:
        if scope is not Scope.EXISTING:  # only a change to a live preset's audience matters
            return None, ""
        key = field_name(path)
        what = "delivery type" if key == "type" else key
        return None, f"{what} changes: who can see assets changes"


class ModerationKind(TextKind):
    """A moderation chain (the typed value of ``settings.moderation``):
    compared per moderator and per Rekognition category."""

    def changes(
        self, path: str, before: Any, after: Any, *, scope: Scope = Scope.EXISTING
    ) -> list[FieldChange]:
        if str(before) == str(after):  # the chain's text is the whole value
            return []
        return chain_changes(before, after, path)


_SECRETISH = re.compile(r"secret|token|passw|signature|api_key|auth", re.IGNORECASE)


def _holds_a_secret_name(value: Any) -> bool:
    """Whether a raw list or map holds a key, at any depth, that looks like a credential's
    name (``{"url": ..., "signing_secret": ...}``)."""
    if isinstance(value, Mapping):
        return any(_SECRETISH.search(str(k)) or _holds_a_secret_name(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_a_secret_name(v) for v in value)


class RawKind(ValueKind):
    """A raw value: a parameter this tool does not model, or a modelled one Cloudinary
    stores in a form this tool cannot read (``extra_settings``).

    Its meaning is unknown, so its name decides: a value whose name, or a key inside it,
    looks like a credential (``..._token``, ``auth...``) is shown as a digest only, and so
    is a raw value of a setting whose kind hides it (``inner``: code, headers; a URL keeps
    its host).
    """

    def __init__(self, inner: ValueKind | None = None) -> None:
        self.inner = inner

    def canonical(self, value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return canonical_value(repr(value))
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower()
        return canonical_value(value) if isinstance(value, str) else value

    def display(self, canonical: Any, key: str) -> Any:
        text = canonical if isinstance(canonical, str) else canonical_json(canonical)
        if isinstance(self.inner, UrlKind) and isinstance(canonical, str):
            return redact_url(canonical)
        if self.inner is not None or _SECRETISH.search(key) or _holds_a_secret_name(canonical):
            return f"(redacted, sha256:{_digest(text)})"
        return canonical

    def security(
        self, path: str, before: Any, after: Any, *, scope: Scope
    ) -> tuple[Meaning | None, str]:
        if isinstance(self.inner, CodeKind):
            return self.inner.security(path, before, after, scope=scope)
        return None, ""


PLAIN = ValueKind()
NUMBER = NumberKind()
UNORDERED = UnorderedKind()
MAP = MapKind()
HEADERS = HeadersKind()
TEXT = TextKind()
EAGER = EagerKind()
STRUCTURED = StructuredKind()
CODE = CodeKind()
URL = UrlKind()
MODERATION = ModerationKind()
RAW = RawKind()

#: kinds a settings field may name explicitly (``x-value`` in its metadata)
NAMED_KINDS: Mapping[str, ValueKind] = {
    "code": CODE,
    "url": URL,
    "visibility": VisibilityKind(),
    "visibility-structured": VisibilityKind(STRUCTURED),
}


def canonical_json(canonical: Any) -> str:
    """The one JSON text of a canonical form (what fingerprints hash, and the digests of
    hidden raw lists and maps): keys sorted, compact, not ASCII-escaped."""
    return json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
