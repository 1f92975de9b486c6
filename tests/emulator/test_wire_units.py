"""Unit tests of the emulator's decoders, checked against the official SDK's encoders
(an independent oracle): transformations, context, signatures, bodies, media."""

from __future__ import annotations

import string

import cloudinary.utils as sdk_utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudinary_presets.emulator import media, signature, wire
from cloudinary_presets.emulator.http_error import HttpError
from cloudinary_presets.emulator.transformations import (
    SHORT_TO_LONG,
    TransformationError,
    parse_eager,
    parse_transformation,
)

# --------------------------------------------------------------------------- transformations


def test_table_matches_the_sdk_simple_parameters() -> None:
    for short, long in sdk_utils._SIMPLE_TRANSFORMATION_PARAMS.items():
        assert SHORT_TO_LONG[short] == long
    assert len(SHORT_TO_LONG) == 27 + len(sdk_utils._SIMPLE_TRANSFORMATION_PARAMS)


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("c_scale,w_100/q_auto", [{"crop": "scale", "width": 100}, {"quality": "auto"}]),
        (
            "c_crop,g_custom/ar_1,c_pad,w_1.0",
            [
                {"crop": "crop", "gravity": "custom"},
                {"aspect_ratio": 1, "crop": "pad", "width": 1.0},
            ],
        ),
        ("x_-10,y_-2.5,a_-90", [{"x": -10, "y": -2.5, "angle": -90}]),
        (
            "w_auto:100,dpr_2.0,q_auto:good",
            [{"width": "auto:100", "dpr": 2.0, "quality": "auto:good"}],
        ),
        ("if_ar_gt_1.0,w_200", [{"if": "ar_gt_1.0", "width": 200}]),
        ("$big_300,w_$big", [{"$big": 300, "width": "$big"}]),
        (
            "fn_wasm:blur.wasm,t_thumb,u_logo",
            [{"custom_function": "wasm:blur.wasm", "transformation": "thumb", "underlay": "logo"}],
        ),
    ],
)
def test_parse_transformation(text: str, steps: list[dict[str, object]]) -> None:
    assert parse_transformation(text) == steps


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("xyz_1", "Invalid transformation parameter 'xyz' in 'xyz_1'"),
        ("c_fill,zz_3", "Invalid transformation parameter 'zz' in 'c_fill,zz_3'"),
        ("webp", "Invalid transformation parameter 'webp' in 'webp'"),
        ("c_fill/", "empty component"),
        ("", "empty component"),
    ],
)
def test_invalid_transformations(text: str, message: str) -> None:
    with pytest.raises(TransformationError) as caught:
        parse_transformation(text)
    assert message in str(caught.value)
    assert isinstance(caught.value.to_http(), HttpError)


def test_parse_eager_formats() -> None:
    assert parse_eager("c_fill,w_200/webp|c_thumb,w_50") == [
        [{"crop": "fill", "width": 200, "format": "webp"}],
        [{"crop": "thumb", "width": 50}],
    ]
    assert parse_eager("w_10/q_auto/avif") == [
        [{"width": 10}, {"quality": "auto", "format": "avif"}]
    ]
    assert parse_eager("png") == [[{"format": "png"}]]
    with pytest.raises(TransformationError):
        parse_eager("w_10||w_20")


_VALUES = st.one_of(
    st.integers(min_value=1, max_value=5000),
    st.sampled_from(["auto", "scale", "fill", "face", "good", "north_east"]),
)
_STEP_KEYS = [
    "width",
    "height",
    "crop",
    "gravity",
    "quality",
    "fetch_format",
    "radius",
    "opacity",
    "zoom",
    "x",
    "y",
    "default_image",
    "page",
    "density",
    "delay",
    "prefix",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(_STEP_KEYS), _VALUES, min_size=1), min_size=1, max_size=4
    )
)
def test_parses_what_the_sdk_generates(steps: list[dict[str, object]]) -> None:
    # crop=fit/limit make the SDK drop width/height for HTML sizing only in URL helpers;
    # generate_transformation_string keeps them, so every step must round-trip
    text = sdk_utils.generate_transformation_string(transformation=[dict(s) for s in steps])[0]
    assert parse_transformation(text) == steps


# --------------------------------------------------------------------------- context & co.

