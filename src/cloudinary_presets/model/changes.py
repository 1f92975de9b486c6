"""Typed differences between two presets: one :class:`FieldChange` per changed field.

Value types produce them (``Moderation.changes``, the kinds in :mod:`values`), so the
meaning of a change (stricter, less strict, no longer moderated, host changed) and its
security relevance are decided where the value is understood, once. Renderers, the
apply verification, the moderation impact and saved plans only read them.

Paths are rooted and uniform: ``unsigned``, ``settings.folder``,
``settings.moderation.aws_rek.violence``, ``extra_settings.x``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class TextEnum(str, enum.Enum):
    """An enum whose members read as their value in messages, on every Python version."""

    def __str__(self) -> str:
        return str(self.value)


class Meaning(TextEnum):
    """What a change does to uploads, when it means more than "this value changed"."""

    STRICTER = "stricter"
    LESS_STRICT = "less strict"
    NOW_MODERATED = "now moderated"
    NO_LONGER_MODERATED = "no longer moderated"
    NOT_MODERATED = "not moderated"
    FALLBACK = "falls back"  # a category's own entry removed: its parent's or the default applies
    MODERATION_ADDED = "moderation added"
    MODERATION_REMOVED = "moderation removed"
    REORDERED = "reordered"
    HOST_CHANGED = "host changed"


class Scope(TextEnum):
    """Whether the preset a change belongs to is new, existing or being deleted."""

    NEW = "new"
    EXISTING = "existing"
    GONE = "gone"


class Kind(TextEnum):
    """Whether a field appears, disappears or changes value."""

    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"


@dataclass(frozen=True, kw_only=True)
class FieldChange:
    """One difference: where, the display-safe values on each side, and what it means.

    ``before``/``after`` are already redacted by the value's type (``None`` = unset), so
    anything that shows or saves a FieldChange is safe. ``security`` is the sentence a
    reviewer must read when the change weakens who can upload or see assets.
    """

    path: str
    before: Any = None
    after: Any = None
    meaning: Meaning | None = None
    note: str = ""
    security: str = ""

    @property
    def kind(self) -> Kind:
        if self.before is None:
            return Kind.ADD
        if self.after is None:
            return Kind.REMOVE
        return Kind.CHANGE

    @property
    def setting(self) -> str:
        """The field this change belongs to: ``settings.moderation`` for every moderation path."""
        head, _, rest = self.path.partition(".")
        if head in ("settings", "extra_settings") and rest:
            return f"{head}.{rest.partition('.')[0]}"
        return head

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind.value,
            "before": self.before,
            "after": self.after,
        }
        if self.meaning is not None:
            out["meaning"] = self.meaning.value
        if self.note:
            out["note"] = self.note
        if self.security:
            out["security"] = self.security
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldChange:
        meaning = data.get("meaning")
        return cls(
            path=str(data["path"]),
            before=data.get("before"),
            after=data.get("after"),
            meaning=Meaning(meaning) if meaning is not None else None,
            note=str(data.get("note") or ""),
            security=str(data.get("security") or ""),
        )


#: the path of a mismatch about the preset as a whole (missing, or still present)
WHOLE_PRESET = "(preset)"


@dataclass(frozen=True, kw_only=True)
class Mismatch:
    """What Cloudinary stored differently from what was sent (apply's verification)."""

    path: str
    sent: Any = None
    stored: Any = None
    note: str = ""

    @classmethod
    def of(cls, change: FieldChange) -> Mismatch:
        """From a change computed as stored -> sent (the direction of a plan)."""
        return cls(path=change.path, sent=change.after, stored=change.before)

    def describe(self) -> str:
        if self.path == WHOLE_PRESET:
            return f"{self.path}: {self.note}"
        text = f"{self.path}: sent {self.sent!r}, stored {self.stored!r}"
        return f"{text} ({self.note})" if self.note else text
