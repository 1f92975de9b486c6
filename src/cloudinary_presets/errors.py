"""The one exception hierarchy of cloudinary-presets.

Every error the library raises derives from :class:`PresetsError`, so the CLI needs one
``except`` and maps ``exit_code`` to the process exit status. Messages are written for
people: what is wrong, where, and how to fix it. No message ever contains a secret; the
HTTP errors carry Cloudinary's message and request id, never headers or credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

#: Exit statuses shared by every command (documented in the README).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file and a 1-based line and column (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True)
class Problem:
    """One finding about a definition: an error, or a warning (a policy lint)."""

    message: str
    location: Location | None = None
    path: str = ""
    severity: str = "error"
    code: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def render(self) -> str:
        """``file:line:col: severity: path: message``, the form editors and CI understand."""
        where = f"{self.location}: " if self.location else ""
        what = f"{self.path}: " if self.path else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{self.severity}: {what}{self.message}{code}"

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "severity": self.severity,
            "code": self.code or None,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "path": self.path or None,
            "message": self.message,
        }


class ValueProblem(ValueError):
    """A problem inside one value, raised by the value parsers (moderation, transformations).

    ``subpath`` points inside the value (``(0, "aws_rek", "violence")``); ``key`` says the
    map key there is the problem, not its value. The model turns it into a located Problem.
    """

    def __init__(
        self, message: str, subpath: tuple[int | str, ...] = (), *, key: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.subpath = subpath
        self.key = key


class ModerationError(ValueProblem):
    """A moderation setting that cannot be read; ``subpath`` points inside it."""


class TransformationError(ValueProblem):
    """A transformation that cannot be parsed; ``subpath`` points inside step lists."""


#: Applied to every error message shown (``str(error)``). ``model/sensitive.py`` installs
#: its mask here when it is imported (it is imported wherever a secret is registered), so
#: no exception message ever shows a secret; this module itself imports nothing.
_MESSAGE_FILTERS: list[Callable[[str], str]] = []


def install_message_filter(apply: Callable[[str], str]) -> None:
    """Pass every error message through ``apply`` from now on (once per function)."""
    if apply not in _MESSAGE_FILTERS:
        _MESSAGE_FILTERS.append(apply)


class PresetsError(Exception):
    """Base of every error cloudinary-presets raises on purpose."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.message}\n  hint: {self.hint}" if self.hint else self.message
        for apply in _MESSAGE_FILTERS:
            text = apply(text)
        return text


class UsageError(PresetsError):
    """The command was called wrongly (bad option values, malformed CLOUDINARY_URL...)."""

    exit_code = EXIT_USAGE


class CredentialsError(UsageError):
    """Credentials are missing or malformed. The message shows them redacted, never raw."""


class MissingCredentials(CredentialsError):
    """No credentials are configured at all, and the caller did not ask for the emulator."""


class DefinitionError(PresetsError):
    """Preset definitions or project configuration are invalid; carries every problem found."""

    def __init__(self, problems: Sequence[Problem], message: str = "") -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.is_error]
        summary = message or f"{len(errors)} problem(s) in the definitions"
        body = "\n".join(p.render() for p in errors)
        super().__init__(f"{summary}\n{body}" if body else summary)


class FormatRefused(PresetsError):
    """``presets fmt`` cannot rewrite a file without risk; the file is left as written."""


class TargetError(PresetsError):
    """The target product environment cannot be chosen or reached as configured."""


class UploadSourceError(PresetsError):
    """A file to upload cannot be read as it was opened: unreadable, not a regular file,
    or changed, replaced or deleted while it was being uploaded (the message names it)."""


class FileError(PresetsError):
    """A local file or folder cannot be read or written (or is refused).

    ``path`` is the path as shown to the user and ``reason`` the operating system's reason
    in words; neither ever contains the file's content.
    """

    def __init__(
        self, path: str, reason: str, *, doing: str = "read", hint: str = "", refused: bool = False
    ) -> None:
        self.path = path
        self.reason = reason
        self.lead = f"refusing to {doing}" if refused else f"cannot {doing}"
        super().__init__(f"{self.lead} {path}: {reason}", hint=hint)


class UnknownPreset(UsageError):
    """No definition has the requested name (the message suggests close names)."""


# --------------------------------------------------------------------------- remote API