_CONTEXT_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\\", blacklist_categories=("Cs",)), min_size=1
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet=string.ascii_letters + "_", min_size=1), _CONTEXT_TEXT, min_size=1
    )
)
def test_context_decodes_what_the_sdk_encodes(context: dict[str, str]) -> None:
    assert wire.decode_context(sdk_utils.encode_context(context)) == context


def test_context_escapes_and_errors() -> None:
    assert wire.decode_context("a=x\\=y\\|z|b=") == {"a": "x=y|z", "b": ""}
    assert wire.decode_context('q=say \\"hi\\"') == {"q": 'say "hi"'}
    for bad in ("novalue", "=v", "a=b|"):
        with pytest.raises(ValueError):
            wire.decode_context(bad)


def test_headers_coordinates_lists_numbers() -> None:
    headers = sdk_utils.build_custom_headers({"X-A": "1", "Link": "<x>; rel=y"})
    assert wire.decode_headers(headers) == {"X-A": "1", "Link": "<x>; rel=y"}
    coordinates = sdk_utils.encode_double_array([[10, 20, 30, 40], [1, 2, 3, 4]])
    assert wire.decode_coordinates(coordinates) == [[10, 20, 30, 40], [1, 2, 3, 4]]
    assert wire.decode_coordinates("1.5,2,3,4") == [[1.5, 2, 3, 4]]
    assert wire.decode_list(" a, b ,,c") == ["a", "b", "c"]
    assert wire.decode_number("0.6") == 0.6
    for bad in ("nan", "inf", "x"):
        with pytest.raises(ValueError):
            wire.decode_number(bad)
    with pytest.raises(ValueError):
        wire.decode_headers("no colon here")


# --------------------------------------------------------------------------- bodies


def test_multipart_with_lists_and_a_file() -> None:
    boundary = "BOUNDARY"
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="tags[]"\r\n\r\na\r\n'
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="tags[]"\r\n\r\nb\r\n'
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="note"\r\n\r\nl\xc3\xbc\r\n--x\r\n'
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--\x00\r\n"
        b"--BOUNDARY--\r\n"
    )
    parsed = wire.parse_body(f"multipart/form-data; boundary={boundary}", body)
    assert parsed.fields == {"tags": ["a", "b"], "note": "lü\r\n--x"}
    assert parsed.files["file"].filename == "a.png"
    assert parsed.files["file"].content_type == "image/png"
    assert parsed.files["file"].content == b"\x89PNG\r\n--\x00"


def test_form_json_and_empty_bodies() -> None:
    assert wire.parse_body(
        "application/x-www-form-urlencoded", b"a=1&t%5B%5D=x&t%5B%5D=y"
    ).fields == {
        "a": "1",
        "t": ["x", "y"],
    }
    assert wire.parse_body("application/json; charset=utf-8", b'{"a": true}').fields == {"a": True}
    assert wire.parse_body(None, b'{"a": 1}').fields == {"a": 1}
    assert wire.parse_body("application/json", b"  ").fields == {}
    with pytest.raises(HttpError) as caught:
        wire.parse_body("multipart/form-data", b"--x\r\n")
    assert caught.value.status == 400


# --------------------------------------------------------------------------- signatures

_PARAM_VALUES = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "&=,|:/ _-", min_size=1, max_size=20),
    st.lists(
        st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=5), min_size=1, max_size=3
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "public_id",
                "tags",
                "context",
                "folder",
                "eager",
                "timestamp",
                "upload_preset",
                "notification_url",
            ]
        ),
        _PARAM_VALUES,
    ),
    st.sampled_from(["sha1", "sha256"]),
    st.sampled_from([1, 2]),
)
def test_verify_accepts_what_the_sdk_signs(
    params: dict[str, object], algorithm: str, version: int
) -> None:
    secret = "s3cr3t"
    sent = dict(params)
    sent["signature"] = sdk_utils.api_sign_request(params, secret, algorithm, version)
    sent["api_key"] = "123"
    sent["file"] = "ignored"
    assert signature.verify(sent, secret, str(sent["signature"]))
    assert not signature.verify(sent, "other", str(sent["signature"]))
    if version == 2:
        assert signature.string_to_sign(sent) == sdk_utils.api_string_to_sign(params)


def test_signature_algorithm_parameter_restricts_the_hash() -> None:
    params = {"public_id": "x", "timestamp": "1"}
    sha1 = sdk_utils.api_sign_request(params, "s", "sha1")
    assert signature.verify({**params, "signature_algorithm": "sha1"}, "s", sha1)
    assert not signature.verify({**params, "signature_algorithm": "sha256"}, "s", sha1)
    assert signature.sign(params, "s") == sha1


