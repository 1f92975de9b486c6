"""Realistic, varied preset definitions and small PNGs for the benchmarks.

Eight families modelled on real upload presets (avatars, catalogue photos, moderated
UGC, documents, video, marketing banners, thumbnails, archives), each varied by the
index: different folders, tags, formats, thresholds, transformations, comments and key
order. ``preset_yaml(i)`` is what a person would write in ``presets/<name>.yaml``;
``remote_body(i)`` is the create body Cloudinary would hold for the same preset (the
official encoding, via ``cloudinary_presets.cloudinary.codec.encode``), so a plan of the same
index is "unchanged" and ``changed=True`` makes it an update. ``sdk_document(i)`` is the
same preset as the careful SDK user writes it (``careful_sdk.py``): the SDK's keyword
arguments as natural YAML.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from functools import cache
from pathlib import Path
from typing import Any

FAMILIES = ("avatar", "catalog", "ugc", "docs", "video", "banner", "thumb", "archive")
_FORMATS = ["jpg", "png", "webp", "gif", "avif", "tiff", "heic"]
_CATEGORIES = [
    "explicit_nudity",
    "suggestive",
    "violence",
    "visually_disturbing",
    "graphic_violence_or_gore",
    "drugs",
    "hate_symbols",
]
_CROPS = ["fill", "limit", "fit", "scale", "thumb", "pad"]
_GRAVITY = ["auto", "face", "center", "north"]


def name_of(i: int) -> str:
    return f"{FAMILIES[i % len(FAMILIES)]}-{i:05d}"


def _rng(i: int) -> random.Random:
    return random.Random(i * 7919 + 17)


def _threshold(rng: random.Random) -> str:
    return rng.choice(["0.5", "0.6", "0.7", "0.75", "0.8", "0.9", "ignore"])


def preset_yaml(i: int, *, changed: bool = False) -> str:
    """One preset file's text: comments, flow and block style, nested maps, like people write."""
    rng = _rng(i)
    family = FAMILIES[i % len(FAMILIES)]
    name = name_of(i)
    size = rng.choice([256, 512, 640, 800, 1024, 2000])
    formats = rng.sample(_FORMATS[:4], rng.randint(2, 4))
    lines = [
        "# yaml-language-server: $schema=../schemas/preset.schema.json",
        f"name: {name}",
        f"description: {family} uploads for team {rng.randint(1, 40)} (benchmark preset).",
    ]
    tag = f"team-{rng.randint(1, 40)}" if not changed else f"team-{rng.randint(1, 40)}-changed"
    if family == "avatar":
        lines += [
            "unsigned: true",
            "disallow_public_id: true",
            "settings:",
            f"  asset_folder: avatars/{rng.randint(1, 99)}",
            f"  tags: [avatar, {tag}]",
            f"  allowed_formats: [{', '.join(formats)}]",
            f"  transformation: c_fill,g_face,h_{size},w_{size}",
            "  moderation: aws_rek               # default threshold for every category",
        ]
    elif family == "catalog":
        lines += [
            "settings:",
            f"  asset_folder: products/{rng.choice(['shoes', 'bags', 'hats', 'coats'])}",
            "  use_filename: true",
            "  unique_filename: false",
            f"  overwrite: {str(rng.random() < 0.8).lower()}",
            "  invalidate: true",
            f"  tags: [product, {tag}]",
            f"  allowed_formats: [{', '.join(formats)}]",
            "  transformation:",
            f"    - {{crop: limit, width: {size * 2}, height: {size * 2}}}",
            "    - {quality: auto}",
            "  eager:",
            f"    - c_fill,g_auto,h_{size},w_{size}/webp",
            f"    - transformation: [{{crop: thumb, gravity: auto, width: {size // 4}, "
            f"height: {size // 4}}}]",
            "      format: jpg",
            "  eager_async: true",
            f"  eager_notification_url: https://hooks.example.com/cloudinary/eager/{i}",
        ]
    elif family == "ugc":
        cats = rng.sample(_CATEGORIES, rng.randint(2, 5))
        lines += [
            "unsigned: false",
            "settings:",
            f"  folder: ugc/{rng.randint(1, 20)}",
            f"  tags: [ugc, moderated, {tag}]",
            f"  allowed_formats: [{', '.join(formats)}]",
            f"  context: {{source: ugc, app: app{rng.randint(1, 9)}}}",
            f"  transformation: c_limit,h_{size * 2},w_{size * 2}",
            "  moderation:",
            "    - aws_rek:",
            *[f"        {c}: {_threshold(rng)}" for c in cats],
            "    - manual                        # a person reviews what the machine approved",
            f"  notification_url: https://hooks.example.com/cloudinary/moderation?team={i % 40}",
        ]
    elif family == "docs":
        lines += [
            "settings:",
            f"  folder: documents/{rng.choice(['invoices', 'contracts', 'manuals'])}",
            "  use_filename: true",
            "  unique_filename: true",
            "  type: private",
            f"  tags: [docs, {tag}]",
            "  allowed_formats: [pdf, docx, txt]",
            "  raw_convert: extract_text",
            "  backup: true",
            "  context:",
            f"    owner: legal-{rng.randint(1, 9)}",
            "    retention: 7y",
        ]
    elif family == "video":
        lines += [
            "settings:",
            f"  asset_folder: video/{rng.randint(1, 30)}",
            f"  tags: [video, {tag}]",
            "  allowed_formats: [mp4, mov, webm]",
            f"  eager: [sp_{rng.choice(['hd', 'full_hd', 'sd'])}/m3u8]",
            "  eager_async: true",
            "  auto_chaptering: true",
            "  auto_transcription:",
            f"    translate: [{', '.join(rng.sample(['fr', 'de', 'es', 'it', 'ja'], 2))}]",
            "  moderation: aws_rek_video",
            f"  notification_url: https://hooks.example.com/video/{i}",
        ]
    elif family == "banner":
        lines += [
            "settings:",
            "  folder: marketing/banners",
            f"  public_id_prefix: campaign-{rng.randint(2019, 2025)}",
            f"  tags: [banner, marketing, {tag}]",
            f"  allowed_formats: [{', '.join(formats)}]",
            f"  transformation: c_fill,g_{rng.choice(_GRAVITY)},h_{size // 2},w_{size}/q_auto:good",
            f"  categorization: [{rng.choice(['google_tagging', 'aws_rek_tagging'])}]",
            f"  auto_tagging: 0.{rng.randint(5, 9)}",
            "  headers:",
            "    X-Robots-Tag: noindex",
        ]
    elif family == "thumb":
        lines += [
            "unsigned: true",
            "settings:",
            "  folder: thumbnails",
            f"  tags: [thumb, {tag}]",
            f"  allowed_formats: [{', '.join(formats)}]",
            f"  transformation: c_{rng.choice(_CROPS)},h_{size // 4},w_{size // 4}/f_auto,q_auto",
            "  moderation:",
            "    - aws_rek:",
            f"        explicit_nudity: {_threshold(rng)}",
            "  faces: true",
            "  colors: true",
        ]
    else:  # archive
        lines += [
            "protect: true                      # never deleted by a plan",
            "settings:",
            f"  folder: archive/{rng.randint(2000, 2025)}",
            "  use_filename: true",
            "  backup: true",
            "  overwrite: false",
            f"  tags: [archive, {tag}]",
            "  media_metadata: true",
            "  phash: true",
        ]
    return "\n".join(lines) + "\n"


