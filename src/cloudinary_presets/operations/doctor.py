"""``presets doctor``: what a command would use, and whether it works, without changing
anything.

Each check says what it found and, when it is not fine, how to fix it. Doctor reads the
configuration and the definitions, resolves the credentials exactly as every command
does (the secret is never shown), sends one ``GET /ping`` (which also reports the Admin
API quota) and, only when the definitions use a moderation add-on, reads the preset
listing once.

What a read-only check cannot know: whether a moderation add-on is enabled. Cloudinary
has no documented call that says so, and it drops ``moderation`` from a preset silently
when the add-on is missing. Doctor therefore looks for evidence in the presets that
exist: a remote preset that keeps the add-on's moderation proves it enabled; a preset
defined with it but stored without it means it is likely missing; with neither, doctor
says it cannot tell (an apply verifies what Cloudinary stored; an upload shows it).
Doctor never creates a preset or uploads a file to find out. Nor does it start the
embedded emulator: without credentials it reports that commands would use it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudinary_presets.cloudinary.admin_api import AdminApi
from cloudinary_presets.cloudinary.credential_sources import resolve_credentials
from cloudinary_presets.cloudinary.credentials import Credentials
from cloudinary_presets.cloudinary.remote import RemotePresets
from cloudinary_presets.cloudinary.retry import RetryPolicy
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.definitions.config import CONFIG_FILE
from cloudinary_presets.definitions.environments import EnvironmentSpec
from cloudinary_presets.definitions.loader import Report
from cloudinary_presets.definitions.project import STATE_DIR, Project
from cloudinary_presets.errors import ApiError, AuthenticationError, PresetsError
from cloudinary_presets.files import shown
from cloudinary_presets.model.changes import TextEnum
from cloudinary_presets.model.hosts import host_scope
from cloudinary_presets.model.moderation import KINDS
from cloudinary_presets.model.wording import name_list
from cloudinary_presets.operations.known_secrets import learn_secrets
from cloudinary_presets.operations.target import EMULATOR_DB, is_ci

#: moderation kinds that need a Cloudinary add-on (``manual`` is always available)
ADDON_KINDS = tuple(kind for kind in KINDS if kind != "manual")
#: below this many Admin API calls left, apply slows down (operations/apply.py)
LOW_QUOTA = 100


class Status(TextEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it went, what was found, how to fix it."""

    name: str
    status: Status
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status.value,
            "message": self.message,
            "hint": self.hint or None,
        }


@dataclass
class Diagnosis:
    root: str
    checks: list[Check] = field(default_factory=list)
    api_calls: int = 0

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.FAILED]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.WARNING]

    def add(self, name: str, status: Status, message: str, hint: str = "") -> None:
        self.checks.append(Check(name, status, message, hint))

    def summary(self) -> str:
        verdict = "problems found" if self.failed else "ready"
        return (
            f"{verdict}: {len(self.failed)} failed, {len(self.warnings)} warning(s) "
            f"({self.api_calls} Admin API call(s))"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "ok": not self.failed,
            "summary": self.summary(),
            "api_calls": self.api_calls,
            "checks": [c.to_dict() for c in self.checks],
        }


def diagnose(
    *,
    root: Path,
    environ: Mapping[str, str],
    home: Path,
    presets_dir: Path | None = None,
    environment: str | None = None,
    url: str | None = None,
    profile: str | None = None,
    force_emulator: bool = False,
) -> Diagnosis:
    """Every check, in the order a command meets them; stops where the next would be moot."""
    result = Diagnosis(shown(root))
    try:
        project = Project.open(root, presets_dir)
    except PresetsError as exc:
        result.add("configuration", Status.FAILED, exc.message, "fix it: `presets validate`")
        return result
    learn_secrets(project, environ, home)  # known before anything is read or shown
    _configuration(project, result)
    try:
        spec = project.environment(environment)
    except PresetsError as exc:
        result.add("environment", Status.FAILED, exc.message, exc.hint)
        return result
    _environment(spec, result)
    report = _definitions(project, spec, environ, result)
    credentials = _credentials(spec, environ, home, url, profile, force_emulator, project, result)
    if credentials is None:
        return result
    transport = Transport(credentials, timeout=(5.0, 15.0), retry=RetryPolicy(max_attempts=1))
    try:
        if _reachable(transport, result):
            _quota(transport, result)
            if report is not None:
                _addons(project, spec, environ, report, transport, result)
    finally:
        result.api_calls = transport.calls.total
        transport.close()
    return result


