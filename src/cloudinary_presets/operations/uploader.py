"""Upload with a preset resolved by name: the runtime side of the definitions.

Applications refer to a preset by the name in its file; the helper resolves it against
the definitions (and the environment's name prefix), checks locally what Cloudinary
would refuse (a format outside ``allowed_formats``, parameters an unsigned upload may
not pass, a signed preset without a secret) before sending anything, can verify that the
remote preset still matches the reviewed definition, and uploads with the same HTTP
calls the official SDK makes (it is a convenience, not another protocol).
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cloudinary_presets.cloudinary.codec import encode_value
from cloudinary_presets.cloudinary.remote import RemotePresets
from cloudinary_presets.cloudinary.transport import DEFAULT_TIMEOUT
from cloudinary_presets.cloudinary.upload_api import DEFAULT_CHUNK_SIZE, UploadApi, as_content
from cloudinary_presets.cloudinary.upload_body import BytesContent, FileContent, UploadContent
from cloudinary_presets.definitions.environments import EnvironmentSpec
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.definitions.resolve import ResolvedPreset, definitions, resolve_in
from cloudinary_presets.errors import (
    BadRequest,
    NotFound,
    PresetDrift,
    UploadSourceError,
    UsageError,
)
from cloudinary_presets.model.changes import WHOLE_PRESET, FieldChange
from cloudinary_presets.model.preset import SETTING_KEYS, preset_changes, wire_kind
from cloudinary_presets.operations.media import allowed as format_allowed
from cloudinary_presets.operations.media import detect_format
from cloudinary_presets.operations.target import Target, open_target

#: what an unsigned upload may pass besides the file (Cloudinary ignores or rejects the rest)
UNSIGNED_PARAMS = frozenset(
    {
        "public_id", "folder", "asset_folder", "tags", "context", "metadata",
        "face_coordinates", "custom_coordinates", "regions", "filename_override",
    }
)  # fmt: skip

FileLike = str | os.PathLike[str] | bytes | IO[bytes]


@dataclass(frozen=True)
class UploadResult:
    """Cloudinary's upload response, whole, with the fields applications read most."""

    raw: Mapping[str, Any] = field(repr=False)
    source: str = ""

    @property
    def public_id(self) -> str:
        return str(self.raw.get("public_id", ""))

    @property
    def secure_url(self) -> str:
        return str(self.raw.get("secure_url") or self.raw.get("url") or "")

    @property
    def moderation(self) -> list[dict[str, Any]]:
        entries = self.raw.get("moderation") or []
        return [dict(e) for e in entries if isinstance(e, Mapping)]

    @property
    def moderation_status(self) -> str | None:
        """``rejected``, ``pending``, ``approved`` or None (not moderated)."""
        statuses = [str(e.get("status")) for e in self.moderation]
        if not statuses:
            value = self.raw.get("moderation_status")
            return str(value) if value else None
        if "rejected" in statuses:
            return "rejected"
        if any(s in ("pending", "queued") for s in statuses):
            return "pending"
        return "approved" if all(s == "approved" for s in statuses) else statuses[-1]

    @property
    def rejected(self) -> bool:
        return self.moderation_status == "rejected"

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def to_dict(self) -> dict[str, Any]:
        """The fields applications read most, then the whole response (JSON-ready)."""
        return {
            "public_id": self.public_id,
            "secure_url": self.secure_url,
            "moderation_status": self.moderation_status,
            "moderation": self.moderation,
            "response": dict(self.raw),
        }