@cache
def _preset(i: int, changed: bool) -> Any:
    from cloudinary_presets.definitions.loader import validation_context
    from cloudinary_presets.definitions.strict_yaml import parse
    from cloudinary_presets.model.preset import Preset

    doc = parse(preset_yaml(i, changed=changed), f"{name_of(i)}.yaml")
    return Preset.model_validate(doc.data, context=validation_context())


def preset(i: int, *, changed: bool = False) -> Any:
    """The validated :class:`~cloudinary_presets.model.preset.Preset` of ``preset_yaml(i)``."""
    return _preset(i, changed)


def remote_body(i: int, *, changed: bool = False, prefix: str = "") -> dict[str, Any]:
    """The create body (wire form) Cloudinary would store for preset ``i``."""
    from cloudinary_presets.cloudinary.codec import encode

    return encode(preset(i, changed=changed), name=prefix + name_of(i))


def write_tree(root: Path, indexes: range | list[int], *, changed: set[int] | None = None) -> Path:
    """A project: ``root/presets/<family>/<name>.yaml`` plus a config with wide safety limits."""
    changed = changed or set()
    presets = root / "presets"
    for family in FAMILIES:
        (presets / family).mkdir(parents=True, exist_ok=True)
    for i in indexes:
        path = presets / FAMILIES[i % len(FAMILIES)] / f"{name_of(i)}.yaml"
        path.write_text(preset_yaml(i, changed=i in changed), encoding="utf-8")
    (root / "cloudinary-presets.yaml").write_text(
        "presets_dir: presets\nsafety:\n  max_update_percent: 100\n  max_delete_percent: 100\n",
        encoding="utf-8",
    )
    return root


