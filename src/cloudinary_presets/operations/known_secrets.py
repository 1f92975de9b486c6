"""Every secret the configuration can reach, learnt before a definition is read.

Its own module, apart from :mod:`~cloudinary_presets.operations.target`, because the
offline commands (``validate``, ``render``, ``fmt``) need it too and must not pay for
importing the HTTP stack (requests costs ~30 ms of a ~150 ms ``validate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cloudinary_presets.cloudinary.credential_sources import resolve_credentials
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.errors import PresetsError


def learn_secrets(project: Project, environ: Mapping[str, str], home: Path) -> None:
    """Read, offline, every credential the configuration can reach, so that their secrets
    are known (registered) before any definition is resolved or anything is shown.

    A definition that would carry one is then a validation error, and every output masks
    them, even in commands that never open a target (``validate``, ``render``).
    Credentials that cannot be read are skipped: choosing a target reports those.
    """
    config = project.loaded.config
    sources = [
        None,
        *(e.credentials.source() for e in config.environments.values() if e.credentials),
    ]
    for source in sources:
        try:
            resolve_credentials(
                url=None, profile=None, env_credentials=source, environ=environ, home=home
            )
        except PresetsError:
            continue
