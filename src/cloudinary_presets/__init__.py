"""cloudinary-presets: Cloudinary upload presets as code.

The public API, imported lazily so that ``presets --help`` starts fast:

* definitions: :func:`load_presets`, :class:`PresetSet`, :class:`Preset`, :class:`Project`;
* the main job: :func:`open_target`, :func:`make_plan`, :func:`build_plan`,
  :func:`apply_interactive`, :func:`apply_saved`, :func:`import_presets`, :class:`Plan`,
  renderers :func:`render_text` and :func:`render_markdown`;
* every environment at once: :func:`plan_environments`;
* runtime: :class:`Uploader`, :func:`upload_files` (many files, a bounded pool);
* errors: every exception derives from :class:`PresetsError`.
"""

from __future__ import annotations

import importlib
from typing import Any

from cloudinary_presets._version import __version__

_EXPORTS = {
    "load_presets": "cloudinary_presets.definitions.loader",
    "validate_tree": "cloudinary_presets.definitions.loader",
    "PresetSet": "cloudinary_presets.definitions.loader",
    "Preset": "cloudinary_presets.model.preset",
    "Settings": "cloudinary_presets.model.preset",
    "Project": "cloudinary_presets.definitions.project",
    "open_target": "cloudinary_presets.operations.target",
    "Target": "cloudinary_presets.operations.target",
    "make_plan": "cloudinary_presets.operations.workflow",
    "apply_interactive": "cloudinary_presets.operations.workflow",
    "apply_saved": "cloudinary_presets.operations.workflow",
    "import_presets": "cloudinary_presets.operations.workflow",
    "plan_environments": "cloudinary_presets.operations.multi_env",
    "build_plan": "cloudinary_presets.planning.plan",
    "Plan": "cloudinary_presets.planning.plan",
    "render_text": "cloudinary_presets.renderers.text",
    "render_markdown": "cloudinary_presets.renderers.markdown",
    "Uploader": "cloudinary_presets.operations.uploader",
    "UploadResult": "cloudinary_presets.operations.uploader",
    "upload_files": "cloudinary_presets.operations.upload_batch",
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
