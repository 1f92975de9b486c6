"""``parameter_whitelist`` (model/preset.py): ``none``, or upload parameters this tool
knows; a remote preset keeps whatever Cloudinary stores."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloudinary_presets.definitions.loader import text_problems
from cloudinary_presets.model.preset import Preset


def problems(whitelist: str) -> list[tuple[int, int, str, str]]:
    text = f"name: p\nparameter_whitelist: {whitelist}\n"
    return [
        (p.location.line, p.location.column, p.path, p.message)
        for p in text_problems(text, "p.yaml")
    ]


def test_none_and_known_parameters_are_accepted():
    assert problems("none") == []
    assert problems("[tags, context, public_id, upload_preset]") == []
    p = Preset.model_validate({"name": "p", "parameter_whitelist": ["tags", "context"]})
    assert p.parameter_whitelist == ["tags", "context"]
    assert (
        Preset.model_validate({"name": "p", "parameter_whitelist": "none"}).parameter_whitelist
        == "none"
    )


def test_an_unknown_parameter_is_refused_where_it_is_with_a_suggestion():
    assert problems("[tags, tagz]") == [
        (2, 29, "parameter_whitelist[1]", "unknown upload parameter 'tagz' (did you mean `tags`?)")
    ]
    assert problems("[zzzzzz]") == [
        (2, 23, "parameter_whitelist[0]", "unknown upload parameter 'zzzzzz'")
    ]


def test_one_name_is_not_a_list():
    assert problems("tags") == [
        (
            2,
            22,
            "parameter_whitelist",
            "expected a list of parameter names, e.g. [a, b], got the string 'tags'",
        )
    ]


def test_a_remote_preset_keeps_parameters_this_tool_does_not_know():
    read = Preset.model_validate(
        {"name": "p", "parameter_whitelist": ["tags", "brand_new"]}, context={"remote": True}
    )
    assert read.parameter_whitelist == ["tags", "brand_new"]
    with pytest.raises(ValidationError):
        Preset.model_validate({"name": "p", "parameter_whitelist": ["tags", "brand_new"]})