def many_tags_yaml(count: int) -> str:
    """One preset with ``count`` distinct tags in one flow list (100,000: about 700 KB).

    The worst case for a per-value check that is not linear: issue 12 found 100,000 tags
    taking 138 s when the duplicate check searched a list.
    """
    tags = ", ".join(f"t{i:x}" for i in range(count))
    return f"name: many-tags\nsettings:\n  tags: [{tags}]\n"


def write_many_tags(root: Path, count: int) -> Path:
    """``root/presets/many-tags.yaml`` (see :func:`many_tags_yaml`); returns the folder."""
    presets = root / "presets"
    presets.mkdir(parents=True, exist_ok=True)
    (presets / "many-tags.yaml").write_text(many_tags_yaml(count), encoding="utf-8")
    return presets


def png(i: int, width: int = 16, height: int = 16) -> bytes:
    """A small valid RGB PNG whose pixels depend on ``i`` (every file has its own hash)."""
    rng = random.Random(i)
    rows = b"".join(
        b"\x00" + bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sdk_document(i: int, *, changed: bool = False) -> dict[str, Any]:
    """Preset ``i`` as ``create_upload_preset`` keyword arguments, the way a person writes
    them in YAML: booleans, lists, maps and numbers instead of the wire's strings, where
    the SDK encodes them (it sends a ``categorization`` list as is, and Cloudinary refuses it)."""
    from cloudinary_presets.model.fields import Wire
    from cloudinary_presets.model.preset import SETTING_KEYS, wire_kind

    document: dict[str, Any] = {}
    for key, value in remote_body(i, changed=changed).items():
        kind = wire_kind(SETTING_KEYS[key]) if key in SETTING_KEYS else None
        if kind is Wire.BOOL:
            value = value == "1"
        elif kind is Wire.CSV and key in ("tags", "allowed_formats"):  # what the SDK joins
            value = value.split(",")
        elif kind is Wire.EAGER:
            value = value.split("|")
        elif kind is Wire.KEY_VALUE:
            value = dict(pair.split("=", 1) for pair in value.split("|"))
        elif kind is Wire.JSON:
            value = json.loads(value)
        elif kind is Wire.NUMBER:
            value = float(value)
        elif key == "transformation":  # the SDK reads a `transformation` string as a name
            key = "raw_transformation"
        document[key] = value
    return document


def write_sdk_tree(
    root: Path, indexes: range | list[int], *, changed: set[int] | None = None
) -> Path:
    """The careful SDK user's definitions: ``root/<family>/<name>.yaml``, one per preset."""
    import yaml

    changed = changed or set()
    for family in FAMILIES:
        (root / family).mkdir(parents=True, exist_ok=True)
    for i in indexes:
        text = yaml.safe_dump(
            sdk_document(i, changed=i in changed),
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=None,
        )
        path = root / FAMILIES[i % len(FAMILIES)] / f"{name_of(i)}.yaml"
        path.write_text(f"# upload preset {name_of(i)} (create_upload_preset arguments)\n{text}")
    return root
