"""Hypothesis strategies for preset definitions, shared by every test package.

Import with ``from strategies import presets, preset_data`` (``tests/`` is on ``sys.path``
under pytest; ``tests/definitions/conftest.py`` makes sure of it).

Everything is built the way users write it: :func:`preset_data` draws the plain YAML-like
data of one preset file (dicts, lists, strings, numbers, booleans), using every accepted
shape of every setting (transformations as strings and as steps, eager in its three
forms, moderation structured and as the raw wire string, ...). :func:`presets` validates
that data with ``Preset.model_validate``, exactly as the loader does, so every drawn
``Preset`` is valid by construction; a strategy that draws invalid data is a bug here and
surfaces as a ``ValidationError``, never as a silent filter.

Sizes are kept small (a handful of settings per preset, short lists) so a few hundred
examples take a second or two. ``max_settings`` raises or lowers the number of settings.

``SETTINGS`` maps every upload parameter of :class:`~cloudinary_presets.model.preset.Settings`
(by its YAML name) to the strategy of its values; a test checks that it covers them all.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from cloudinary_presets.definitions.lints import LINT_IDS
from cloudinary_presets.definitions.loader import validation_context
from cloudinary_presets.model.fields import CATEGORIZATION_KINDS
from cloudinary_presets.model.moderation import GOOGLE_LEVELS
from cloudinary_presets.model.preset import (
    PRESET_LEVEL_KEYS,
    SETTING_KEYS,
    UPLOAD_PARAMETERS,
    Preset,
)
from cloudinary_presets.model.taxonomy import CATEGORIES
from cloudinary_presets.model.transformations import LONG_TO_SHORT

__all__ = [
    "SETTINGS",
    "TRICKY_STRINGS",
    "YAML_ALPHABET",
    "eager_items",
    "moderation_values",
    "preset_data",
    "presets",
    "text",
    "transformation_values",
]

Data = dict[str, Any]

# --------------------------------------------------------------------------- scalars

#: strings that a YAML reader or writer easily gets wrong; they must survive untouched
TRICKY_STRINGS = (
    "yes", "no", "on", "off", "NO", "y", "true", "False", "null", "~", "0755", "0x1F",
    "1:30", "1.10", "1e3", ".nan", ".inf", "-.inf", "2024-01-01", "12:30:00", "+12",
    "#hash", "- dash", "a: b", "a #b", "'single", '"double', "@at", "`tick", "%percent",
    "!bang", "&amp", "*star", "|pipe", ">gt", "[list]", "{map}", "? question", ",comma",
    "tab\tinside", "multi\nline", "trailing newline\n", "unicode: café ☃ 日本",
    "<<", "---", "...", "\\backslash", "a\u00a0b",
)  # fmt: skip

_SAFE_CHARS = st.characters(
    # surrogates, controls, format characters (bidi, zero-width), separators and unassigned
    # code points: invisible or misleading, refused by the reader (model/characters.py)
    blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Cn"),
    blacklist_characters="\u2028\u2029\ufeff\x85\u115f\u1160\u3164\uffa0\u2800",
)


def text(*, max_size: int = 30) -> st.SearchStrategy[str]:
    """Non-blank text, including the strings YAML 1.1 would turn into something else."""
    drawn = st.text(_SAFE_CHARS, min_size=1, max_size=max_size).filter(lambda s: s.strip())
    return st.one_of(st.sampled_from(TRICKY_STRINGS), drawn)


def _any_string(*, max_size: int = 20) -> st.SearchStrategy[str]:
    """Any string the reader accepts, empty ones included (map values may be empty)."""
    return st.one_of(st.sampled_from(TRICKY_STRINGS), st.text(_SAFE_CHARS, max_size=max_size))


_NAME = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True) | st.from_regex(
    r"[a-z]{255}", fullmatch=True
)
#: map values the k=v|... wire form can carry unambiguously (no backslash: its escape)
_MAP_VALUE = _any_string().filter(lambda s: "\\" not in s)
_MAP_KEY = st.from_regex(r"[A-Za-z0-9_.:-]{1,20}", fullmatch=True)
_FORMAT = st.from_regex(r"[a-z0-9]{1,16}", fullmatch=True)
_TAG = text(max_size=40).filter(lambda s: "," not in s and s == s.strip())
_URL = st.builds(
    "{}://{}.example.com{}".format,
    st.sampled_from(["https", "http"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
    st.sampled_from(["", "/", "/hook", "/a/b?token=x%20y", "?q=1", "#frag", ":8443/x"]),
)
_UNIT = st.floats(min_value=0, max_value=1) | st.sampled_from([0, 1])
_THRESHOLD = st.floats(min_value=0, max_value=1, exclude_min=True) | st.just("ignore")
_WIRE_THRESHOLD = st.integers(1, 1000).map(lambda n: repr(n / 1000)) | st.just("ignore")
_BOX = st.lists(st.integers(0, 5000), min_size=4, max_size=4)


def _unique_lists(elements: st.SearchStrategy[Any], max_size: int = 4) -> Any:
    return st.lists(elements, min_size=1, max_size=max_size, unique=True)


def _formats() -> st.SearchStrategy[list[str]]:
    """Unique formats; some written in upper case (the model lower-cases them)."""
    upper = st.booleans()
    return _unique_lists(_FORMAT).flatmap(
        lambda items: st.tuples(*(upper for _ in items)).map(
            lambda flags: [f.upper() if up else f for f, up in zip(items, flags, strict=True)]
        )
    )


# --------------------------------------------------------------------------- transformations

_LONG_NAMES = sorted(LONG_TO_SHORT)
_STEP_KEY = st.sampled_from(_LONG_NAMES) | st.from_regex(r"\$[a-z][a-zA-Z0-9]{0,5}", fullmatch=True)
_STEP_TEXT = st.from_regex(r"[A-Za-z0-9:._-]{1,12}", fullmatch=True)
_STEP_VALUE = st.one_of(
    _STEP_TEXT,
    st.integers(-10_000, 10_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


def _steps() -> st.SearchStrategy[list[dict[str, Any]]]:
    step = st.dictionaries(_STEP_KEY, _STEP_VALUE, min_size=1, max_size=3)
    return st.lists(step, min_size=1, max_size=3)


def _short(key: str) -> str:
    return LONG_TO_SHORT.get(key, key)


def _as_string(steps: list[dict[str, Any]]) -> str:
    """The same transformation in Cloudinary's string form (short keys, ``,`` and ``/``)."""
    return "/".join(
        ",".join(f"{_short(k)}_{v if isinstance(v, str) else repr(v)}" for k, v in step.items())
        for step in steps
    )


