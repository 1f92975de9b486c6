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
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudinary_presets.cloudinary.notification_signature import (
    DEFAULT_MAX_AGE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Headers,
    header,
    verify_notification,
)
from cloudinary_presets.cloudinary.remote import RemotePresets
from cloudinary_presets.cloudinary.resources_api import ResourcesApi
from cloudinary_presets.cloudinary.upload_api import DEFAULT_CHUNK_SIZE, UploadApi
from cloudinary_presets.cloudinary.upload_body import UploadContent
from cloudinary_presets.definitions.environments import EnvironmentSpec
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.definitions.resolve import ResolvedPreset, definitions, resolve_in
from cloudinary_presets.errors import BadRequest, NotFound, PresetDrift, UsageError
from cloudinary_presets.model.changes import WHOLE_PRESET, FieldChange
from cloudinary_presets.model.moderation_state import ModerationState
from cloudinary_presets.model.preset import preset_changes
from cloudinary_presets.operations.direct_upload import (
    DirectUpload,
    build_direct_upload,
    sign_widget_params,
)
from cloudinary_presets.operations.media import allowed as format_allowed
from cloudinary_presets.operations.media import detect_format
from cloudinary_presets.operations.moderation_queue import (
    DecisionOutcome,
    DecisionReport,
    QueueItem,
    decide_all,
    iter_queue,
)
from cloudinary_presets.operations.moderation_wait import DEFAULT_TIMEOUT, wait_until_settled
from cloudinary_presets.operations.target import Target, open_target, timeout_from
from cloudinary_presets.operations.upload_params import upload_params
from cloudinary_presets.operations.upload_source import FileLike, upload_source


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

    @property
    def moderation_state(self) -> ModerationState:
        """The response's moderation as a :class:`ModerationState` (``settled`` says
        whether an automatic moderator is still to decide)."""
        return ModerationState.from_resource(self.raw)

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
        self._resources = ResourcesApi(self._transport)

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
        """Same target resolution as the CLI: --url, --profile, --env, CLOUDINARY_URL.

        Without credentials it raises :class:`~cloudinary_presets.errors.MissingCredentials`
        (an application must never upload into a local emulator by accident); pass
        ``emulator=True`` to use the embedded emulator on purpose. ``environ`` defaults to
        the process environment (this convenience is the one place the library reads it;
        pass a mapping to keep it out). ``timeout`` (seconds per HTTP request) defaults to
        ``PRESETS_TIMEOUT`` from it, else 30 s.
        """
        environ = dict(os.environ) if environ is None else environ
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
            emulator=emulator,
            timeout=timeout_from(environ) if timeout is None else timeout,
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
        return upload_params(preset, signed, params)

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
        content, filename = upload_source(file)
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

    # -- direct uploads from a browser ---------------------------------------------

    def direct_upload(
        self, preset: str, *, resource_type: str = "auto", **params: Any
    ) -> DirectUpload:
        """The URL and form fields a browser POSTs a file with, to upload with ``preset``
        straight to Cloudinary. Signed for a signed preset (never containing the secret);
        for an unsigned one, only what an unsigned upload may carry. No network."""
        return build_direct_upload(
            self.resolve(preset),
            self.target.credentials,
            self._transport.url_for,
            params,
            resource_type=resource_type,
            now=time.time(),
        )

    def sign_widget_params(self, params_to_sign: Mapping[str, Any]) -> str:
        """The signature the Upload Widget's ``uploadSignature`` callback returns for
        ``params_to_sign``, after the checks :meth:`direct_upload` makes (a known signed
        preset, allowed options, a fresh timestamp). No network."""
        return sign_widget_params(
            self.definitions(), self.target.credentials, params_to_sign, now=time.time()
        )

    # -- moderation ----------------------------------------------------------------

    def moderation(self, public_id: str, *, resource_type: str = "image") -> ModerationState:
        """Where ``public_id``'s moderation stands now (one Admin API call)."""
        resource = self._resources.resource(public_id, resource_type=resource_type)
        return ModerationState.from_resource(resource)

    def wait_for_moderation(
        self,
        public_id: str | UploadResult,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        resource_type: str = "image",
        on_poll: Callable[[ModerationState], None] | None = None,
    ) -> ModerationState:
        """Poll (backing off, quota-aware) until no automatic moderator is left to decide;
        the state's ``status`` is then the verdict (``pending``: waiting for a person).
        Raises :class:`~cloudinary_presets.errors.ModerationTimeout` after ``timeout`` s.

        Given an :class:`UploadResult`, its response is the first reading: no call when
        it is already settled, and the first poll waits a moment instead of asking at once.
        """
        initial = None
        if isinstance(public_id, UploadResult):
            initial = public_id.moderation_state
            resource_type = str(public_id.raw.get("resource_type") or resource_type)
            public_id = public_id.public_id
        asset = public_id
        return wait_until_settled(
            lambda: self.moderation(asset, resource_type=resource_type),
            public_id=asset,
            timeout=timeout,
            initial=initial,
            quota_remaining=lambda: self._transport.quota.remaining,
            on_poll=on_poll,
        )

    def moderation_queue(
        self, *, kind: str = "manual", status: str = "pending", resource_type: str = "image"
    ) -> Iterator[QueueItem]:
        """The assets in a moderation queue, oldest first, a page (one call) at a time."""
        return iter_queue(
            self._resources,
            kind=kind,
            status=status,
            resource_type=resource_type,
            presets=self.definitions(),
        )

    def approve(
        self,
        public_ids: Sequence[str],
        *,
        resource_type: str = "image",
        parallelism: int = 4,
        on_result: Callable[[DecisionOutcome], None] = lambda outcome: None,
    ) -> DecisionReport:
        """Approve each asset (a reviewer's decision); failures are outcomes."""
        return decide_all(
            self._resources,
            public_ids,
            "approved",
            resource_type=resource_type,
            parallelism=parallelism,
            on_result=on_result,
        )

    def reject(
        self,
        public_ids: Sequence[str],
        *,
        resource_type: str = "image",
        parallelism: int = 4,
        on_result: Callable[[DecisionOutcome], None] = lambda outcome: None,
    ) -> DecisionReport:
        """Reject each asset (a reviewer's decision); failures are outcomes."""
        return decide_all(
            self._resources,
            public_ids,
            "rejected",
            resource_type=resource_type,
            parallelism=parallelism,
            on_result=on_result,
        )

    # -- notifications -------------------------------------------------------------

    def verify_notification(
        self,
        body: bytes | str,
        headers: Headers | Mapping[str, str],
        *,
        max_age: float = DEFAULT_MAX_AGE,
    ) -> None:
        """Raise unless the notification is signed with this target's API secret and recent
        (``X-Cld-Timestamp``, ``X-Cld-Signature``; ``body`` is the raw request body)."""
        secret = self.target.credentials.api_secret
        if secret is None or not secret:
            raise UsageError(
                "verifying notifications needs the API secret; the credentials from "
                f"{self.target.credentials.source} have none"
            )
        verify_notification(
            body,
            header(headers, TIMESTAMP_HEADER),
            header(headers, SIGNATURE_HEADER),
            secret=secret,
            max_age=max_age,
        )
