"""The typed preset: one strict field per preset-valid upload parameter.

These models are the single source of truth: the loader validates YAML against them, the
JSON Schema in ``schemas/`` is generated from them, and the wire codec reads each
field's :class:`~cloudinary_presets.model.fields.Wire` marker to know how Cloudinary
encodes it. A preset also knows how to compare itself: :meth:`Preset.canonical` (what
fingerprints use) and :func:`preset_changes` (typed field changes with their meaning and
security relevance), both driven by each field's value kind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from cloudinary_presets.model.changes import FieldChange, Scope
from cloudinary_presets.model.fields import (
    Categorization,
    Context,
    Coordinates,
    Custom,
    Formats,
    Headers,
    HttpUrl,
    Metadata,
    PresetName,
    RawConvert,
    RawValue,
    S,
    StrictModel,
    Tags,
    Text,
    UnitInterval,
    Wire,
    field_error,
    string_list,
    validation_context,
)
from cloudinary_presets.model.structured import (
    AccessRule,
    AutoTranscriptionField,
    Breakpoints,
    Eager,
    ModerationField,
    TransformationField,
)
from cloudinary_presets.model.values import (
    CODE,
    EAGER,
    HEADERS,
    MAP,
    MODERATION,
    NAMED_KINDS,
    NUMBER,
    PLAIN,
    RAW,
    STRUCTURED,
    TEXT,
    UNORDERED,
    URL,
    RawKind,
    ValueKind,
    canonical_json,
)
from cloudinary_presets.model.wording import shorten, suggest

_REGION_NAME = r"^[A-Za-z0-9_-]{1,100}$"


class Settings(StrictModel):
    """Cloudinary upload parameters applied by the preset (only the ones you set are sent)."""

    # `async_: true` in a file is not an upload parameter: only the alias `async` is accepted
    model_config = ConfigDict(populate_by_name=False)  # merged with StrictModel's config

    # Where assets go and how they are named.
    folder: Text | None = S(
        "Folder for uploaded assets (public IDs are prefixed with it in fixed-folder mode).",
        Wire.STRING,
    )
    asset_folder: Text | None = S(
        "Asset folder (dynamic folders mode) where assets are placed.", Wire.STRING
    )
    use_asset_folder_as_public_id_prefix: bool | None = S(
        "Prefix public IDs with the asset folder (when no folder/public_id_prefix is set).",
        Wire.BOOL,
    )
    public_id: Text | None = S(
        "A fixed public ID for every upload with this preset (rarely wanted).", Wire.STRING
    )
    public_id_prefix: Text | None = S(
        "A path prepended to public IDs (SEO); does not change where assets are stored.",
        Wire.STRING,
    )
    use_filename: bool | None = S("Use the uploaded file's name as the public ID.", Wire.BOOL)
    unique_filename: bool | None = S(
        "Append random characters to filename-based public IDs (default true).", Wire.BOOL
    )
    use_filename_as_display_name: bool | None = S(
        "Use the original file name as the display name.", Wire.BOOL
    )
    display_name: Text | None = S("Display name for uploaded assets.", Wire.STRING)
    unique_display_name: bool | None = S("Make display names unique.", Wire.BOOL)
    filename_override: Text | None = S("File name used for downloads (fl_attachment).", Wire.STRING)
    discard_original_filename: bool | None = S("Do not keep the original file name.", Wire.BOOL)
    overwrite: bool | None = S(
        "Replace an existing asset with the same public ID (default true for signed uploads; "
        "always false for unsigned).",
        Wire.BOOL,
    )
    type: Literal["upload", "private", "authenticated", "asset"] | None = S(
        "Delivery type: upload (public), private, authenticated or asset. Changing it changes who "
        "can see assets.",
        Wire.STRING,
        value="visibility",
    )
    access_mode: Literal["public", "authenticated"] | None = S(
        "Deprecated by Cloudinary in favour of access_control.",
        Wire.STRING,
        json_schema_extra={"deprecated": True},
    )
    access_control: list[AccessRule] | None = S(
        "Access rules: the asset is restricted unless one rule allows access.",
        Wire.JSON,
        value="visibility-structured",
        min_length=1,
    )

    # What is stored.
    format: Text | None = S(
        "Convert uploads to this format before storing (e.g. jpg).", Wire.STRING
    )
    allowed_formats: Formats | None = S(
        "File formats accepted for upload; others are rejected. Essential for unsigned presets.",
        Wire.CSV,
    )
    transformation: TransformationField | None = S(
        "Incoming transformation applied before the asset is stored.", Wire.TRANSFORMATION
    )
    eager: Eager | None = S("Transformations generated eagerly at upload time.", Wire.EAGER)
    eager_async: bool | None = S("Generate eager transformations in the background.", Wire.BOOL)
    eager_notification_url: HttpUrl | None = S(
        "URL notified when eager transformations are ready (https).", Wire.STRING, value="url"
    )
    responsive_breakpoints: list[Breakpoints] | None = S(
        "Responsive breakpoints to generate.", Wire.JSON, min_length=1
    )
    quality_override: Text | None = S(
        "Quality to use for this asset instead of q_auto's choice.", Wire.STRING
    )
    raw_convert: RawConvert | None = S(
        "Generate a related file: aspose, google_speech[:vtt|:srt][:lang], extract_text, "
        "azure_video_indexer.",
        Wire.STRING,
    )
    backup: bool | None = S("Back up uploaded assets.", Wire.BOOL)
    invalidate: bool | None = S("Invalidate CDN copies when an asset is overwritten.", Wire.BOOL)
    headers: Headers | None = S(
        "HTTP headers added when delivering the asset (Link, Authorization, X-Robots-Tag).",
        Wire.HEADERS,
    )

    # Labels and metadata.
    tags: Tags | None = S("Tags added to every upload.", Wire.CSV)
    context: Context | None = S("Contextual metadata (key: value).", Wire.KEY_VALUE)
    metadata: Metadata | None = S(
        "Structured metadata (external field id: value, or a list for multi-select fields).",
        Wire.KEY_VALUE,
    )
    face_coordinates: Coordinates | None = S(
        "Face boxes [x, y, width, height] for face-based cropping.", Wire.COORDINATES
    )
    custom_coordinates: Coordinates | None = S(
        "Custom boxes [x, y, width, height] for custom-gravity cropping.", Wire.COORDINATES
    )
    regions: (
        dict[
            Annotated[str, Field(pattern=_REGION_NAME)],
            list[Annotated[list[int], Field(min_length=2, max_length=2)]],
        ]
        | None
    ) = S(
        "Named regions: name -> list of [x, y] points.",
        Wire.JSON,
        min_length=1,
        # pydantic writes only patternProperties, which lets other names through
        json_schema_extra={"propertyNames": {"pattern": _REGION_NAME}},
    )

    # Analysis and add-ons.
    moderation: ModerationField | None = S(
        "Moderation: one moderator or a chain (manual last). Rekognition kinds take per-category "
        "thresholds.",
        Wire.MODERATION,
    )
    categorization: Categorization | None = S(
        "Categorization add-ons to run (e.g. aws_rek_tagging, google_tagging).", Wire.CSV
    )
    auto_tagging: UnitInterval | None = S(
        "Add tags for detected categories with confidence above this value (0..1).", Wire.NUMBER
    )
    detection: Text | None = S(
        "Detection add-on to run (e.g. coco_v2, captioning, adv_face, aws_rek_face).", Wire.STRING
    )
    ocr: Literal["adv_ocr"] | None = S("OCR text extraction add-on (adv_ocr).", Wire.STRING)
    background_removal: Literal["cloudinary_ai", "remove_the_background", "pixelz"] | None = S(
        "Background removal add-on.", Wire.STRING
    )
    auto_transcription: AutoTranscriptionField | None = S(
        "Generate a video transcript (optionally translated).", Wire.JSON
    )
    auto_chaptering: bool | None = S("Generate video chapters.", Wire.BOOL)
    faces: bool | None = S("Detect faces.", Wire.BOOL)
    colors: bool | None = S("Return predominant colors.", Wire.BOOL)
    image_metadata: bool | None = S(
        "Return image metadata (deprecated by Cloudinary: use media_metadata).", Wire.BOOL
    )
    media_metadata: bool | None = S("Return IPTC, XMP and Exif metadata.", Wire.BOOL)
    exif: bool | None = S(
        "Return Exif metadata (deprecated by Cloudinary: use media_metadata).", Wire.BOOL
    )
    phash: bool | None = S("Return the perceptual hash.", Wire.BOOL)
    quality_analysis: bool | None = S("Return a quality (focus) score.", Wire.BOOL)
    accessibility_analysis: bool | None = S("Return accessibility analysis.", Wire.BOOL)
    cinemagraph_analysis: bool | None = S("Return a cinemagraph score.", Wire.BOOL)
    visual_search: bool | None = S("Index images for visual search.", Wire.BOOL)
    similarity_search: bool | None = S("Index images for similarity search.", Wire.BOOL)
    clear_invalid: bool | None = S(
        "Clear invalid structured metadata values instead of failing.", Wire.BOOL
    )

    # Behaviour and hooks.
    notification_url: HttpUrl | None = S(
        "URL notified when an upload completes (use https; query tokens are redacted in plans).",
        Wire.STRING,
        value="url",
    )
    callback: HttpUrl | None = S(
        "Browser redirect URL after a form upload.", Wire.STRING, value="url"
    )
    proxy: HttpUrl | None = S(
        "Proxy used to fetch remote URLs (http://host:port).", Wire.STRING, value="url"
    )
    return_delete_token: bool | None = S("Return a deletion token valid for 10 minutes.", Wire.BOOL)
    async_: bool | None = S(
        "Return immediately and upload in the background.", Wire.BOOL, alias="async"
    )
    eval: Text | None = S(
        "JavaScript run by Cloudinary on every upload to modify parameters (security-sensitive; "
        "redacted in plans).",
        Wire.STRING,
        value="code",
    )
    on_success: Text | None = S(
        "JavaScript run by Cloudinary after a successful upload (security-sensitive; redacted in "
        "plans).",
        Wire.STRING,
        value="code",
    )


def wire_kind(field_name: str) -> Wire:
    """The wire encoding of a settings field (from its ``x-wire`` marker)."""
    extra = Settings.model_fields[field_name].json_schema_extra
    assert isinstance(extra, dict)
    return Wire(extra["x-wire"])


#: upload parameter name (the YAML/wire key) -> settings attribute
SETTING_KEYS: dict[str, str] = {
    (info.alias or name): name for name, info in Settings.model_fields.items()
}
#: settings attribute -> upload parameter name (``async_`` -> ``async``)
_PARAMETER_OF: dict[str, str] = {name: key for key, name in SETTING_KEYS.items()}
_WIRE_KINDS: dict[Wire, ValueKind] = {
    Wire.STRING: PLAIN,
    Wire.BOOL: PLAIN,
    Wire.NUMBER: NUMBER,
    Wire.CSV: UNORDERED,
    Wire.KEY_VALUE: MAP,
    Wire.HEADERS: HEADERS,
    Wire.TRANSFORMATION: TEXT,
    Wire.EAGER: EAGER,
    Wire.MODERATION: MODERATION,
    Wire.COORDINATES: PLAIN,
    Wire.JSON: STRUCTURED,
}


def raw_kind(key: str) -> ValueKind:
    """How a raw value in ``extra_settings`` compares and shows: a modelled setting kept
    raw is still redacted the way the setting is (``eval`` code, ``headers``, URLs)."""
    setting = SETTING_KINDS.get(key)
    return RawKind(setting) if setting in (CODE, HEADERS, URL) else RAW


def _value_kind(info: FieldInfo) -> ValueKind:
    extra = info.json_schema_extra
    assert isinstance(extra, dict)
    named = extra.get("x-value")
    return NAMED_KINDS[str(named)] if named else _WIRE_KINDS[Wire(extra["x-wire"])]


#: upload parameter -> how its value is compared and shown
SETTING_KINDS: dict[str, ValueKind] = {
    key: _value_kind(Settings.model_fields[attr]) for key, attr in SETTING_KEYS.items()
}
#: parameters that sit at the top level of a preset file
PRESET_LEVEL_KEYS = ("unsigned", "disallow_public_id", "live", "parameter_whitelist")
#: every upload parameter a preset may carry (for parameter_whitelist and suggestions)
UPLOAD_PARAMETERS: frozenset[str] = frozenset(SETTING_KEYS) | {"public_id", "upload_preset"}

#: what an upload parameter's name looks like (others are kept, and linted)
PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
#: any key Cloudinary could store: 1 to 255 characters (invisible and control characters
#: are refused everywhere in a definition, see model/characters.py)
_EXTRA_KEY = re.compile(r"^.{1,255}$", re.DOTALL)
#: preset-level keys that may be kept raw in extra_settings (``unsigned`` and ``name`` never)
RAW_LEVEL_KEYS = ("disallow_public_id", "live", "parameter_whitelist")


def _validate_whitelist(value: Any, info: ValidationInfo) -> list[str] | str:
    if value == "none":
        return "none"
    items = string_list("parameter names")(value, info)
    if not validation_context(info).get("remote"):
        for i, item in enumerate(items):
            if item not in UPLOAD_PARAMETERS:
                raise field_error(
                    f"unknown upload parameter {shorten(item)}"
                    f"{suggest(item, sorted(UPLOAD_PARAMETERS))}",
                    (i,),
                )
    return items


ParameterWhitelist = Annotated[
    list[str] | str,
    Custom(
        _validate_whitelist,
        {
            "anyOf": [
                {"const": "none"},
                {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": sorted(UPLOAD_PARAMETERS)},
                },
            ]
        },
        lambda v: v,
    ),
]


#: what Preset._extra_not_modelled checks for local files, for the JSON Schema
_EXTRA_KEYS_SCHEMA: dict[str, Any] = {
    "propertyNames": {"pattern": _EXTRA_KEY.pattern, "not": {"enum": ["name", "unsigned"]}}
}


class Preset(StrictModel):
    """One upload preset, as written in ``presets/<name>.yaml``."""

    name: PresetName = Field(
        description="The preset's name in Cloudinary (1 to 255 of A-Z a-z 0-9 _ -). Applications "
        "upload with this name."
    )
    description: Text | None = Field(
        None, description="What the preset is for. Local only: never sent to Cloudinary."
    )
    unsigned: bool = Field(
        False,
        description="Allow unsigned uploads (browsers, widgets). Anyone who knows the name can "
        "upload: restrict formats and moderate.",
    )
    disallow_public_id: bool = Field(
        False,
        description="Refuse a public_id chosen by the uploader (relevant for unsigned presets).",
    )
    live: bool | None = Field(None, description="Use the preset for live streaming.")
    parameter_whitelist: ParameterWhitelist | None = Field(
        None,
        description="Upload parameters a caller may pass with this preset ('none' for none). "
        "Unverified encoding: checked after apply.",
    )
    protect: bool = Field(
        False,
        description="Local only: a plan may never delete this preset (like Terraform's "
        "prevent_destroy).",
    )
    ignore_lints: list[str] = Field(
        default_factory=list,
        description="Policy lint ids silenced for this preset, e.g. [unsigned-without-moderation].",
    )
    settings: Settings = Field(
        default_factory=Settings, description="Cloudinary upload parameters applied by the preset."
    )
    extra_settings: dict[str, RawValue] = Field(
        default_factory=dict,
        description="Raw wire values for Cloudinary parameters this tool does not model yet; sent "
        "as given.",
        json_schema_extra=_EXTRA_KEYS_SCHEMA,
    )

    @field_validator("extra_settings")
    @classmethod
    def _extra_not_modelled(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if validation_context(info).get("remote"):
            return value
        for key in value:
            if not _EXTRA_KEY.match(key):
                raise field_error(
                    f"{shorten(key)} is not a parameter name (1 to 255 characters)",
                    (key,),
                    key=True,
                )
            if key in ("name", "unsigned"):
                raise field_error(
                    f"`{key}` is a top-level key of the preset, not an extra setting",
                    (key,),
                    key=True,
                )
        return value

    @model_validator(mode="after")
    def _not_given_twice(self, info: ValidationInfo) -> Preset:
        """A raw value for a modelled setting stands in for it: never both."""
        for key in self.extra_settings:
            attr = SETTING_KEYS.get(key)
            twice = (attr is not None and getattr(self.settings, attr) is not None) or (
                key in RAW_LEVEL_KEYS and key in self.model_fields_set
            )
            if twice:
                where = f"settings.{key}" if attr is not None else key
                raise field_error(
                    f"`{key}` is given twice: as {where} and as a raw value in extra_settings; "
                    "keep one",
                    ("extra_settings", key),
                    key=True,
                )
        return self

    def settings_dict(self) -> dict[str, Any]:
        """The settings that are set, keyed by upload parameter name (``async``, not ``async_``).

        Reads the model's field values directly (``__dict__``, in field order): iterating the
        model and looking up each field's alias cost half of every comparison.
        """
        parameter = _PARAMETER_OF
        return {
            parameter[name]: value
            for name, value in self.settings.__dict__.items()
            if value is not None
        }

    # -- comparison ------------------------------------------------------------------

    def compared_fields(self) -> Iterator[tuple[str, str | None, ValueKind, Any]]:
        """Every remote-relevant field that is set: (section, key in it, kind, value).

        Top-level fields have no key (``("unsigned", None, ...)``); settings and raw extra
        settings do (``("settings", "folder", ...)``). Local-only fields (``name``,
        ``description``, ``protect``, ``ignore_lints``) are not part of what Cloudinary
        stores, so they never make a difference.
        """
        yield "unsigned", None, PLAIN, self.unsigned
        yield "disallow_public_id", None, PLAIN, self.disallow_public_id
        if self.live:  # false and absent are one state: not a live-streaming preset
            yield "live", None, PLAIN, self.live
        if self.parameter_whitelist is not None:
            yield "parameter_whitelist", None, UNORDERED, self.parameter_whitelist
        for key, value in self.settings_dict().items():
            yield "settings", key, SETTING_KINDS[key], value
        for key, value in self.extra_settings.items():  # never blank: validation refuses it
            yield "extra_settings", key, raw_kind(key), value

    def canonical(self) -> dict[str, Any]:
        """The remote-relevant content, normalised: equal presets are equal however they were
        written or echoed (tag order, ``0.7`` vs ``0.70``, ``true`` vs ``"1"``)."""
        out: dict[str, Any] = {}
        for section, key, kind, value in self.compared_fields():
            if key is None:
                out[section] = kind.canonical(value)
            else:
                out.setdefault(section, {})[key] = kind.canonical(value)
        return out

    def fingerprint(self) -> str:
        """``sha256:<hex>`` of the canonical form: equal presets have equal fingerprints."""
        return fingerprint_of(self.canonical())


def fingerprint_of(canonical: dict[str, Any]) -> str:
    """:meth:`Preset.fingerprint` of an already computed canonical form."""
    return fingerprint_of_json(canonical_json(canonical))


def fingerprint_of_json(text: str) -> str:
    """:meth:`Preset.fingerprint` of an already serialised canonical form."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def is_default_value(path: str, value: Any) -> bool:
    """True when ``value`` at ``path`` is what the preset has when its file says nothing:
    ``unsigned: false``, ``disallow_public_id: false`` (settings default to unset)."""
    info = Preset.model_fields.get(path)
    default = info.default if info is not None else None
    return isinstance(default, bool) and value is default