def open_for_upload(path: Path) -> FileContent:
    """Open a regular file for streaming reads; a FIFO, a device or a directory is refused
    at once (never opened for a blocking read). The one place uploads open paths."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise UploadSourceError(f"{path}: {kind}; only regular files can be uploaded")
    return FileContent(os.fdopen(fd, "rb"), str(path), str(path))


def _content(file: FileLike) -> tuple[UploadContent | str, str | None]:
    """(what to send: content or a remote reference, the file's name if it has one)."""
    if isinstance(file, bytes):
        return BytesContent(file), None
    if isinstance(file, str) and file.startswith(
        ("http://", "https://", "data:", "s3://", "gs://")
    ):
        return file, None
    if isinstance(file, (str, os.PathLike)):
        opened = open_for_upload(Path(file))
        return opened, opened.name
    name = getattr(file, "name", None)
    content = as_content(file, os.path.basename(name) if isinstance(name, str) else None)
    return content, content.name if isinstance(name, str) else None


def timeout_from(environ: Mapping[str, str]) -> float:
    """``PRESETS_TIMEOUT`` as seconds (the default when unset); a bad value is refused."""
    text = environ.get("PRESETS_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 86400:
        raise UsageError(
            f"PRESETS_TIMEOUT={text!r} is not a number of seconds (more than 0, at most 86400)"
        )
    return seconds


class Uploader:
    """Resolve presets by name and upload with them.

    Build it with :meth:`from_env` (the CLI's target resolution) or from a project,
    an environment and a target you opened yourself.
    """

    def __init__(
        self, project: Project, spec: EnvironmentSpec, target: Target, environ: Mapping[str, str]
    ) -> None:
        self.project = project
        self.spec = spec
        self.target = target
        self._environ = environ
        self._definitions: dict[str, ResolvedPreset] | None = None
        self._transport = target.transport()
        self._upload = UploadApi(self._transport)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        root: str | os.PathLike[str] = ".",
        env: str | None = None,
        url: str | None = None,
        profile: str | None = None,
        emulator: bool = False,
        timeout: float | None = None,
    ) -> Uploader:
        """Same target resolution as the CLI: --url, --profile, --env, CLOUDINARY_URL, emulator.

        ``environ`` defaults to the process environment (this convenience is the one place
        the library reads it; pass a mapping to keep it out). ``timeout`` (seconds per
        HTTP request) defaults to ``PRESETS_TIMEOUT`` from it, else 30 s.
        """
        environ = dict(os.environ) if environ is None else environ
        if timeout is None:
            timeout = timeout_from(environ)
        project = Project.open(Path(root))
        spec = project.environment(env)
        target = open_target(
            root=project.root,
            environ=environ,
            home=Path.home(),
            url=url,
            profile=profile,
            environment=spec.name,
            env_credentials=spec.credentials,
            env_emulator=spec.emulator,
            force_emulator=emulator,
            timeout=timeout,
        )
        return cls(project, spec, target, environ)

    def close(self) -> None:
        self.target.close()

    def __enter__(self) -> Uploader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- resolving -----------------------------------------------------------------

    def definitions(self) -> dict[str, ResolvedPreset]:
        if self._definitions is None:
            self._definitions = definitions(self.project, self.spec, self._environ)
        return self._definitions

    def resolve(self, name: str) -> ResolvedPreset:
        """The definition called ``name`` and its remote name; unknown names get suggestions."""
        return resolve_in(self.definitions(), name, self.project)

    def verify(self, preset: ResolvedPreset) -> None:
        """One Admin API call: refuse if the remote preset differs from the definition."""
        try:
            current = RemotePresets(self._transport).get(preset.remote_name)
        except NotFound:
            raise PresetDrift(
                preset.remote_name,
                [
                    FieldChange(
                        path=WHOLE_PRESET,
                        after="defined",
                        note="not on the remote (not created yet)",
                    )
                ],
            ) from None
        changes = preset_changes(current.preset, preset.preset)
        if changes:
            raise PresetDrift(preset.remote_name, changes)

    # -- uploading -----------------------------------------------------------------

    def params_for(
        self, preset: ResolvedPreset, signed: bool, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Wire parameters for one upload; refuses what the preset or the mode forbids."""
        given = {k: v for k, v in params.items() if v is not None and v != [] and v != {}}
        if not signed:
            refused = sorted(set(given) - UNSIGNED_PARAMS)
            if refused:
                raise UsageError(
                    f"unsigned uploads may not pass {', '.join(refused)} (Cloudinary ignores or "
                    f"rejects them); allowed: {', '.join(sorted(UNSIGNED_PARAMS))}",
                    hint="move them into the preset's settings, or upload signed (with the API "
                    "secret)",
                )
        if "public_id" in given and preset.preset.disallow_public_id and not signed:
            raise UsageError(
                f"preset {preset.name!r} has disallow_public_id: uploads cannot choose a public_id"
            )
        out: dict[str, Any] = {"upload_preset": preset.remote_name}
        for key, value in given.items():
            attr = SETTING_KEYS.get(key)
            out[key] = (
                encode_value(wire_kind(attr), value)
                if attr and not isinstance(value, str)
                else value
            )
        return out

    def upload(
        self,
        file: FileLike,
        *,
        preset: str,
        public_id: str | None = None,
        tags: Sequence[str] | None = None,
        context: Mapping[str, str] | None = None,
        verify: bool = False,
        resource_type: str = "auto",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        stop: threading.Event | None = None,
        **params: Any,
    ) -> UploadResult:
        """Upload ``file`` (path, bytes, binary file object, or URL) with the named preset.

        Files are streamed from disk; one larger than ``chunk_size`` bytes (20 MB) goes
        as a chunked upload, in chunks of that size (at least 5 MiB). Once ``stop`` is
        set no further chunk is sent.
        """
        resolved = self.resolve(preset)
        credentials = self.target.credentials
        has_secret = bool(credentials.api_secret)
        if not resolved.unsigned and not has_secret:
            raise UsageError(
                f"preset {resolved.name!r} is signed: uploading with it needs the API secret, "
                f"and the credentials from {credentials.source} have none",
                hint="use a CLOUDINARY_URL with KEY:SECRET, or an unsigned preset",
            )
        signed = has_secret
        content, filename = _content(file)
        with contextlib.ExitStack() as opened:
            if not isinstance(content, str):
                opened.callback(content.close)
            self._check_format(
                resolved,
                None if isinstance(content, str) else content,
                filename,
                filename or (file if isinstance(file, str) else None),
            )
            all_params = {
                "public_id": public_id,
                "tags": list(tags) if tags else None,
                "context": dict(context) if context else None,
                **params,
            }
            wire = self.params_for(resolved, signed, all_params)
            if verify:
                self.verify(resolved)
            response = self._send(
                resolved,
                content,
                wire,
                signed=signed,
                filename=filename,
                resource_type=resource_type,
                chunk_size=chunk_size,
                stop=stop,
            )
        return UploadResult(response, filename or (file if isinstance(file, str) else "bytes"))

    @staticmethod
    def _check_format(
        resolved: ResolvedPreset,
        content: UploadContent | None,
        filename: str | None,
        name: str | None,
    ) -> None:
        """Refuse locally what ``allowed_formats`` makes Cloudinary reject: the content
        decides first, then ``name``'s extension (a file name or a URL)."""
        allowed = resolved.preset.settings.allowed_formats
        if not allowed:
            return
        fmt = detect_format(content.head() if content is not None else None, name)
        if fmt is not None and not format_allowed(fmt, allowed):
            raise UsageError(
                f"{filename or 'the file'} is {fmt}; preset {resolved.name!r} accepts only "
                f"{', '.join(allowed)} (Cloudinary would reject it)"
            )

    def _send(
        self,
        resolved: ResolvedPreset,
        content: UploadContent | str,
        wire: dict[str, Any],
        **options: Any,
    ) -> dict[str, Any]:
        """The upload call; Cloudinary's "preset not found" becomes a hint to apply first."""
        try:
            return self._upload.upload(content, wire, **options)
        except BadRequest as exc:
            if "preset not found" in exc.cloudinary_message.lower():
                raise NotFound(
                    f"Cloudinary has no preset {resolved.remote_name!r} in cloud "
                    f"{self.target.credentials.cloud_name!r} ({exc.cloudinary_message})",
                    status=exc.status,
                    request_id=exc.request_id,
                    hint="apply the definitions first: presets apply",
                ) from None
            raise
