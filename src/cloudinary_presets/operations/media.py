"""Which format a file is, from its content first and its name second.

Used to refuse, before sending, a file that a preset's ``allowed_formats`` would make
Cloudinary reject: a renamed ``.jpg`` that is really a PNG is judged as a PNG.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

#: spellings Cloudinary treats as one format
ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tif": "tiff", "htm": "html", "mpeg": "mpg"}

_FTYP_BRANDS = {
    b"avif": "avif", b"avis": "avif", b"heic": "heic", b"heix": "heic", b"mif1": "heic",
    b"qt  ": "mov", b"M4V ": "m4v",
}  # fmt: skip


def normalise(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    return ALIASES.get(fmt, fmt)


def sniff(head: bytes) -> str | None:
    """The format named by a file's first bytes, when they say it unambiguously."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ico"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "webm"
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "mp4")
    text = head.lstrip()[:64].lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in head.lower()):
        return "svg"
    return None


def detect_format(head: bytes | None, name: str | None) -> str | None:
    """Content first, then the file name's (or URL's) extension; None when unknown."""
    if head:
        found = sniff(head)
        if found:
            return found
    if name:
        path = urlsplit(name).path if "://" in name else name
        suffix = PurePosixPath(path).suffix
        if suffix:
            return normalise(suffix)
    return None


def allowed(fmt: str, formats: list[str]) -> bool:
    return normalise(fmt) in {normalise(f) for f in formats}