def transformation_values() -> st.SearchStrategy[Any]:
    """A transformation as written in YAML: a string, or a list of long-name steps."""
    return _steps().flatmap(lambda steps: st.sampled_from([steps, _as_string(steps)]))


def eager_items() -> st.SearchStrategy[Any]:
    """One eager item in any of its three forms: string (optional /format), steps, map."""
    fmt = st.none() | st.from_regex(r"[a-z0-9]{1,5}", fullmatch=True)
    as_string = st.builds(
        lambda steps, f: _as_string(steps) + (f"/{f}" if f else ""), _steps(), fmt
    )
    as_map = st.builds(
        lambda t, f: {"transformation": t} if f is None else {"transformation": t, "format": f},
        transformation_values(),
        fmt,
    )
    return st.one_of(as_string, _steps(), as_map)


# --------------------------------------------------------------------------- moderation

_CATEGORY = st.sampled_from(sorted(CATEGORIES))


def _automatic(kind: str, *, wire: bool) -> st.SearchStrategy[Any]:
    """One automatic moderator of ``kind``, structured or as its wire string."""
    if kind in ("webpurify", "perception_point"):
        return st.just(kind)
    if kind in ("aws_rek", "aws_rek_video"):
        if wire:
            pairs = st.dictionaries(_CATEGORY, _WIRE_THRESHOLD, max_size=3)
            return pairs.map(lambda d: ":".join([kind, *(f"{c}:{t}" for c, t in d.items())]))
        thresholds = st.dictionaries(_CATEGORY, _THRESHOLD, min_size=1, max_size=3)
        return st.one_of(st.just(kind), st.just({kind: None}), thresholds.map(lambda d: {kind: d}))
    if kind == "duplicate":
        if wire:
            return st.integers(0, 1000).map(lambda n: f"duplicate:{n / 1000!r}")
        return _UNIT.map(lambda t: {"duplicate": t})
    level = st.sampled_from(GOOGLE_LEVELS)
    if wire:
        return st.just(kind) | level.map(lambda lv: f"{kind}:{lv}")
    return st.just(kind) | level.map(lambda lv: {kind: lv})


