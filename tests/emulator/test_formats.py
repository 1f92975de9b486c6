"""What an upload is: formats beyond the web four, explicit ``format`` conversion, and
non-ASCII file names, through the official SDK over HTTP."""

from __future__ import annotations

import struct
from urllib.parse import quote

import cloudinary.api as api
import cloudinary.uploader as uploader
import pytest
from cloudinary.exceptions import BadRequest

from cloudinary_presets.emulator import Emulator


def bmp(width: int = 5, height: int = 3) -> bytes:
    info = struct.pack("<IiiHHIIiiII", 40, width, -height, 1, 24, 0, 0, 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + info


def tiff(width: int = 7, height: int = 4) -> bytes:
    entries = struct.pack("<HHIHH", 256, 3, 1, width, 0) + struct.pack(
        "<HHIHH", 257, 3, 1, height, 0
    )
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2) + entries + b"\x00" * 4


def iso_media(brand: bytes, compatible: bytes, size: tuple[int, int] | None = None) -> bytes:
    ftyp = struct.pack(">I", 16 + len(compatible)) + b"ftyp" + brand + b"\x00\x00\x00\x00"
    extents = b""
    if size is not None:
        extents = struct.pack(">I", 20) + b"ispe" + b"\x00" * 4 + struct.pack(">II", *size)
    return ftyp + compatible + extents + struct.pack(">I", 8) + b"free"


