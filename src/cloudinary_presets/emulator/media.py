"""What an uploaded file is: its format and pixel size, read from the bytes.

Why from content: ``allowed_formats`` is a security setting, and Cloudinary checks the
real format, not the name the uploader chose; a ``.jpg`` name on PNG bytes is a PNG.
The common image formats (PNG, JPEG, GIF, WebP, BMP, TIFF, ICO, PSD, AVIF, HEIC, SVG,
PDF), video containers (MP4, MOV, WebM/Matroska, AVI, FLV, Ogg) and audio (MP3, WAV,
FLAC) are recognised by their magic bytes; anything else falls back to the filename
extension (documented in docs/emulator.md). Only the first bytes are needed (``head``).
"""

from __future__ import annotations

import mimetypes
import re
import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

IMAGE_FORMATS = frozenset(
    {
        "png", "jpg", "gif", "webp", "bmp", "tiff", "svg", "avif", "heic", "heif", "ico",
        "pdf", "psd", "jp2", "jxl", "eps", "ai", "tga", "dng", "arw", "cr2",
    }
)  # fmt: skip
VIDEO_FORMATS = frozenset(
    {
        "mp4", "mov", "webm", "avi", "mkv", "m4v", "ogv", "flv", "3gp", "wmv", "mpeg", "mpg",
        "ts", "mts", "m2ts",
        # audio is uploaded as resource_type video
        "mp3", "wav", "ogg", "flac", "aac", "m4a", "opus", "aiff", "amr", "wma",
    }
)  # fmt: skip
#: formats the sniffer recognises: a file named like one of them must contain one.
SNIFFED_IMAGE_FORMATS = frozenset(
    {"png", "jpg", "gif", "webp", "bmp", "tiff", "ico", "psd", "pdf", "svg", "avif", "heic"}
)

_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "avif": "image/avif",
    "heic": "image/heic",
    "ico": "image/vnd.microsoft.icon",
    "psd": "image/vnd.adobe.photoshop",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "mov": "video/quicktime",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
}
_EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff", "heif": "heic"}
# JPEG start-of-frame markers (C0-CF without DHT C4, JPG C8 and DAC CC) carry the size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_SVG_SIZE = re.compile(rb"""\b(width|height)\s*=\s*["']\s*([0-9.]+)\s*(?:px)?\s*["']""")


@dataclass(frozen=True)
class MediaInfo:
    """The sniffed format (None if unknown) and the pixel size (None if unknown)."""

    format: str | None = None
    width: int | None = None
    height: int | None = None


def sniff(content: bytes) -> MediaInfo:
    """Recognise a format by its magic bytes, with the pixel size where it is cheap."""
    for sniffer in (_sniff_web_image, _sniff_other_image, _sniff_container, _sniff_text):
        info = sniffer(content)
        if info is not None:
            return info
    return MediaInfo()


def _sniff_web_image(content: bytes) -> MediaInfo | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(content) >= 24 and content[12:16] == b"IHDR":
            width, height = struct.unpack(">II", content[16:24])
            return MediaInfo("png", width, height)
        return MediaInfo("png")
    if content[:6] in (b"GIF87a", b"GIF89a"):
        if len(content) >= 10:
            width, height = struct.unpack("<HH", content[6:10])
            return MediaInfo("gif", width, height)
        return MediaInfo("gif")
    if content.startswith(b"\xff\xd8\xff"):
        return MediaInfo("jpg", *_jpeg_size(content))
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return MediaInfo("webp", *_webp_size(content))
    return None


def _sniff_other_image(content: bytes) -> MediaInfo | None:
    if content[:2] == b"BM" and len(content) >= 26 and content[6:10] == b"\x00\x00\x00\x00":
        (header_size,) = struct.unpack("<I", content[14:18])
        if header_size == 12:
            width, height = struct.unpack("<HH", content[18:22])
        else:
            width, height = struct.unpack("<ii", content[18:26])
        return MediaInfo("bmp", abs(width), abs(height))
    if content[:4] in (b"II*\x00", b"MM\x00*"):
        return MediaInfo("tiff", *_tiff_size(content))
    if content[:4] == b"\x00\x00\x01\x00" and len(content) >= 8 and content[4:6] != b"\x00\x00":
        return MediaInfo("ico", content[6] or 256, content[7] or 256)
    if content[:4] == b"8BPS" and len(content) >= 22:
        height, width = struct.unpack(">II", content[14:22])
        return MediaInfo("psd", width, height)
    if content[:5] == b"%PDF-":
        return MediaInfo("pdf")
    return None


def _sniff_container(content: bytes) -> MediaInfo | None:
    """ISO media (AVIF, HEIC, MP4, MOV), Matroska/WebM, RIFF (AVI, WAV), Ogg, FLV, audio."""
    if content[4:8] == b"ftyp" and len(content) >= 16:
        return _iso_media(content)
    if content[4:8] in _QUICKTIME_ATOMS:
        return MediaInfo("mov")
    if content[:4] == b"\x1a\x45\xdf\xa3":
        return MediaInfo("webm" if b"webm" in content[:64] else "mkv")
    if content[:4] == b"RIFF" and content[8:12] in (b"AVI ", b"WAVE"):
        return MediaInfo("avi" if content[8:12] == b"AVI " else "wav")
    if content[:4] == b"OggS":
        return MediaInfo("ogv" if b"theora" in content[:128] else "ogg")
    if content[:4] == b"FLV\x01":
        return MediaInfo("flv")
    if content[:4] == b"fLaC":
        return MediaInfo("flac")
    if content[:3] == b"ID3" or _mpeg_audio_frame(content):
        return MediaInfo("mp3")
    return None