_AUTOMATIC = ("webpurify", "aws_rek", "aws_rek_video", "perception_point",
              "google_video_moderation", "duplicate")  # fmt: skip


def moderation_values() -> st.SearchStrategy[Any]:
    """A moderation setting: one moderator, a list chain, or a ``|`` wire chain.

    Each kind at most once and ``manual`` only last, as Cloudinary requires.
    """
    kinds = st.lists(st.sampled_from(_AUTOMATIC), unique=True, max_size=3)

    def build(chosen: list[str], manual: bool, wire: bool) -> st.SearchStrategy[Any]:
        if not chosen and not manual:
            chosen = ["webpurify"]
        parts = [_automatic(k, wire=wire) for k in chosen]
        if manual:
            parts.append(st.just("manual"))
        chain = st.tuples(*parts).map(list)
        if wire:
            return chain.map("|".join)
        if len(parts) == 1:
            return chain.flatmap(lambda items: st.sampled_from([items[0], items]))
        return chain

    return st.tuples(kinds, st.booleans(), st.booleans()).flatmap(lambda t: build(*t))


# --------------------------------------------------------------------------- settings

_BOOL = st.booleans()
RAW_CONVERT_VALUES = (
    "aspose",
    "extract_text",
    "google_speech",
    "google_speech:vtt",
    "google_speech:srt:en-US",
    "azure_video_indexer",
    "azure_video_indexer:vtt",
)
_ACCESS_RULE = st.one_of(
    st.just({"access_type": "token"}),
    st.fixed_dictionaries(
        {"access_type": st.just("anonymous")}, optional={"start": text(), "end": text()}
    ),
)
_BREAKPOINTS = st.fixed_dictionaries(
    {"create_derived": _BOOL, "max_width": st.integers(1, 10_000)},
    optional={
        "min_width": st.integers(1, 1000),
        "bytes_step": st.integers(1, 100_000),
        "max_images": st.integers(1, 50),
        "transformation": transformation_values(),
        "format": _FORMAT,
    },
)
_HEADER_VALUE = _any_string().filter(
    lambda s: "\n" not in s and "\r" not in s and s.strip() and s == s.strip()
)
_METADATA_VALUE = _MAP_VALUE | st.lists(
    _any_string(max_size=8).filter(lambda s: '"' not in s and "\\" not in s), max_size=3
)

