"""Policy lints: valid presets that are probably a mistake, with the reason it matters.

Each lint has a stable id, is a warning by default (``presets validate --strict`` makes
warnings errors), and can be silenced per preset with ``ignore_lints: [<id>]``. The
rules follow Cloudinary's own guidance for unsigned presets: anyone who knows an
unsigned preset's name (it ships in front-end code) can upload with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudinary_presets.model.hosts import host_scope
from cloudinary_presets.model.moderation import unknown_categories, verbatim_reasons
from cloudinary_presets.model.preset import PARAMETER_NAME, RAW_LEVEL_KEYS, SETTING_KEYS, Preset
from cloudinary_presets.model.taxonomy import CATEGORIES, VERSIONS, categories_of


@dataclass(frozen=True)
class Finding:
    """A lint hit: which lint, where in the preset (dotted path), and why it matters."""

    lint_id: str
    path: tuple[str, ...]
    message: str


Hits = Iterator[tuple[tuple[str, ...], str]]
Check = Callable[[Preset, frozenset[str]], Hits]
_CHECKS: dict[str, Check] = {}


def _check(lint_id: str) -> Callable[[Check], Check]:
    """Register a check under its lint id; the check yields ``(path, message)`` pairs."""

    def register(func: Check) -> Check:
        _CHECKS[lint_id] = func
        return func

    return register


@_check("unsigned-without-allowed-formats")
def _unsigned_without_allowed_formats(p: Preset, known: frozenset[str]) -> Hits:
    if p.unsigned and not p.settings.allowed_formats:
        yield (
            ("unsigned",),
            "unsigned preset accepts any file type: anyone who knows its name can upload "
            "executables or huge videos; set settings.allowed_formats",
        )


@_check("unsigned-without-moderation")
def _unsigned_without_moderation(p: Preset, known: frozenset[str]) -> Hits:
    if p.unsigned and p.settings.moderation is None:
        yield (
            ("unsigned",),
            "unsigned preset has no moderation: anonymous uploads are published unreviewed; "
            "set settings.moderation (e.g. aws_rek, or manual)",
        )


@_check("unsigned-overwrite")
def _unsigned_overwrite(p: Preset, known: frozenset[str]) -> Hits:
    if p.unsigned and p.settings.overwrite:
        yield (
            ("settings", "overwrite"),
            "overwrite: true on an unsigned preset invites anonymous replacement of assets "
            "(Cloudinary forces it off for unsigned uploads, so it only hides intent)",
        )


@_check("unsigned-allows-public-id")
def _unsigned_public_id(p: Preset, known: frozenset[str]) -> Hits:
    if p.unsigned and not p.disallow_public_id:
        yield (
            ("disallow_public_id",),
            "unsigned preset lets uploaders choose public IDs (squatting, collisions); set "
            "disallow_public_id: true",
        )


@_check("insecure-url")
def _insecure_urls(p: Preset, known: frozenset[str]) -> Hits:
    for key in ("notification_url", "eager_notification_url", "callback"):
        url = getattr(p.settings, key)
        if url is None:
            continue
        if urlsplit(url).scheme == "http":
            yield (
                ("settings", key),
                f"{key} uses plain http: upload details travel unencrypted; use https",
            )
        elif host_scope(url) != "public":
            yield (
                ("settings", key),
                f"{key} points at a private or loopback address that Cloudinary cannot reach",
            )


@_check("uploads-run-code")
def _code(p: Preset, known: frozenset[str]) -> Hits:
    for key in ("eval", "on_success"):
        if getattr(p.settings, key) is not None:
            yield (
                ("settings", key),
                f"{key} runs JavaScript on Cloudinary for every upload; review it like code "
                "(it is redacted in plans)",
            )


@_check("unknown-category")
def _unknown_category(p: Preset, known: frozenset[str]) -> Hits:
    if p.settings.moderation is None:
        return
    for kind, category, taxonomy in unknown_categories(p.settings.moderation, known):
        which = f"Rekognition's {taxonomy} taxonomy" if taxonomy else "either Rekognition taxonomy"
        other = [v for v in VERSIONS if v != taxonomy and category in categories_of(v)]
        also = f" (it is a {other[0]} name)" if taxonomy and other else ""
        yield (
            ("settings", "moderation", kind, category),
            f"{kind} category `{category}` is not in {which}{also}: it is sent as written "
            "and has no effect if Cloudinary does not know it either; declare it in "
            "`moderation.extra_categories` if it is a newer name",
        )


@_check("raw-moderation")
def _raw_moderation(p: Preset, known: frozenset[str]) -> Hits:
    if p.settings.moderation is None:
        return
    for moderator, why in verbatim_reasons(p.settings.moderation, known):
        yield (
            ("settings", "moderation"),
            f"moderation `{moderator}` is kept verbatim ({why}): it is sent exactly as "
            "written and not checked",
        )


@_check("raw-setting")
def _raw_setting(p: Preset, known: frozenset[str]) -> Hits:
    for key in p.extra_settings:
        if key in SETTING_KEYS or key in RAW_LEVEL_KEYS:
            where = f"settings.{key}" if key in SETTING_KEYS else key
            yield (
                ("extra_settings", key),
                f"`{key}` is kept as a raw value (Cloudinary stores a value this tool cannot "
                "read as the setting, e.g. a list item twice): it is sent exactly as written "
                f"and not checked; write it as {where} once it is fixed",
            )
        elif not PARAMETER_NAME.match(key):
            yield (
                ("extra_settings", key),
                f"`{key}` does not look like an upload parameter (a-z, 0-9, _): it is sent "
                "exactly as written",
            )


LINT_IDS: frozenset[str] = frozenset(_CHECKS)


def lint(preset: Preset, extra_categories: Iterable[str] = ()) -> list[Finding]:
    """Every finding for ``preset`` that its ``ignore_lints`` does not silence.
    ``extra_categories``: Rekognition names the project declares beyond the taxonomies."""
    silenced = set(preset.ignore_lints)
    known = CATEGORIES | frozenset(extra_categories)
    return [
        Finding(lint_id, path, message)
        for lint_id, check in _CHECKS.items()
        if lint_id not in silenced
        for path, message in check(preset, known)
    ]