def _mpeg_audio_frame(content: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a real layer, a valid bitrate index."""
    return (
        len(content) >= 3
        and content[0] == 0xFF
        and content[1] & 0xE0 == 0xE0
        and content[1] & 0x06 != 0
        and content[2] >> 4 != 0xF
    )


def _iso_media(content: bytes) -> MediaInfo:
    (box_size,) = struct.unpack(">I", content[:4])
    end = min(max(box_size, 16), len(content))
    brands = {content[8:12]} | {content[i : i + 4] for i in range(16, end - 3, 4)}
    if brands & {b"avif", b"avis"}:
        return MediaInfo("avif", *_ispe_size(content))
    if brands & _HEIC_BRANDS:
        return MediaInfo("heic", *_ispe_size(content))
    if content[8:12] == b"qt  ":
        return MediaInfo("mov")
    if content[8:12] in (b"M4A ", b"M4B "):
        return MediaInfo("m4a")
    if content[8:11] in (b"3gp", b"3g2"):
        return MediaInfo("3gp")
    return MediaInfo("mp4")


def _sniff_text(content: bytes) -> MediaInfo | None:
    """SVG: an XML document whose root is ``<svg``, with its width/height when in pixels."""
    text = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith((b"<?xml", b"<svg", b"<!DOCTYPE svg", b"<!--")):
        return None
    start = text.find(b"<svg")
    if start < 0:
        return None
    tag = text[start : text.find(b">", start) + 1 or len(text)]
    sizes = {name.decode(): value for name, value in _SVG_SIZE.findall(tag)}
    try:
        return MediaInfo(
            "svg",
            round(float(sizes["width"])) if "width" in sizes else None,
            round(float(sizes["height"])) if "height" in sizes else None,
        )
    except ValueError:
        return MediaInfo("svg")


def _jpeg_size(content: bytes) -> tuple[int | None, int | None]:
    index = 2
    while index + 9 <= len(content):
        if content[index] != 0xFF:
            return None, None
        marker = content[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        (length,) = struct.unpack(">H", content[index + 2 : index + 4])
        if length < 2:
            return None, None
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", content[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None, None


def _webp_size(content: bytes) -> tuple[int | None, int | None]:
    chunk = content[12:16]
    if chunk == b"VP8 " and len(content) >= 30:
        width, height = struct.unpack("<HH", content[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(content) >= 25:
        (bits,) = struct.unpack("<I", content[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(content) >= 30:
        width = int.from_bytes(content[24:27], "little") + 1
        height = int.from_bytes(content[27:30], "little") + 1
        return width, height
    return None, None


def _tiff_size(content: bytes) -> tuple[int | None, int | None]:
    """ImageWidth (256) and ImageLength (257) from the first IFD."""
    order = "<" if content[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", content[4:8])
        (count,) = struct.unpack(order + "H", content[offset : offset + 2])
        sizes: dict[int, int] = {}
        for index in range(count):
            entry = content[offset + 2 + 12 * index : offset + 14 + 12 * index]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag in (256, 257):
                fmt = "H" if kind == 3 else "I"
                (sizes[tag],) = struct.unpack(order + fmt, entry[8 : 8 + struct.calcsize(fmt)])
    except struct.error:
        return None, None
    return sizes.get(256), sizes.get(257)


def _ispe_size(content: bytes) -> tuple[int | None, int | None]:
    """The image spatial extents property of AVIF/HEIC (``ispe``: version, width, height)."""
    index = content.find(b"ispe")
    if index < 0 or len(content) < index + 16:
        return None, None
    width, height = struct.unpack(">II", content[index + 8 : index + 16])
    return width, height


def extension_format(filename: str) -> str | None:
    """``"photo.JPEG"`` -> ``"jpg"``; no extension -> None."""
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    if not suffix:
        return None
    return _EXTENSION_ALIASES.get(suffix, suffix)


def detect(content: bytes, filename: str) -> MediaInfo:
    """The format from content first, else from the filename extension."""
    info = sniff(content)
    if info.format is not None:
        return info
    return MediaInfo(extension_format(filename))


def resource_type_for(fmt: str | None) -> str:
    """What ``/auto/upload`` stores a file as."""
    if fmt in IMAGE_FORMATS:
        return "image"
    if fmt in VIDEO_FORMATS:
        return "video"
    return "raw"


def content_type(fmt: str | None) -> str:
    """The Content-Type the emulator serves a stored asset with."""
    if not fmt:
        return "application/octet-stream"
    if fmt in _CONTENT_TYPES:
        return _CONTENT_TYPES[fmt]
    guessed, _ = mimetypes.guess_type(f"file.{fmt}")
    return guessed or "application/octet-stream"