def _configuration(project: Project, result: Diagnosis) -> None:
    config = project.root / CONFIG_FILE
    if not project.has_config:
        result.add(
            "configuration",
            Status.INFO,
            f"no {CONFIG_FILE} in {shown(project.root)}: defaults apply (presets/, no "
            "environments)",
            "`presets init` writes one with a commented environments block",
        )
        return
    names = project.environments()
    default = project.loaded.config.default_environment
    listed = [f"{n} (default)" if n == default else n for n in names]
    found = f"{len(names)} environment(s): {', '.join(listed)}" if names else "no environments"
    result.add("configuration", Status.OK, f"{shown(config)}: {found}")


def _environment(spec: EnvironmentSpec, result: Diagnosis) -> None:
    if not spec.name:
        result.add("environment", Status.INFO, "none selected: CLOUDINARY_URL or the emulator")
        return
    parts = [f"'{spec.name}'"]
    if spec.credentials is not None:
        kind, name = spec.credentials
        parts.append(f"credentials from {'variable' if kind == 'env' else 'profile'} {name}")
    if spec.emulator:
        parts.append("emulator: true")
    if spec.name_prefix:
        parts.append(f"remote names prefixed {spec.name_prefix!r}")
    result.add("environment", Status.OK, ", ".join(parts))


def _definitions(
    project: Project, spec: EnvironmentSpec, environ: Mapping[str, str], result: Diagnosis
) -> Report | None:
    folder = shown(project.presets_dir)
    try:
        report = project.report(spec, environ)
    except PresetsError as exc:
        result.add("presets", Status.FAILED, exc.message, "`presets init` starts a project")
        return None
    counts = f"{folder}: {report.presets.files} file(s), {len(report.presets)} valid preset(s)"
    if report.errors:
        result.add(
            "presets",
            Status.FAILED,
            f"{counts}, {len(report.errors)} error(s)",
            "`presets validate` shows each with its file:line",
        )
        return None
    status = Status.OK if len(report.presets) else Status.WARNING
    hint = "" if len(report.presets) else "add a preset file, or run `presets init`"
    result.add("presets", status, f"{counts}, {len(report.warnings)} warning(s)", hint)
    return report


def _credentials(
    spec: EnvironmentSpec,
    environ: Mapping[str, str],
    home: Path,
    url: str | None,
    profile: str | None,
    force_emulator: bool,
    project: Project,
    result: Diagnosis,
) -> Credentials | None:
    state = shown(project.root / STATE_DIR / EMULATOR_DB)
    if force_emulator or spec.emulator:
        why = "--emulator" if force_emulator else f"environment '{spec.name}' sets emulator: true"
        result.add(
            "credentials",
            Status.WARNING,
            f"emulator in use ({why}): commands talk to the local emulator ({state}), never to "
            "Cloudinary",
        )
        return None
    try:
        found = resolve_credentials(
            url=url, profile=profile, env_credentials=spec.credentials, environ=environ, home=home
        )
    except PresetsError as exc:
        result.add("credentials", Status.FAILED, exc.message, exc.hint)
        return None
    if found is None:
        if is_ci(environ):
            result.add(
                "credentials",
                Status.FAILED,
                "none configured, and CI is set: commands refuse to fall back to the emulator",
                "set CLOUDINARY_URL (or --url, --profile, --env), or pass --emulator on purpose",
            )
        else:
            result.add(
                "credentials",
                Status.WARNING,
                f"none configured: commands use the embedded local emulator ({state}); "
                "nothing reaches Cloudinary",
                "set CLOUDINARY_URL=cloudinary://KEY:SECRET@CLOUD (or use --env/--profile)",
            )
        return None
    secret = "secret set, never shown" if found.api_secret is not None else "NO secret"
    result.add(
        "credentials",
        Status.OK if found.api_secret is not None else Status.FAILED,
        f"from {found.source}: cloud '{found.cloud_name}', API key {found.key_fingerprint()} "
        f"({secret})",
        "" if found.api_secret is not None else "the Admin API needs cloudinary://KEY:SECRET@CLOUD",
    )
    if host_scope(found.api_host) == "loopback":
        result.add(
            "target",
            Status.WARNING,
            f"API host {found.api_host} is this machine: a local emulator, not Cloudinary",
        )
    return found if found.api_secret is not None else None