#: YAML key of every Settings field -> strategy of the values a user may write
SETTINGS: dict[str, st.SearchStrategy[Any]] = {
    "folder": text(),
    "asset_folder": text(),
    "use_asset_folder_as_public_id_prefix": _BOOL,
    "public_id": text(),
    "public_id_prefix": text(),
    "use_filename": _BOOL,
    "unique_filename": _BOOL,
    "use_filename_as_display_name": _BOOL,
    "display_name": text(),
    "unique_display_name": _BOOL,
    "filename_override": text(),
    "discard_original_filename": _BOOL,
    "overwrite": _BOOL,
    "type": st.sampled_from(["upload", "private", "authenticated", "asset"]),
    "access_mode": st.sampled_from(["public", "authenticated"]),
    "access_control": st.lists(_ACCESS_RULE, min_size=1, max_size=2),
    "format": text(max_size=8),
    "allowed_formats": _formats(),
    "transformation": transformation_values(),
    "eager": st.lists(eager_items(), min_size=1, max_size=3),
    "eager_async": _BOOL,
    "eager_notification_url": _URL,
    "responsive_breakpoints": st.lists(_BREAKPOINTS, min_size=1, max_size=2),
    "quality_override": text(max_size=8),
    "raw_convert": st.sampled_from(RAW_CONVERT_VALUES),
    "backup": _BOOL,
    "invalidate": _BOOL,
    "headers": st.dictionaries(
        st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True), _HEADER_VALUE, min_size=1, max_size=3
    ),
    "tags": _unique_lists(_TAG),
    "context": st.dictionaries(_MAP_KEY, _MAP_VALUE, min_size=1, max_size=3),
    "metadata": st.dictionaries(_MAP_KEY, _METADATA_VALUE, min_size=1, max_size=3),
    "face_coordinates": st.lists(_BOX, min_size=1, max_size=3),
    "custom_coordinates": st.lists(_BOX, min_size=1, max_size=3),
    "regions": st.dictionaries(
        st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True),
        st.lists(st.lists(st.integers(-100, 5000), min_size=2, max_size=2), max_size=4),
        min_size=1,
        max_size=3,
    ),
    "moderation": moderation_values(),
    "categorization": _unique_lists(st.sampled_from(CATEGORIZATION_KINDS)),
    "auto_tagging": _UNIT,
    "detection": text(),
    "ocr": st.just("adv_ocr"),
    "background_removal": st.sampled_from(["cloudinary_ai", "remove_the_background", "pixelz"]),
    "auto_transcription": _BOOL
    | st.fixed_dictionaries(
        {"translate": st.lists(st.from_regex(r"[a-z]{2}(-[A-Z]{2})?", fullmatch=True), min_size=1)}
    ),
    "auto_chaptering": _BOOL,
    "faces": _BOOL,
    "colors": _BOOL,
    "image_metadata": _BOOL,
    "media_metadata": _BOOL,
    "exif": _BOOL,
    "phash": _BOOL,
    "quality_analysis": _BOOL,
    "accessibility_analysis": _BOOL,
    "cinemagraph_analysis": _BOOL,
    "visual_search": _BOOL,
    "similarity_search": _BOOL,
    "clear_invalid": _BOOL,
    "notification_url": _URL,
    "callback": _URL,
    "proxy": _URL,
    "return_delete_token": _BOOL,
    "async": _BOOL,
    "eval": text(),
    "on_success": text(),
}

_RESERVED_EXTRA = {*SETTING_KEYS, *PRESET_LEVEL_KEYS, "name"}
_EXTRA_SETTINGS = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(
        lambda k: k not in _RESERVED_EXTRA
    ),
    st.one_of(
        text(),
        _BOOL,
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    max_size=3,
)


def _settings(max_settings: int) -> st.SearchStrategy[Data]:
    keys = st.lists(st.sampled_from(sorted(SETTINGS)), unique=True, max_size=max_settings)
    return keys.flatmap(lambda ks: st.fixed_dictionaries({k: SETTINGS[k] for k in ks}))


def preset_data(*, max_settings: int = 8) -> st.SearchStrategy[Data]:
    """The plain data of one valid preset file, as the strict YAML reader returns it."""
    return st.fixed_dictionaries(
        {"name": _NAME},
        optional={
            "description": text(),
            "unsigned": _BOOL,
            "disallow_public_id": _BOOL,
            "live": _BOOL,
            "parameter_whitelist": st.just("none")
            | _unique_lists(st.sampled_from(sorted(UPLOAD_PARAMETERS))),
            "protect": _BOOL,
            "ignore_lints": st.lists(st.sampled_from(sorted(LINT_IDS)), unique=True),
            "settings": _settings(max_settings),
            "extra_settings": _EXTRA_SETTINGS,
        },
    )


def presets(*, max_settings: int = 8) -> st.SearchStrategy[Preset]:
    """Valid :class:`Preset` objects, validated from :func:`preset_data` like the loader does."""
    context = validation_context()
    return preset_data(max_settings=max_settings).map(
        lambda data: Preset.model_validate(data, context=context)
    )


#: printable ASCII plus the characters YAML gives meaning to, for fuzzing the reader
YAML_ALPHABET = string.ascii_letters + string.digits + " :-[]{},#&*!|>'\"%@`?\n\t~.=_/<\\"
