"""The emulator decides Rekognition model 7 labels (three levels) with the shared rule.

Labels are registered over the control API in Rekognition's own shape (``Name``,
``ParentName``, ``TaxonomyLevel``) or Cloudinary's (``name``, ``parent_name``), images
are uploaded with the official SDK, and the decisions are read back from the Admin API
once they land (asynchronously, as Cloudinary's current docs describe).
"""

from __future__ import annotations

import base64
from typing import Any

import cloudinary.uploader as uploader
import pytest

from cloudinary_presets.emulator import Emulator

NX = "Non-Explicit Nudity of Intimate parts and Kissing"
NX_KEY = "non_explicit_nudity_of_intimate_parts_and_kissing"

#: a bare back, as Rekognition 7.0 labels it: the L3 label and its ancestors
BARE_BACK = [
    {"Name": "Bare Back", "ParentName": "Non-Explicit Nudity", "Confidence": 93.0,
     "TaxonomyLevel": 3},
    {"Name": "Non-Explicit Nudity", "ParentName": NX, "Confidence": 93.0, "TaxonomyLevel": 2},
    {"Name": NX, "ParentName": "", "Confidence": 93.0, "TaxonomyLevel": 1},
]  # fmt: skip
#: only the third-level label, as Cloudinary echoes it (no level): the taxonomy supplies
#: its parent and grandparent
GENITALIA_ONLY = [{"name": "Exposed Male Genitalia", "parent_name": "", "confidence": 71.0}]


def register(client: Any, content: bytes, labels: list[dict[str, object]]) -> None:
    body = {"content_base64": base64.b64encode(content).decode("ascii"), "labels": labels}
    response = client.control("POST", "/labels", json=body)
    assert response.status_code == 200, response.text


def decision(decided: Any, content: bytes, moderation: str) -> str:
    result = uploader.upload(content, moderation=moderation)
    details = decided(result["public_id"])
    return str(details["moderation"][0]["status"])


@pytest.mark.parametrize(
    ("labels", "moderation", "expected"),
    [
        # Rekognition's shape, every level
        (BARE_BACK, "aws_rek", "rejected"),  # no entry: the default 0.5
        (BARE_BACK, f"aws_rek:{NX_KEY}:0.95", "approved"),  # the top level judges L2 and L3
        (BARE_BACK, f"aws_rek:{NX_KEY}:0.9", "rejected"),
        (BARE_BACK, f"aws_rek:{NX_KEY}:ignore", "approved"),  # ignore on L1 covers them all
        (BARE_BACK, f"aws_rek:{NX_KEY}:ignore:non_explicit_nudity:0.9", "rejected"),  # nearer
        (BARE_BACK, f"aws_rek:{NX_KEY}:ignore:bare_back:0.9", "rejected"),
        (BARE_BACK, f"aws_rek:{NX_KEY}:ignore:non_explicit_nudity:ignore:bare_back:0.95",
         "approved"),
        (BARE_BACK, "aws_rek:suggestive:0.99", "rejected"),  # a v6 entry is no ancestor
        # a third-level label alone, in Cloudinary's shape: the taxonomy supplies the chain
        (GENITALIA_ONLY, "aws_rek:explicit:0.7", "rejected"),  # the grandparent
        (GENITALIA_ONLY, "aws_rek:explicit:0.75", "approved"),
        (GENITALIA_ONLY, "aws_rek:explicit:0.2:explicit_nudity:0.75", "approved"),  # nearer
        (GENITALIA_ONLY, "aws_rek:explicit:ignore", "approved"),
        (GENITALIA_ONLY, "aws_rek:explicit:ignore:exposed_male_genitalia:0.7", "rejected"),
    ],
)  # fmt: skip
def test_three_levels_and_both_label_shapes(
    labels, moderation, expected, sdk: Emulator, client, files, decided
) -> None:
    content = files.png(note=f"{labels[0]} {moderation}")
    register(client, content, labels)
    assert decision(decided, content, moderation) == expected


def test_a_preset_with_model_7_thresholds_decides_uploads(
    sdk: Emulator, client, files, decided
) -> None:
    """The preset as this tool writes it: v7 top-level names, one category ignored."""
    import cloudinary.api as api

    api.create_upload_preset(
        name="ugc",
        moderation=f"aws_rek:explicit:0.6:{NX_KEY}:0.8:swimwear_or_underwear:ignore",
    )
    beach = files.png(note="beach")
    register(client, beach, [
        {"Name": "Female Swimwear or Underwear", "ParentName": "Swimwear or Underwear",
         "Confidence": 99.0, "TaxonomyLevel": 2},
        {"Name": "Swimwear or Underwear", "ParentName": "", "Confidence": 99.0,
         "TaxonomyLevel": 1},
    ])  # fmt: skip
    back = files.png(note="back")
    register(client, back, BARE_BACK)
    statuses = {}
    for name, content in (("beach", beach), ("back", back)):
        result = uploader.upload(content, upload_preset="ugc")
        statuses[name] = decided(result["public_id"])["moderation"][0]["status"]
    assert statuses == {"beach": "approved", "back": "rejected"}
