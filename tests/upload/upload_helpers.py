"""Helpers of the upload tests (a module of its own: several ``conftest.py`` files exist,
so ``from conftest import`` would be ambiguous)."""

from __future__ import annotations

import re
import struct
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import cloudinary
import requests

from cloudinary_presets.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "examples" / "images"
LABELS = REPO / "examples" / "moderation" / "labels.jsonl"
UPLOAD_KEY = "POST /{resource_type}/upload"

# The samples of examples/moderation/labels.jsonl that ugc-moderated rejects (explicit_nudity
# 0.7, suggestive ignored, violence 0.8, graphic_violence_or_gore 0.5, the rest at 0.5),
# and those it rejects only with explicit_nudity at 0.5: worked by hand from the file
# (test_simulate.py says how), never computed by the rule under test.
REJECTED_AT_07 = {
    "flagged-2211-a", "uploads/2026-11/wedding-toast.jpg", "ugc/hunting-trip-9q2x",
    "uploads/2026-11/halloween-makeup.jpg", "uploads/2026-11/art-fair-poster.jpg",
    "casino-night-01", "uploads/2026-11/pharmacy-shelf.jpg", "road-rage-04",
    "uploads/2026-11/news-protest.jpg",
}  # fmt: skip
FLIPS_AT_05 = [
    "life-drawing-class-03", "uploads/2026-11/museum-statue.jpg", "flagged-2211-b",
    "ugc/tattoo-closeup-2b8n", "ugc/pool-party-6h0c",
]  # fmt: skip

#: the example images, with the format and pixel size each really has
EXAMPLE_IMAGES = {
    "sunset.png": ("png", 24, 16),
    "portrait.jpg": ("jpg", 16, 16),
    "spinner.gif": ("gif", 12, 12),
    "badge.webp": ("webp", 20, 10),
}


def key_only(url: str) -> str:
    """The same CLOUDINARY_URL without the API secret (unsigned uploads only)."""
    without = re.sub(r"^(cloudinary://[^:@]+):[^@]*@", r"\1@", url)
    assert without != url
    return without


def with_sha256(url: str) -> str:
    return url + "&signature_algorithm=sha256"


def upload_requests(emulator: Emulator) -> int:
    """Upload requests that reached the emulator, failed ones included."""
    requests = emulator.stats()["requests"]
    assert isinstance(requests, dict)
    return int(requests[UPLOAD_KEY])


def admin_calls(emulator: Emulator) -> int:
    return int(emulator.stats()["admin_calls"])  # type: ignore[call-overload]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(note: str = "", width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG; a distinct ``note`` gives distinct content (and sha256)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    text = _chunk(b"tEXt", b"Comment\x00" + note.encode()) if note else b""
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + text
        + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")
    )  # fmt: skip


def configure_sdk(emulator: Emulator, **options: Any) -> None:
    """Point the official SDK's global configuration at ``emulator``'s demo cloud."""
    cloudinary.reset_config()
    cloudinary.config(
        cloud_name=emulator.clouds[0].name,
        api_key=emulator.clouds[0].api_key,
        api_secret=emulator.clouds[0].api_secret,
        upload_prefix=emulator.url,
        **options,
    )


def set_explicit_nudity(project: Path, value: str) -> None:
    """Edit the example ugc-moderated definition's explicit_nudity threshold."""
    path = project / "presets" / "ugc-moderated.yaml"
    text = path.read_text(encoding="utf-8")
    assert "explicit_nudity: 0.7 " in text
    path.write_text(
        text.replace("explicit_nudity: 0.7 ", f"explicit_nudity: {value} "), encoding="utf-8"
    )


def resource_details(emulator: Emulator, public_id: str, resource_type: str = "image") -> Any:
    """The Admin API's resource details (``GET resources/<type>/upload/<public_id>``)."""
    account = emulator.clouds[0]
    url = f"{emulator.url}/v1_1/{account.name}/resources/{resource_type}/upload/"
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(
            url + quote(public_id), auth=(account.api_key, account.api_secret), timeout=5
        )
    assert response.status_code == 200, response.text
    return response.json()


def decided(
    emulator: Emulator, public_id: str, resource_type: str = "image", timeout: float = 5.0
) -> Any:
    """Poll the resource details until every automatic moderator has decided.

    Moderation is asynchronous (Cloudinary's current docs, the emulator's default): the
    upload answers ``pending``/``queued`` and the decisions land shortly after. What is
    left waiting afterwards is a manual review (``manual`` pending, what follows queued).
    """
    deadline = time.monotonic() + timeout
    while True:
        details = resource_details(emulator, public_id, resource_type)
        waiting = [
            m for m in details.get("moderation") or []
            if m["status"] == "pending" and m["kind"] != "manual"
        ]  # fmt: skip
        if not waiting:
            return details
        assert time.monotonic() < deadline, f"{public_id}: still waiting for {waiting}"
        time.sleep(0.01)


def statuses_of(details: Any) -> list[tuple[str, str]]:
    return [(m["kind"], m["status"]) for m in details.get("moderation") or []]


def load_example(name: str) -> Any:
    """A module of ``examples/web`` (they are scripts, not a package)."""
    import importlib.util

    path = REPO / "examples" / "web" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"examples_web_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def browser_post(form: dict[str, Any], content: bytes, filename: str = "photo.png") -> Any:
    """What the browser does with a direct upload: POST the file (multipart, the file last)
    to ``form["url"]`` with exactly ``form["fields"]``, and nothing else."""
    with requests.Session() as session:
        session.trust_env = False  # no proxy for loopback
        return session.post(
            form["url"],
            data=form["fields"],
            files={"file": (filename, content, "application/octet-stream")},
            timeout=10,
        )