def ebml(doctype: bytes) -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82" + bytes([0x80 | len(doctype)]) + doctype


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20px"/>'
IMAGES = {
    "bmp": (bmp(), (5, 3), "image/bmp"),
    "tiff": (tiff(), (7, 4), "image/tiff"),
    "avif": (iso_media(b"avif", b"mif1miaf", (64, 48)), (64, 48), "image/avif"),
    "heic": (iso_media(b"heic", b"mif1heic", (40, 30)), (40, 30), "image/heic"),
    "svg": (SVG, (30, 20), "image/svg+xml"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", None, "application/pdf"),
    "ico": (
        b"\x00\x00\x01\x00\x01\x00\x10\x20" + b"\x00" * 14,
        (16, 32),
        "image/vnd.microsoft.icon",
    ),
}
VIDEOS = {
    "mp4": iso_media(b"isom", b"isomiso2avc1mp41"),
    "mov": iso_media(b"qt  ", b"qt  "),
    "webm": ebml(b"webm"),
    "mkv": ebml(b"matroska"),
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x0f" + b"\x00" * 20,
    "wav": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20,
    "avi": b"RIFF\x24\x00\x00\x00AVI LIST" + b"\x00" * 20,
}


@pytest.mark.parametrize("fmt", list(IMAGES))
def test_image_formats_are_recognised_by_content(sdk: Emulator, client, fmt: str) -> None:
    content, size, content_type = IMAGES[fmt]
    # the SDK names bytes "file": no extension to go by, the content decides
    result = uploader.upload(content)
    assert (result["resource_type"], result["format"]) == ("image", fmt)
    if size is not None:
        assert (result["width"], result["height"]) == size
    assert result["secure_url"].endswith(f".{fmt}")
    served = client.get(result["secure_url"])
    assert (served.content, served.headers["Content-Type"]) == (content, content_type)
    assert uploader.upload(content, resource_type="auto")["resource_type"] == "image"


@pytest.mark.parametrize("fmt", list(VIDEOS))
def test_video_and_audio_formats_are_recognised(sdk: Emulator, fmt: str) -> None:
    content = VIDEOS[fmt]
    result = uploader.upload(content, resource_type="video")
    assert (result["resource_type"], result["format"]) == ("video", fmt)
    assert "width" not in result  # videos are not inspected
    auto = uploader.upload(content, resource_type="auto")
    assert (auto["resource_type"], auto["format"]) == ("video", fmt)
    with pytest.raises(BadRequest, match=r"^Invalid image file$"):
        uploader.upload(content)  # resource_type image


def test_images_are_not_videos(sdk: Emulator, files) -> None:
    with pytest.raises(BadRequest, match=r"^Unsupported video format or file$"):
        uploader.upload(files.png(), resource_type="video")
    with pytest.raises(BadRequest, match=r"^Unsupported video format or file$"):
        uploader.upload(("notes.txt", b"hello"), resource_type="video")
    gif = uploader.upload(files.gif(), resource_type="video")  # animated GIFs may be video
    assert (gif["resource_type"], gif["format"]) == ("video", "gif")


def test_anything_is_raw(sdk: Emulator, client) -> None:
    for name, content in (("notes.txt", b"hello"), ("clip.mp4", VIDEOS["mp4"]), ("a.bin", b"\x00")):
        result = uploader.upload((name, content), resource_type="raw")
        assert result["resource_type"] == "raw"
        assert "format" not in result
        assert result["public_id"].endswith(name[name.index(".") :])
        assert client.get(result["secure_url"]).content == content
    auto = uploader.upload(("data.xyz", b"\x01\x02"), resource_type="auto")
    assert auto["resource_type"] == "raw"


def test_formats_the_emulator_cannot_sniff_go_by_their_name(sdk: Emulator) -> None:
    eps = uploader.upload(("art.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n"))
    assert (eps["resource_type"], eps["format"]) == ("image", "eps")
    wmv = uploader.upload(("clip.wmv", b"\x30\x26\xb2\x75"), resource_type="auto")
    assert (wmv["resource_type"], wmv["format"]) == ("video", "wmv")
    with pytest.raises(BadRequest, match=r"^Invalid image file$"):
        uploader.upload(("photo.png", b"not a png at all"))  # a sniffable format: must match
    with pytest.raises(BadRequest, match=r"^Invalid image file$"):
        uploader.upload(("notes.txt", b"hello"))


# --------------------------------------------------------------------------- format


def test_an_explicit_format_converts_within_allowed_formats(sdk: Emulator, files) -> None:
    """pycloudinary test_allowed_formats_with_format: Cloudinary converts instead of refusing."""
    api.create_upload_preset(name="jpg_only", allowed_formats=["jpg"])
    result = uploader.upload(files.png(), upload_preset="jpg_only", format="jpg")
    assert result["format"] == "jpg"
    assert result["secure_url"].endswith(".jpg")
    assert sdk.assets("demo")[0]["format"] == "jpg"
    with pytest.raises(BadRequest, match="Image file format png not allowed"):
        uploader.upload(files.png(), upload_preset="jpg_only")
    with pytest.raises(BadRequest, match="Image file format gif not allowed"):
        uploader.upload(files.png(), upload_preset="jpg_only", format="gif")
    api.create_upload_preset(name="to_webp", format="webp", allowed_formats="webp")
    assert uploader.upload(files.jpeg(), upload_preset="to_webp")["format"] == "webp"


# --------------------------------------------------------------------------- file names


def test_a_non_ascii_file_name_becomes_the_public_id(sdk: Emulator, files, client) -> None:
    """pycloudinary test_upload_unicode_filename: raw UTF-8 in the multipart file name."""
    result = uploader.upload(
        ("üni_näme_lögö.png", files.png()), use_filename=True, unique_filename=False
    )
    assert result["public_id"] == "üni_näme_lögö"
    assert result["original_filename"] == "üni_näme_lögö"
    assert client.get(result["secure_url"]).status_code == 200
    assert api.resource("üni_näme_lögö")["public_id"] == "üni_näme_lögö"
    unique = uploader.upload(("üni_näme_lögö.png", files.png(note="2")), use_filename=True)
    assert unique["public_id"].startswith("üni_näme_lögö_")


def test_quotes_and_rfc5987_names(emu: Emulator, client, files) -> None:
    quoted = client.upload(
        {"use_filename": "true", "unique_filename": "false"}, files.png(), filename='say "hi".png'
    )
    assert quoted.json()["public_id"] == 'say "hi"'  # sent as %22 by requests/urllib3
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="use_filename"\r\n\r\ntrue\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="unique_filename"\r\n\r\n'
            f'false\r\n--{boundary}\r\nContent-Disposition: form-data; name="file";'
            f" filename=\"fallback.png\"; filename*=UTF-8''{quote('café.png')}\r\n"
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + files.png()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    fields = client.signed_params({"use_filename": "true", "unique_filename": "false"})
    url = f"{emu.url}/v1_1/demo/image/upload?" + "&".join(
        f"{k}={quote(str(v))}"
        for k, v in fields.items()
        if k not in ("use_filename", "unique_filename")
    )
    response = client.session.post(
        url,
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    assert response.json()["public_id"] == "café"
