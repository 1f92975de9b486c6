"""cloudinary-presets: Cloudinary upload presets as code.

The public API, imported lazily so that ``presets --help`` starts fast:

* definitions: :func:`load_presets`, :class:`PresetSet`, :class:`Preset`, :class:`Project`;
* the main job: :func:`open_target`, :func:`make_plan`, :func:`build_plan`,
  :func:`apply_interactive`, :func:`apply_saved`, :func:`import_presets`, :class:`Plan`,
  renderers :func:`render_text` and :func:`render_markdown`;
* every environment at once: :func:`plan_environments`;
* runtime: :class:`Uploader` (uploads, direct uploads from a browser, moderation verdicts,
  the review queue, notifications), :func:`upload_files` (many files, a bounded pool),
  :func:`verify_notification` and :func:`parse_notification`;
* errors: every exception derives from :class:`PresetsError`; the ones callers catch are
  exported here.

The names are imported when first used; the ``TYPE_CHECKING`` imports below give type
checkers the same names with their real types (``tests/public_api`` checks it with mypy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudinary_presets._version import __version__

if TYPE_CHECKING:
    from cloudinary_presets.cloudinary.notification_signature import (
        verify_notification as verify_notification,
    )
    from cloudinary_presets.definitions.loader import PresetSet as PresetSet
    from cloudinary_presets.definitions.loader import load_presets as load_presets
    from cloudinary_presets.definitions.loader import validate_tree as validate_tree
    from cloudinary_presets.definitions.project import Project as Project
    from cloudinary_presets.errors import ApiError as ApiError
    from cloudinary_presets.errors import BadSignature as BadSignature
    from cloudinary_presets.errors import CredentialsError as CredentialsError
    from cloudinary_presets.errors import DefinitionError as DefinitionError
    from cloudinary_presets.errors import MissingCredentials as MissingCredentials
    from cloudinary_presets.errors import ModerationTimeout as ModerationTimeout
    from cloudinary_presets.errors import NotFound as NotFound
    from cloudinary_presets.errors import NotificationError as NotificationError
    from cloudinary_presets.errors import PresetDrift as PresetDrift
    from cloudinary_presets.errors import PresetsError as PresetsError
    from cloudinary_presets.errors import RateLimited as RateLimited
    from cloudinary_presets.errors import StaleNotification as StaleNotification
    from cloudinary_presets.errors import UnknownPreset as UnknownPreset
    from cloudinary_presets.errors import UsageError as UsageError
    from cloudinary_presets.model.moderation_rule import Label as Label
    from cloudinary_presets.model.moderation_state import ModerationState as ModerationState
    from cloudinary_presets.model.moderation_state import ModerationStep as ModerationStep
    from cloudinary_presets.model.notification import Notification as Notification
    from cloudinary_presets.model.notification import parse_notification as parse_notification
    from cloudinary_presets.model.preset import Preset as Preset
    from cloudinary_presets.model.preset import Settings as Settings
    from cloudinary_presets.operations.direct_upload import DirectUpload as DirectUpload
    from cloudinary_presets.operations.moderation_queue import DecisionOutcome as DecisionOutcome
    from cloudinary_presets.operations.moderation_queue import DecisionReport as DecisionReport
    from cloudinary_presets.operations.moderation_queue import QueueItem as QueueItem
    from cloudinary_presets.operations.multi_env import plan_environments as plan_environments
    from cloudinary_presets.operations.target import Target as Target
    from cloudinary_presets.operations.target import open_target as open_target
    from cloudinary_presets.operations.upload_batch import UploadBatch as UploadBatch
    from cloudinary_presets.operations.upload_batch import UploadOutcome as UploadOutcome
    from cloudinary_presets.operations.upload_batch import upload_files as upload_files
    from cloudinary_presets.operations.uploader import Uploader as Uploader
    from cloudinary_presets.operations.uploader import UploadResult as UploadResult
    from cloudinary_presets.operations.workflow import apply_interactive as apply_interactive
    from cloudinary_presets.operations.workflow import apply_saved as apply_saved
    from cloudinary_presets.operations.workflow import import_presets as import_presets
    from cloudinary_presets.operations.workflow import make_plan as make_plan
    from cloudinary_presets.planning.plan import Plan as Plan
    from cloudinary_presets.planning.plan import build_plan as build_plan
    from cloudinary_presets.renderers.markdown import render_markdown as render_markdown
    from cloudinary_presets.renderers.text import render_text as render_text

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
    "UploadBatch": "cloudinary_presets.operations.upload_batch",
    "UploadOutcome": "cloudinary_presets.operations.upload_batch",
    "DirectUpload": "cloudinary_presets.operations.direct_upload",
    "ModerationState": "cloudinary_presets.model.moderation_state",
    "ModerationStep": "cloudinary_presets.model.moderation_state",
    "Label": "cloudinary_presets.model.moderation_rule",
    "QueueItem": "cloudinary_presets.operations.moderation_queue",
    "DecisionOutcome": "cloudinary_presets.operations.moderation_queue",
    "DecisionReport": "cloudinary_presets.operations.moderation_queue",
    "Notification": "cloudinary_presets.model.notification",
    "parse_notification": "cloudinary_presets.model.notification",
    "verify_notification": "cloudinary_presets.cloudinary.notification_signature",
    "PresetsError": "cloudinary_presets.errors",
    "DefinitionError": "cloudinary_presets.errors",
    "ApiError": "cloudinary_presets.errors",
    "UsageError": "cloudinary_presets.errors",
    "CredentialsError": "cloudinary_presets.errors",
    "MissingCredentials": "cloudinary_presets.errors",
    "UnknownPreset": "cloudinary_presets.errors",
    "PresetDrift": "cloudinary_presets.errors",
    "NotFound": "cloudinary_presets.errors",
    "RateLimited": "cloudinary_presets.errors",
    "ModerationTimeout": "cloudinary_presets.errors",
    "NotificationError": "cloudinary_presets.errors",
    "BadSignature": "cloudinary_presets.errors",
    "StaleNotification": "cloudinary_presets.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudinary_presets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
