"""cloudinary-presets: Cloudinary upload presets as code.

The public API, imported lazily so that ``presets --help`` starts fast:

* definitions: :func:`load_presets`, :class:`PresetSet`, :class:`Preset`, :class:`Project`;
* the main job: :func:`open_target`, :func:`make_plan`, :func:`build_plan`,
  :func:`apply_interactive`, :func:`apply_saved`, :func:`import_presets`, :class:`Plan`,
  renderers :func:`render_text` and :func:`render_markdown`;
* runtime: :class:`Uploader`;
* errors: every exception derives from :class:`PresetsError`.
"""

from __future__ import annotations

import importlib
from typing import Any

from cloudinary_presets._version import __version__

_EXPORTS = {
    "load_presets": "cloudinary_presets.loader",
    "validate_tree": "cloudinary_presets.loader",
    "PresetSet": "cloudinary_presets.loader",
    "Preset": "cloudinary_presets.model",
    "Settings": "cloudinary_presets.model",
    "Project": "cloudinary_presets.project",
    "open_target": "cloudinary_presets.target",
    "Target": "cloudinary_presets.target",
    "make_plan": "cloudinary_presets.workflow",
    "apply_interactive": "cloudinary_presets.workflow",
    "apply_saved": "cloudinary_presets.workflow",
    "import_presets": "cloudinary_presets.workflow",
    "build_plan": "cloudinary_presets.plan",
    "Plan": "cloudinary_presets.plan",
    "render_text": "cloudinary_presets.renderers.text",
    "render_markdown": "cloudinary_presets.renderers.markdown",
    "Uploader": "cloudinary_presets.uploader",
    "UploadResult": "cloudinary_presets.uploader",
    "PresetsError": "cloudinary_presets.errors",
    "DefinitionError": "cloudinary_presets.errors",
    "ApiError": "cloudinary_presets.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudinary_presets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
