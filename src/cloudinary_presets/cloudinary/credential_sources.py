"""Which credentials a command uses: the whole precedence in :func:`resolve_credentials`.

Never reads ``os.environ`` and never prints: the environment and the home directory are
arguments, so the CLI decides and the tests control them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.credentials import (
    DEFAULT_API_HOST,
    URL_FORM,
    Credentials,
    validate_api_host,
)
from cloudinary_presets.cloudinary.profiles import load_profile
from cloudinary_presets.cloudinary.secrets import Secret
from cloudinary_presets.errors import CredentialsError, UsageError

_TRIO = ("CLOUDINARY_CLOUD_NAME", "CLOUDINARY_API_KEY", "CLOUDINARY_API_SECRET")
_TRIO_SOURCE = "environment variables CLOUDINARY_CLOUD_NAME/_API_KEY/_API_SECRET"


def _from_trio(environ: Mapping[str, str]) -> Credentials | None:
    cloud, key, secret = (environ.get(name, "").strip() for name in _TRIO)
    if not (cloud or key or secret):
        return None
    for var, value in zip(_TRIO[:2], (cloud, key), strict=True):
        if not value:
            raise CredentialsError(
                f"{var} is not set, but other CLOUDINARY_* credential variables are",
                hint="set CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET, "
                "or CLOUDINARY_URL",
            )
    algorithm = environ.get("CLOUDINARY_SIGNATURE_ALGORITHM", "sha1").strip().lower() or "sha1"
    if algorithm not in ("sha1", "sha256"):
        raise CredentialsError(
            f"CLOUDINARY_SIGNATURE_ALGORITHM must be sha1 or sha256, got {algorithm!r}"
        )
    prefix = environ.get("CLOUDINARY_UPLOAD_PREFIX", "").strip()
    return Credentials(
        cloud_name=cloud.lower(),
        api_key=key,
        api_secret=Secret(secret) if secret else None,
        api_host=validate_api_host(prefix, what="CLOUDINARY_UPLOAD_PREFIX")
        if prefix
        else DEFAULT_API_HOST,
        signature_algorithm="sha256" if algorithm == "sha256" else "sha1",
        source=_TRIO_SOURCE,
    )


def _from_variable(environ: Mapping[str, str], var: str, why: str) -> Credentials | None:
    if var not in environ:
        return None
    if not environ[var].strip():
        raise CredentialsError(
            f"{var} is set but empty{why}",
            hint=f"give it a {URL_FORM} value, or unset it",
        )
    return parse_cloudinary_url(environ[var], f"environment variable {var}")


def _from_environment(environ: Mapping[str, str]) -> Credentials | None:
    from_url = _from_variable(
        environ, "CLOUDINARY_URL", " (an undefined CI secret?); unset it to use the emulator"
    )
    from_trio = _from_trio(environ)
    if from_url is None or from_trio is None:
        return from_url or from_trio
    if from_url.cloud_name != from_trio.cloud_name:
        raise CredentialsError(
            f"CLOUDINARY_URL names cloud {from_url.cloud_name!r} but CLOUDINARY_CLOUD_NAME "
            f"names {from_trio.cloud_name!r}; refusing to guess",
            hint="unset one of them",
        )
    differ = [
        what
        for what, a, b in (
            ("API key", from_url.api_key, from_trio.api_key),
            ("API secret", from_url.api_secret, from_trio.api_secret),
            ("upload_prefix", from_url.api_host, from_trio.api_host),
            ("signature_algorithm", from_url.signature_algorithm, from_trio.signature_algorithm),
        )
        if a != b
    ]
    if differ:
        raise CredentialsError(
            f"CLOUDINARY_URL and the CLOUDINARY_CLOUD_NAME/_API_KEY/_API_SECRET variables "
            f"both target cloud {from_url.cloud_name!r} but differ in: {', '.join(differ)}",
            hint="unset one of them",
        )
    return from_url


def resolve_credentials(
    *,
    url: str | None,
    profile: str | None,
    env_credentials: tuple[str, str] | None,
    environ: Mapping[str, str],
    home: Path,
) -> Credentials | None:
    """Pick the credentials to use; the whole precedence lives here, first match wins.

    1. ``--url URL`` (giving both ``--url`` and ``--profile`` is a usage error);
    2. ``--profile NAME``: a cloudinary-cli saved profile (``--profile __default__``
       selects the profile saved as default);
    3. the target environment's configured credentials: ``("env", VAR)`` reads the
       ``cloudinary://`` URL in variable ``VAR``, ``("profile", NAME)`` reads a saved
       profile. If the configured source is missing this is an error: it never falls
       through to ``CLOUDINARY_URL``, which may name another account;
    4. ``CLOUDINARY_URL``, or the SDK's ``CLOUDINARY_CLOUD_NAME`` + ``CLOUDINARY_API_KEY``
       + ``CLOUDINARY_API_SECRET`` (+ ``CLOUDINARY_UPLOAD_PREFIX``,
       ``CLOUDINARY_SIGNATURE_ALGORITHM``). When both forms are set they must describe
       the same credentials, otherwise nothing is guessed and an error names both clouds;
    5. nothing: returns ``None`` and the caller uses the embedded emulator.

    Unlike ``cld``, a profile saved as default is never used implicitly: a command run
    without any configuration talks to the emulator, not to whatever account was saved
    last. A variable that is set but empty (an undefined CI secret) is an error, not
    "unset". Only the shape of the values is checked here; nothing touches the network.
    """
    if url is not None and profile is not None:
        raise UsageError("give either --url or --profile, not both")
    if url is not None:
        return parse_cloudinary_url(url, "--url")
    if profile is not None:
        return load_profile(profile, environ, home)
    if env_credentials is not None:
        kind, name = env_credentials
        if kind == "env":
            found = _from_variable(environ, name, " (it holds this environment's credentials)")
            if found is None:
                raise CredentialsError(
                    f"environment variable {name} is not set; the target environment "
                    f"reads its credentials from it",
                    hint=f"export {name}={URL_FORM}",
                )
            return found
        if kind == "profile":
            return load_profile(name, environ, home)
        raise UsageError(f"unknown credentials kind {kind!r} (expected 'env' or 'profile')")
    return _from_environment(environ)
