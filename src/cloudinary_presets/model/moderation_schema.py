"""The JSON Schema of the moderation setting: every shape the parser takes.

Written by hand (the parser is code, not a model) and kept in step with it by
``tests/definitions/test_defs_schema.py``. One difference is deliberate: a schema cannot
say "within two edits of a known category", so it accepts any category name of the
right form and lists the known ones for editors to complete; the parser refuses typos.
"""

from __future__ import annotations

from typing import Any

from cloudinary_presets.model.moderation import (
    GOOGLE_LEVELS,
    KINDS,
    MAX_CHAIN,
    RAW,
    REKOGNITION_KINDS,
    TAXONOMY,
)
from cloudinary_presets.model.taxonomy import CATEGORIES, VERSIONS

_NAME = "[a-z0-9][a-z0-9_]*"


def moderation_schema() -> dict[str, Any]:
    """The schema of ``settings.moderation``."""
    threshold = {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            {"const": "ignore"},
        ]
    }
    rekognition = {
        "type": ["object", "null"],
        "properties": {
            TAXONOMY: {
                "enum": list(VERSIONS),
                "description": "Which Rekognition taxonomy the category names come from "
                "(model 6.1 or 7). Local only: checks the names, never sent.",
            }
        },
        "propertyNames": {"anyOf": [{"enum": sorted(CATEGORIES)}, {"pattern": f"^{_NAME}$"}]},
        "additionalProperties": threshold,
    }
    # plain decimals (what moderation.py accepts in wire strings): 0 < t <= 1, and 0 <= d <= 1
    thr = r"(?:ignore|0*\.[0-9]*[1-9][0-9]*|0*1(?:\.0*)?)"
    unit = r"(?:0+(?:\.[0-9]*)?|\.[0-9]+|0*1(?:\.0*)?)"
    automatic = (
        rf"(?:webpurify|perception_point|(?:aws_rek|aws_rek_video)(?::{_NAME}:{thr})*"
        rf"|google_video_moderation(?::(?:{'|'.join(GOOGLE_LEVELS)}))?"
        rf"|duplicate:{unit})"
    )
    # a category given twice inside one Rekognition moderator (aws_rek:a:0.5:a:0.7)
    repeated_category = {"pattern": r":(?!ignore:)([a-z0-9_]+):[^|]*:\1:"}
    # a moderator kind given twice in a wire chain (webpurify|webpurify)
    repeated_kind = {"pattern": r"(?:^|\|)([a-z_]+)(?::[^|]*)?\|(?:[^|]*\|)*\1(?::|\||$)"}
    moderator: dict[str, Any] = {
        "anyOf": [
            {"enum": [k for k in KINDS if k != "duplicate"]},
            {"type": "string", "pattern": rf"^{automatic}$", "not": repeated_category},
            *(
                {
                    "type": "object",
                    "required": [k],
                    "additionalProperties": False,
                    "properties": {k: {"x-ref": "RekognitionThresholds"}},
                }
                for k in REKOGNITION_KINDS
            ),
            {
                "type": "object",
                "required": ["duplicate"],
                "additionalProperties": False,
                "properties": {"duplicate": {"type": "number", "minimum": 0, "maximum": 1}},
            },
            {
                "type": "object",
                "required": ["google_video_moderation"],
                "additionalProperties": False,
                "properties": {"google_video_moderation": {"enum": list(GOOGLE_LEVELS)}},
            },
            {
                "type": "object",
                "required": [RAW],
                "additionalProperties": False,
                "properties": {
                    RAW: {
                        "type": "string",
                        "minLength": 1,
                        "description": "A moderator (or chain) exactly as Cloudinary stores "
                        "it, sent verbatim and not checked (what import writes for a "
                        "moderator this tool does not know, such as metascan).",
                    }
                },
            },
        ]
    }
    wire_chain = {
        "type": "string",
        "pattern": rf"^(?:{automatic}\|)+(?:{automatic}|manual)$",
        "not": {"anyOf": [repeated_category, repeated_kind]},
    }
    not_manual = {"not": {"const": "manual"}}
    chain = {
        "type": "array",
        "minItems": 1,
        "maxItems": MAX_CHAIN,
        "items": {"x-ref": "Moderator"},
        # manual only last: for each length, every item before the last is not manual
        "anyOf": [
            {"maxItems": n, **({"prefixItems": [not_manual] * (n - 1)} if n > 1 else {})}
            for n in range(1, MAX_CHAIN + 1)
        ],
        # each kind at most once
        "allOf": [
            {
                "not": {
                    "minContains": 2,
                    "contains": {
                        "anyOf": [
                            {"const": k},
                            {"type": "string", "pattern": f"^{k}:"},
                            {"type": "object", "required": [k]},
                        ]
                    },
                }
            }
            for k in KINDS
        ],
    }
    return {
        "anyOf": [{"x-ref": "Moderator"}, wire_chain, chain],
        "description": "One moderator, or a chain run in order (manual last): manual, "
        "webpurify, perception_point, {aws_rek: {category: threshold|ignore}} (optionally "
        "with taxonomy: v6|v7), {aws_rek_video: ...}, {duplicate: 0..1}, "
        "google_video_moderation, the raw wire string aws_rek:explicit_nudity:0.7|manual, or "
        "{raw: ...} for a moderator kept verbatim.",
        "x-defs": {"Moderator": moderator, "RekognitionThresholds": rekognition},
    }
