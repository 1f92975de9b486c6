"""What an uploaded file is: its format and pixel size, read from the bytes.

Why from content: ``allowed_formats`` is a security setting, and Cloudinary checks the
real format, not the name the uploader chose; a ``.jpg`` name on PNG bytes is a PNG.
Only the four common web image formats are sniffed; anything else falls back to the
filename extension (documented in docs/emulator.md).
"""

from __future__ import annotations

import mimetypes
import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

IMAGE_FORMATS = frozenset(
    {"png", "jpg", "gif", "webp", "bmp", "tiff", "svg", "avif", "heic", "ico"}
)
VIDEO_FORMATS = frozenset({"mp4", "mov", "webm", "avi", "mkv", "m4v", "ogv", "flv", "mp3", "wav"})

_CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}
_EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff"}
# JPEG start-of-frame markers (C0-CF without DHT C4, JPG C8 and DAC CC) carry the size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True)
class MediaInfo:
    """The sniffed format (None if unknown) and the pixel size (None if unknown)."""

    format: str | None = None
    width: int | None = None
    height: int | None = None


def sniff(content: bytes) -> MediaInfo:
    """Recognise PNG, JPEG, GIF and WebP by their magic bytes, with width and height."""
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
    return MediaInfo()


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