class ApiError(PresetsError):
    """Cloudinary answered with an error, or could not be talked to."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        method: str = "",
        path: str = "",
        hint: str = "",
    ) -> None:
        self.cloudinary_message = message
        if status is not None:
            self.status = status
        self.request_id = request_id
        self.method = method
        self.path = path
        parts = []
        if method or path:
            parts.append(f"{method} {path}".strip())
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        prefix = f"{' '.join(parts)}: " if parts else ""
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{prefix}{message}{suffix}", hint=hint)


class BadRequest(ApiError):
    status = 400


class AuthenticationError(ApiError):
    status = 401


class NotAllowed(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class AlreadyExists(ApiError):
    status = 409


class RateLimited(ApiError):
    """The hourly Admin API quota (420) or a burst limit (429) was hit."""

    status = 420

    def __init__(self, message: str, *, reset_at: datetime | None = None, **kw: object) -> None:
        self.reset_at = reset_at
        super().__init__(message, **kw)  # type: ignore[arg-type]


class ServerError(ApiError):
    status = 500


class NetworkError(ApiError):
    """No usable HTTP response: connection refused or reset, timeout, TLS failure."""


class BadResponse(ApiError):
    """A response that is not what Cloudinary documents (not JSON, wrong shape, redirect)."""


class _Difference(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...
    @property
    def note(self) -> str: ...


class PresetDrift(PresetsError):
    """The remote preset differs from its definition (``verify=True``); nothing was uploaded."""

    def __init__(self, name: str, changes: Sequence[_Difference]) -> None:
        self.changes = list(changes)
        lines = "\n".join(
            f"  {c.path}: {c.note}"
            if c.path == "(preset)"
            else f"  {c.path}: remote {c.before!r}, definition {c.after!r}"
            for c in changes
        )
        super().__init__(
            f"remote preset {name!r} differs from its definition; refusing to upload:\n{lines}",
            hint="run `presets plan` and `presets apply`, or upload without --verify",
        )


# --------------------------------------------------------------------------- plan and apply


class PlanError(PresetsError):
    """The plan cannot be built as asked (a protected preset would be deleted, ...)."""


class PlanFileError(PresetsError):
    """A plan file that cannot be used (missing, corrupt, from another format version)."""


class RefusedError(PresetsError):
    """A safety check refused to proceed; nothing was written. ``--force`` may override."""

    exit_code = EXIT_REFUSED


class StalePlanError(RefusedError):
    """The saved plan no longer matches the remote or the definitions."""


class PlanAlteredError(RefusedError):
    """A plan file that is not intact: edited, truncated, or not written by ``plan --out``."""


class LockHeldError(RefusedError):
    """Another apply holds the lock of this checkout."""


class ApplyFailed(PresetsError):
    """Some writes failed or were not verified; ``report`` says what was done and what not."""

    def __init__(self, message: str, report: object) -> None:
        self.report = report
        super().__init__(message, hint="run `presets plan` to see exactly the remaining work")


class ApplyInterrupted(ApplyFailed):
    """The apply was interrupted (Ctrl-C); the report names every preset written, failed,
    in flight and not attempted."""

    exit_code = EXIT_INTERRUPTED


class UploadsInterrupted(PresetsError):
    """Uploads were interrupted (Ctrl-C): no new file or chunk was started; the message
    names every file uploaded, failed and not uploaded."""

    exit_code = EXIT_INTERRUPTED


# --------------------------------------------------------------------------- moderation


class ModerationTimeout(PresetsError):
    """An automatic moderator had not decided when ``wait_for_moderation`` gave up."""

    def __init__(
        self, public_id: str, waiting_for: str, seconds: float, calls: int, *, hint: str = ""
    ) -> None:
        self.public_id = public_id
        self.waiting_for = waiting_for
        self.seconds = seconds
        self.calls = calls
        super().__init__(
            f"{public_id}: {waiting_for} had not decided after {seconds:.1f} s "
            f"({calls} Admin API call(s) spent polling)",
            hint=hint
            or "wait longer (timeout=...), or learn the verdict from the notification_url "
            "notification instead of polling",
        )


class NotificationError(PresetsError):
    """A notification that must not be trusted or cannot be read; answer it with 4xx."""


class BadSignature(NotificationError):
    """``X-Cld-Signature`` does not match the body, the timestamp and the API secret."""


class StaleNotification(NotificationError):
    """``X-Cld-Timestamp`` is older than ``max_age``: a replay, or a very late delivery."""
