"""Value types on their own: transformations (all three shapes) and format detection."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudinary_presets.model.transformations import (
    SHORT_TO_LONG,
    EagerTransformation,
    Transformation,
    TransformationError,
    canonical_value,
)
from cloudinary_presets.operations.media import allowed, detect_format, sniff

# --------------------------------------------------------------------------- transformations


def test_parameter_order_and_decimals_are_canonical():
    a = Transformation.parse("w_0.50,c_limit,if_w_gt_100,$v_3/q_auto")
    b = Transformation.from_steps(
        [{"crop": "limit", "width": 0.5, "if": "w_gt_100", "$v": 3}, {"quality": "auto"}]
    )
    assert a == b
    assert str(a) == "if_w_gt_100,$v_3,c_limit,w_0.5/q_auto"


def test_the_get_one_shape_reads_back_to_the_same_value():
    t = Transformation.parse("c_scale,w_100/q_auto:good,e_sharpen:50")
    assert t.to_steps() == [
        {"crop": "scale", "width": 100},
        {"effect": "sharpen:50", "quality": "auto:good"},
    ]
    assert Transformation.from_steps(t.to_steps()) == t
    # Cloudinary may echo short keys for parameters it does not expand: lenient reading
    assert Transformation.from_steps(
        [{"c": "scale", "width": 100}], lenient=True
    ) == Transformation.parse("c_scale,w_100")


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("0.50", "0.5"),
        ("1.00", "1.0"),
        ("-2.250", "-2.25"),
        ("100", "100"),
        ("auto", "auto"),
        ("0.0", "0.0"),
    ],
)
def test_canonical_value(value, canonical):
    assert canonical_value(value) == canonical


@pytest.mark.parametrize(
    ("steps", "message", "subpath"),
    [
        ([], "transformation has no steps", ()),
        ([{}], "each step must be a non-empty map of parameter: value", (0,)),
        (["c_fill"], "each step must be a non-empty map of parameter: value", (0,)),
        (
            [{"widht": 3}],
            "unknown transformation parameter `widht` (did you mean `width`?)",
            (0, "widht"),
        ),
        (
            [{"width": True}],
            "width: expected a string or a number, got the boolean true",
            (0, "width"),
        ),
        ([{"width": None}], "width: expected a string or a number, got null", (0, "width")),
        ([{"width": [1]}], "width: expected a string or a number, got a list", (0, "width")),
        ([{"width": {"a": 1}}], "width: expected a string or a number, got a map", (0, "width")),
        ([{"width": math.inf}], "width: must be a finite number", (0, "width")),
        ([{"width": "  "}], "width: value is empty", (0, "width")),
        ([{"crop": "fill", "width": 10}, {"x": "1,2"}], None, (1, "x")),
    ],
)
def test_step_errors_say_what_and_where(steps, message, subpath):
    with pytest.raises(TransformationError) as caught:
        Transformation.from_steps(steps)
    if message is not None:
        assert caught.value.message == message
    assert caught.value.subpath == subpath


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "transformation is empty"),
        ("c_fill//w_3", "empty component"),
        ("c_fill,w", "is not a `key_value` transformation parameter"),
        ("zz_3", "unknown transformation parameter `zz`"),
        ("c_fill,c_fit", "parameter `c` appears twice"),
    ],
)
def test_string_errors(text, message):
    with pytest.raises(TransformationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Transformation.parse(text)


def test_eager_format_in_every_shape():
    parsed = EagerTransformation.parse("c_fill,w_200/webp")
    assert parsed.format == "webp"
    assert str(parsed) == "c_fill,w_200/webp"
    assert parsed.to_steps() == [{"crop": "fill", "width": 200, "format": "webp"}]
    assert EagerTransformation.from_steps(parsed.to_steps()) == parsed
    assert EagerTransformation.parse("c_fill,w_200").format is None
    assert repr(parsed) == "EagerTransformation('c_fill,w_200/webp')"
    assert repr(parsed.transformation) == "Transformation('c_fill,w_200')"
    with pytest.raises(TransformationError, match="format must be a file extension"):
        EagerTransformation.from_steps([{"crop": "fill", "format": "../x"}])


_KEYS = st.sampled_from(sorted(k for k in SHORT_TO_LONG if k != "if"))
_VALUES = st.one_of(
    st.integers(-500, 5000).map(str),
    st.decimals(min_value=0, max_value=10, places=2, allow_nan=False).map(str),
    st.from_regex(r"[a-z][a-z0-9:]{0,8}", fullmatch=True),
)
_COMPONENTS = st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4)


@given(st.lists(_COMPONENTS, min_size=1, max_size=4))
def test_string_and_steps_round_trip(components):
    text = "/".join(",".join(f"{k}_{v}" for k, v in comp.items()) for comp in components)
    t = Transformation.parse(text)
    assert Transformation.parse(str(t)) == t
    assert Transformation.from_steps(t.to_steps()) == t


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0", "jpg"),
        (b"GIF89a", "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"BM\x00\x00", "bmp"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"%PDF-1.7", "pdf"),
        (b"\x00\x00\x01\x00\x01\x00", "ico"),
        (b"\x1aE\xdf\xa3", "webm"),
        (b"\x00\x00\x00\x18ftypavif", "avif"),
        (b"\x00\x00\x00\x18ftypheic", "heic"),
        (b"\x00\x00\x00\x18ftypisom", "mp4"),
        (b"  <svg xmlns='http://www.w3.org/2000/svg'>", "svg"),
        (b"<?xml version='1.0'?><svg>", "svg"),
        (b"hello", None),
    ],
)
def test_sniffing_by_content(head, fmt):
    assert sniff(head) == fmt


def test_content_wins_over_the_name_and_the_name_is_a_fallback():
    assert detect_format(b"\x89PNG\r\n\x1a\n", "photo.jpg") == "png"
    assert detect_format(b"plain text", "notes.TXT") == "txt"
    assert detect_format(None, "https://example.com/a/b.JPEG?x=1") == "jpg"
    assert detect_format(None, None) is None
    assert detect_format(b"", "no-extension") is None


def test_format_aliases():
    assert allowed("jpeg", ["jpg", "png"])
    assert allowed("tif", ["tiff"])
    assert not allowed("gif", ["jpg", "png"])
