"""The example files under ``examples/`` are what they claim to be.

The images are tiny but real: each is walked structure by structure (PNG chunks and
CRCs, JPEG markers, GIF blocks, the RIFF/VP8 header), so a truncated or hand-mangled
file is caught here rather than as a confusing upload failure.
"""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from upload_helpers import EXAMPLE_IMAGES, IMAGES, LABELS

from cloudinary_presets.emulator import media as emulator_media
from cloudinary_presets.operations import media


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, idat = 8, [], b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        kinds.append(kind)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert pos == len(data)
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels * depth // 8)
    return width, height


def jpeg_size(data: bytes) -> tuple[int, int]:
    assert data[:2] == b"\xff\xd8"
    assert data[-2:] == b"\xff\xd9"
    pos, markers, size = 2, set(), (0, 0)
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        markers.add(marker)
        if marker == 0xC0:  # baseline start of frame
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        pos += 2 + length
    assert {0xDB, 0xC4, 0xC0} <= markers, "quantisation and Huffman tables, baseline frame"
    return size


def gif_size(data: bytes) -> tuple[int, int]:
    assert data[:6] in (b"GIF87a", b"GIF89a")
    assert data[-1:] == b"\x3b"
    width, height, flags = struct.unpack("<HHB", data[6:11])
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0

    def skip_sub_blocks(at: int) -> int:
        while data[at]:
            at += 1 + data[at]
        return at + 1

    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # extension
            pos = skip_sub_blocks(pos + 2)
        else:
            assert data[pos] == 0x2C, "image descriptor"
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            pos = skip_sub_blocks(pos + 1)  # LZW minimum code size, then the data
            frames += 1
    assert pos == len(data) - 1
    assert frames >= 1
    return width, height


def webp_size(data: bytes) -> tuple[int, int]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    assert data[12:16] == b"VP8 "
    (chunk,) = struct.unpack("<I", data[16:20])
    assert 20 + chunk + (chunk & 1) == len(data)
    assert data[23:26] == b"\x9d\x01\x2a", "VP8 key frame start code"
    width, height = struct.unpack("<HH", data[26:30])
    return width & 0x3FFF, height & 0x3FFF


READERS = {"png": png_size, "jpg": jpeg_size, "gif": gif_size, "webp": webp_size}


@pytest.mark.parametrize(("name", "expected"), sorted(EXAMPLE_IMAGES.items()))
def test_example_images_are_small_valid_files(name, expected) -> None:
    data = (IMAGES / name).read_bytes()
    fmt, width, height = expected
    assert 100 < len(data) < 1024
    assert READERS[fmt](data) == (width, height)
    assert media.sniff(data[:64]) == fmt
    info = emulator_media.sniff(data)
    assert (info.format, info.width, info.height) == expected


def test_no_other_files_in_the_images_folder() -> None:
    assert sorted(p.name for p in IMAGES.iterdir()) == sorted(EXAMPLE_IMAGES)


def test_the_labels_file_is_json_lines_of_the_three_shapes() -> None:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    assert 20 <= len(lines) <= 30
    objects = [json.loads(line) for line in lines]
    names = [o.get("id") or o.get("file") or o.get("public_id") for o in objects]
    assert all(names)
    assert len(set(names)) == len(names)
    shapes = [
        "cloudinary"
        if "moderation_labels" in o
        else "rekognition"
        if "ModerationLabels" in o
        else "response"
        for o in objects
    ]
    assert {shape: shapes.count(shape) for shape in set(shapes)} == {
        "cloudinary": 11,
        "rekognition": 9,
        "response": 5,
    }
    for obj in objects:
        if "moderation" in obj:
            assert obj["moderation"][0]["kind"] == "aws_rek"
            assert obj["moderation_status"]
