"""What an upload sends, opened for streaming: a path, bytes, a file object or a URL.

A path is opened as a regular file through the one file helper
(:func:`~cloudinary_presets.files.open_binary`): a FIFO, a device or a directory is
refused at once, before anything is read. :func:`open_for_upload` is the one place
uploads open paths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from cloudinary_presets.cloudinary.upload_api import as_content
from cloudinary_presets.cloudinary.upload_body import BytesContent, FileContent, UploadContent
from cloudinary_presets.files import open_binary, shown

FileLike = str | os.PathLike[str] | bytes | IO[bytes]
#: what the SDK passes on to Cloudinary as a reference instead of reading it
REMOTE_PREFIXES = ("http://", "https://", "data:", "s3://", "gs://")


def open_for_upload(path: Path) -> FileContent:
    """Open a regular file for streaming reads; FIFOs, devices and directories are refused."""
    return FileContent(open_binary(path, doing="upload"), shown(path), str(path))


def upload_source(file: FileLike) -> tuple[UploadContent | str, str | None]:
    """(what to send: content to stream or a remote reference, the file's name if any).

    The caller closes the content (a file object it was given stays open)."""
    if isinstance(file, bytes):
        return BytesContent(file), None
    if isinstance(file, str) and file.startswith(REMOTE_PREFIXES):
        return file, None
    if isinstance(file, (str, os.PathLike)):
        opened = open_for_upload(Path(file))
        return opened, opened.name
    name = getattr(file, "name", None)
    content = as_content(file, os.path.basename(name) if isinstance(name, str) else None)
    return content, content.name if isinstance(name, str) else None
