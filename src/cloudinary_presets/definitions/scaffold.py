"""``presets init``: a new project in a folder, ready for ``presets validate`` and ``plan``.

Writes ``cloudinary-presets.yaml`` (the options a new project meets, environments
commented out), one commented moderated example preset, the JSON Schemas the editor
modelines point to, and a ``.gitignore`` entry for ``.presets/``. Nothing existing is
ever overwritten: if any file it would write exists, nothing is written at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cloudinary_presets.definitions.config import CONFIG_FILE
from cloudinary_presets.definitions.schema import SCHEMAS, render
from cloudinary_presets.errors import RefusedError
from cloudinary_presets.files import append_text, make_dirs, oserror, read_text, shown

EXAMPLE_FILE = "presets/community-uploads.yaml"
SCHEMA_DIR = "schemas"
IGNORED = ".presets/"
GITIGNORE_LIMIT = 1024 * 1024

CONFIG_TEXT = """\
# yaml-language-server: $schema=schemas/config.schema.json
# cloudinary-presets: upload presets as code. Every key here is optional.
presets_dir: presets      # where the preset files live
prune: false              # true: `presets apply` deletes remote presets no file defines
ignore: []                # globs of remote presets never read nor touched, e.g. [ml_default]
protect: []               # globs of remote presets no plan may delete

# Named Cloudinary product environments. Without any, commands use CLOUDINARY_URL (or
# CLOUDINARY_CLOUD_NAME/_API_KEY/_API_SECRET), and the local emulator when no
# credentials are set. Uncomment and adapt:
#
# default_environment: staging
# environments:
#   staging:
#     credentials: {env: CLOUDINARY_URL_STAGING}      # a variable holding cloudinary://...
#     name_prefix: stg_                               # remote name = prefix + name
#     overrides:
#       community-uploads:
#         settings: {tags: [community, staging]}
#   production:
#     credentials: {env: CLOUDINARY_URL_PRODUCTION}
"""

EXAMPLE_TEXT = """\
# yaml-language-server: $schema=../schemas/preset.schema.json
# One upload preset per file. `presets validate` checks it, `presets plan` shows what
# `presets apply` would change in Cloudinary. Rename or copy this file to add presets.
name: community-uploads   # the preset's name in Cloudinary
description: Community uploads, checked by Amazon Rekognition, then by a person.
unsigned: false           # true: browsers may upload with this preset, unsigned
settings:
  folder: community       # where the assets are stored
  allowed_formats: [jpg, png, webp]   # any other file type is refused
  transformation: c_limit,h_2000,w_2000   # applied on upload: at most 2000 px
  tags: [community]
  moderation:             # needs the Amazon Rekognition AI Moderation add-on
    - aws_rek:
        explicit_nudity: 0.7    # reject at or above 70 % confidence
        violence: 0.8
        suggestive: ignore      # not moderated
    - manual              # then a person reviews what the machine approved
"""


@dataclass
class Scaffold:
    """What ``presets init`` wrote."""

    root: Path
    created: list[Path] = field(default_factory=list)
    gitignore: str = ""  # "created", "appended" or "" (already ignored)

    def to_dict(self) -> dict[str, object]:
        return {"created": [str(p) for p in self.created], "gitignore": self.gitignore or None}


def planned_files(root: Path) -> dict[Path, str]:
    """Every file ``init`` writes under ``root``, with its text."""
    files = {root / CONFIG_FILE: CONFIG_TEXT, root / EXAMPLE_FILE: EXAMPLE_TEXT}
    for name, build in SCHEMAS.items():
        files[root / SCHEMA_DIR / name] = render(build())
    return files


def init_project(root: Path, *, write: Callable[[Path, str], None] | None = None) -> Scaffold:
    """Scaffold a project in ``root``; refuses (exit 3) if any file it would write exists."""
    files = planned_files(root)
    existing = sorted(shown(path) for path in files if path.exists() or path.is_symlink())
    if existing:
        raise RefusedError(
            "init refused: these files exist and are never overwritten: " + ", ".join(existing),
            hint="run init in an empty folder, or move the files away first",
        )
    writer = write or _create
    result = Scaffold(root)
    for path, text in files.items():
        writer(path, text)
        result.created.append(path)
    result.gitignore = _ignore_state_dir(root / ".gitignore", writer)
    return result


def _ignore_state_dir(path: Path, writer: Callable[[Path, str], None]) -> str:
    """Add ``.presets/`` to ``.gitignore`` (appending, never rewriting what is there)."""
    if not path.exists():
        writer(path, f"# local state of cloudinary-presets (emulator data, locks)\n{IGNORED}\n")
        return "created"
    current = read_text(path, limit=GITIGNORE_LIMIT)
    entries = {line.strip() for line in current.splitlines()}
    if entries & {IGNORED, ".presets", "/.presets", "/.presets/"}:
        return ""
    separator = "" if not current or current.endswith("\n") else "\n"
    append_text(path, f"{separator}{IGNORED}\n")
    return "appended"


def _create(path: Path, text: str) -> None:
    """Write a new file; ``x`` mode fails rather than replace one that appeared meanwhile."""
    make_dirs(path.parent)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise RefusedError(
            f"init refused: {shown(path)} appeared meanwhile; not overwritten"
        ) from None
    except OSError as exc:
        raise oserror(exc, path, "create") from None
