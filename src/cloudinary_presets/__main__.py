"""``python -m cloudinary_presets`` runs the ``presets`` command line."""

from cloudinary_presets.cli import run

raise SystemExit(run())