# --------------------------------------------------------------------------- media


def test_media_sniffing(files) -> None:
    assert media.sniff(files.png(5, 4)) == media.MediaInfo("png", 5, 4)
    assert media.sniff(files.jpeg(7, 3)) == media.MediaInfo("jpg", 7, 3)
    assert media.sniff(files.gif(2, 9)) == media.MediaInfo("gif", 2, 9)
    assert media.sniff(files.webp(640, 480)) == media.MediaInfo("webp", 640, 480)
    assert media.sniff(b"\x89PNG\r\n\x1a\n") == media.MediaInfo("png")
    assert media.sniff(b"\xff\xd8\xff\xe0\x00\x01") == media.MediaInfo(
        "jpg"
    )  # truncated: size unknown
    assert media.sniff(b"hello") == media.MediaInfo()
    assert media.detect(b"hello", "Report.PDF") == media.MediaInfo("pdf")
    assert media.detect(b"hello", "photo.jpeg").format == "jpg"
    assert media.detect(b"hello", "noextension").format is None


def test_webp_lossy_and_lossless_sizes() -> None:
    lossy = (
        b"RIFF\x00\x00\x00\x00WEBPVP8 "
        + b"\x00" * 7
        + b"\x9d\x01\x2a"
        + bytes([0x20, 0x03, 0x58, 0x02])
    )
    assert media.sniff(lossy) == media.MediaInfo("webp", 800, 600)
    bits = (99) | (49 << 14)
    lossless = b"RIFF\x00\x00\x00\x00WEBPVP8L" + b"\x00" * 4 + b"\x2f" + bits.to_bytes(4, "little")
    assert media.sniff(lossless) == media.MediaInfo("webp", 100, 50)


def test_content_types_and_resource_types() -> None:
    assert media.content_type("jpg") == "image/jpeg"
    assert media.content_type("svg") == "image/svg+xml"
    assert media.content_type("pdf") == "application/pdf"
    assert media.content_type(None) == "application/octet-stream"
    assert media.resource_type_for("mp4") == "video"
    assert media.resource_type_for("png") == "image"
    assert media.resource_type_for(None) == "raw"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"8BPS\x00\x01" + b"\x00" * 8 + b"\x00\x00\x00\x02\x00\x00\x00\x03", ("psd", 3, 2)),
        (
            b"MM\x00*\x00\x00\x00\x08\x00\x01\x01\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x09",
            ("tiff", 9, None),
        ),
        (b"MM\x00*\xff\xff\xff\xff", ("tiff", None, None)),  # an IFD outside the bytes
        (  # a BITMAPCOREHEADER (12 bytes): 16-bit width and height
            b"BM"
            + b"\x00" * 8
            + b"\x1a\x00\x00\x00\x0c\x00\x00\x00\x02\x00\x03\x00\x01\x00\x18\x00",
            ("bmp", 2, 3),
        ),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom", ("m4a", None, None)),
        (b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x00\x003gp4", ("3gp", None, None)),
        (b"\x00\x00\x00\x14ftypavif\x00\x00\x00\x00mif1", ("avif", None, None)),  # no ispe
        (b"\x00\x00\x00\x08moov", ("mov", None, None)),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x80theora", ("ogv", None, None)),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", ("ogg", None, None)),
        (b"FLV\x01\x05", ("flv", None, None)),
        (b"fLaC\x00\x00\x00\x22", ("flac", None, None)),
        (b"\xff\xfb\x90\x64", ("mp3", None, None)),  # an MPEG-1 layer 3 frame header
        (b"\xff\xff\xff\xff", (None, None, None)),  # sync bits alone are no frame
        (b"<svg viewBox='0 0 10 10'/>", ("svg", None, None)),
        (b"\xef\xbb\xbf<!-- art --><svg width='1.2.3' height='2'>", ("svg", None, None)),
        (b"<?xml version='1.0'?><html/>", (None, None, None)),
        (b"\x00\x00\x01\x00\x01\x00\x00\x00", ("ico", 256, 256)),
    ],
)
def test_more_sniffed_formats(content: bytes, expected: tuple[object, ...]) -> None:
    assert media.sniff(content) == media.MediaInfo(*expected)  # type: ignore[arg-type]