def _reachable(transport: Transport, result: Diagnosis) -> bool:
    started = time.monotonic()
    try:
        AdminApi(transport).ping()
    except AuthenticationError as exc:
        result.add(
            "reachability",
            Status.FAILED,
            f"Cloudinary refused the credentials: {exc.message}",
            "check the API key and secret (Console > Settings > API Keys)",
        )
        return False
    except ApiError as exc:
        result.add("reachability", Status.FAILED, exc.message, exc.hint)
        return False
    elapsed = (time.monotonic() - started) * 1000
    host = transport.credentials.api_host
    result.add("reachability", Status.OK, f"GET /ping to {host}: {elapsed:.0f} ms")
    return True


def _quota(transport: Transport, result: Diagnosis) -> None:
    quota = transport.quota
    if quota.limit is None or quota.remaining is None:
        result.add("quota", Status.INFO, "the response carried no X-FeatureRateLimit headers")
        return
    reset = f"; resets {quota.reset_at:%Y-%m-%d %H:%M} UTC" if quota.reset_at else ""
    text = f"{quota.remaining}/{quota.limit} Admin API calls left this hour{reset}"
    if quota.remaining < LOW_QUOTA:
        result.add("quota", Status.WARNING, text, "apply slows down below 100 calls left")
    else:
        result.add("quota", Status.OK, text)


def _addons(
    project: Project,
    spec: EnvironmentSpec,
    environ: Mapping[str, str],
    report: Report,
    transport: Transport,
    result: Diagnosis,
) -> None:
    """Evidence about each moderation add-on the definitions use (see the module doc)."""
    desired = {d.remote_name: d.preset for d in project.desired(spec, environ)}
    wanted = {name: _addon_kinds(preset) for name, preset in desired.items()}
    kinds = sorted({k for used in wanted.values() for k in used})
    if not kinds:
        return
    try:
        remote = RemotePresets(transport).snapshot(project.loaded.config.ignore).presets
    except ApiError as exc:
        result.add("add-ons", Status.FAILED, f"cannot list the presets: {exc.message}")
        return
    for kind in kinds:
        stored = sorted(n for n, r in remote.items() if kind in _addon_kinds(r.preset))
        dropped = sorted(
            n for n, used in wanted.items() if kind in used and n in remote and n not in stored
        )
        if stored:
            result.add(
                "add-ons",
                Status.OK,
                f"{kind}: enabled (remote preset(s) {name_list(stored, 3)} keep {kind} moderation)",
            )
        elif dropped:
            result.add(
                "add-ons",
                Status.WARNING,
                f"{kind}: add-on likely missing: {name_list(dropped, 3)} defined with {kind} "
                "moderation, stored without it (Cloudinary drops moderation silently when the "
                "add-on is not enabled)",
                "enable the add-on in the Console (Add-ons), then `presets apply`; if someone "
                "edited the preset instead, `presets plan` shows it",
            )
        else:
            result.add(
                "add-ons",
                Status.INFO,
                f"{kind}: cannot tell whether the add-on is enabled: no remote preset uses it "
                "yet, and doctor creates nothing",
                "`presets apply` verifies what Cloudinary stored; an upload shows the "
                "moderation result",
            )


def _addon_kinds(preset: Any) -> set[str]:
    moderation = preset.settings.moderation
    if moderation is None:
        return set()
    return {m.kind for m in moderation.chain if m.kind in ADDON_KINDS}