def preset_changes(before: Preset | None, after: Preset | None) -> list[FieldChange]:
    """Every field difference between two presets (either may be absent), typed, in path
    order, each with its meaning and, where it weakens who can upload, its security note."""
    scope = Scope.NEW if before is None else Scope.GONE if after is None else Scope.EXISTING
    b = _by_path(before)
    a = _by_path(after)
    changes: list[FieldChange] = []
    for path in sorted(set(b) | set(a)):
        kind = (a.get(path) or b[path])[0]
        old = b[path][1] if path in b else None
        new = a[path][1] if path in a else None
        changes.extend(kind.changes(path, old, new, scope=scope))
    if after is not None and after.unsigned:
        changes = [_exposure(change, before) for change in changes]
    return changes


def _by_path(preset: Preset | None) -> dict[str, tuple[ValueKind, Any]]:
    """A preset's compared fields by rooted path (``settings.folder``)."""
    if preset is None:
        return {}
    return {
        section if key is None else f"{section}.{key}": (kind, value)
        for section, key, kind, value in preset.compared_fields()
    }


def _exposure(change: FieldChange, before: Preset | None) -> FieldChange:
    """A change of an unsigned preset, with what it exposes when it does."""
    note = _exposure_note(change, before)
    return replace(change, security=note) if note else change


def _exposure_note(change: FieldChange, before: Preset | None) -> str:
    """What a change means for an unsigned preset, where anyone who knows the name uploads.

    ``unsigned`` changes only when the preset is new or becomes unsigned, and
    ``disallow_public_id`` (always compared, true or false) only when it flips."""
    if change.path == "unsigned":
        return (
            "becomes unsigned: anyone who knows the name can upload"
            if before is not None
            else "new unsigned preset: anyone who knows the name can upload"
        )
    if before is None:
        return ""
    if change.path == "settings.allowed_formats" and change.after is None:
        return "unsigned preset loses allowed_formats: any file type is accepted"
    if change.path == "settings.moderation" and change.after is None:
        return "unsigned preset loses moderation: anonymous uploads go unreviewed"
    if change.path == "disallow_public_id" and change.before is True:
        return "unsigned preset lets uploaders choose public IDs again"
    return ""
