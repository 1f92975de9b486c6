"""Field-by-field differences between two presets, with meaning and redaction.

Built on the codec's canonical form, so only real differences appear. Moderation is
compared per moderator and per Rekognition category, with what each change means for
uploads (``0.5 -> 0.7 (less strict)``). Values that could leak secrets or code
(``eval``, ``on_success``, tokens in URL query strings, header values) are redacted
here, once, so no renderer and no plan file can show them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from cloudinary_presets.cloudinary.codec import canonical
from cloudinary_presets.model.moderation import REKOGNITION_KINDS, Moderation, parse_moderation
from cloudinary_presets.model.moderation_rule import DEFAULT_THRESHOLD, PARENT, Label, threshold_for
from cloudinary_presets.model.preset import Preset

CODE_KEYS = frozenset({"eval", "on_success"})
URL_KEYS = frozenset({"notification_url", "eager_notification_url", "callback", "proxy"})
_SECRETISH = re.compile(r"secret|token|passw|signature|api_key|auth", re.IGNORECASE)
MISSING: Any = None


@dataclass(frozen=True)
class FieldChange:
    """One difference: a dotted path, display-safe before/after values, and its meaning."""

    path: str
    before: Any
    after: Any
    note: str = ""

    @property
    def kind(self) -> str:
        if self.before is None:
            return "add"
        if self.after is None:
            return "remove"
        return "change"

    def to_dict(self) -> dict[str, Any]:
        out = {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}
        if self.note:
            out["note"] = self.note
        return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def redact_code(text: str) -> str:
    return f"(JavaScript, {len(text)} chars, sha256:{_digest(text)})"


def redact_url(url: str) -> str:
    """Keep scheme, host and path; replace query values (tokens live there) with ***."""
    parts = urlsplit(url)
    query = "&".join(
        f"{quote(k, safe='')}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True)
    )
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def display_value(key: str, value: Any) -> Any:
    """A canonical value made safe to show in plans, logs and plan files."""
    if value is None:
        return None
    if key in CODE_KEYS and isinstance(value, str):
        return redact_code(value)
    if key in URL_KEYS and isinstance(value, str):
        return redact_url(value)
    if key == "headers" and isinstance(value, dict):
        return dict.fromkeys(value, "***")
    if _SECRETISH.search(key) and isinstance(value, str):
        return f"(redacted, sha256:{_digest(value)})"
    return value


def _flatten(canon: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in canon.items():
        if key in ("settings", "extra_settings"):
            for sub, item in value.items():
                flat[f"{key}.{sub}"] = item
        else:
            flat[key] = value
    return flat


def _strictness(before: float | None, after: float | None) -> str:
    """What moving a threshold means: a higher threshold rejects less."""
    if before is None and after is None:
        return ""
    if after is None:
        return "no longer moderated"
    if before is None:
        return "now moderated"
    if after > before:
        return "less strict"
    if after < before:
        return "stricter"
    return ""


def moderation_changes(before: Moderation | None, after: Moderation | None) -> list[FieldChange]:
    """Per-moderator and per-category changes between two moderation chains."""
    b_chain = before.chain if before else ()
    a_chain = after.chain if after else ()
    changes: list[FieldChange] = []
    b_kinds = [m.kind for m in b_chain]
    a_kinds = [m.kind for m in a_chain]
    if b_kinds != a_kinds:
        note = ""
        if not a_kinds:
            note = "moderation removed: uploads are no longer moderated"
        elif not b_kinds:
            note = "moderation added"
        elif sorted(b_kinds) == sorted(a_kinds):
            note = "same moderators, new order"
        changes.append(
            FieldChange(
                "settings.moderation",
                " | ".join(b_kinds) or None,
                " | ".join(a_kinds) or None,
                note,
            )
        )
    b_by_kind = {m.kind: m for m in b_chain}
    for moderator in a_chain:
        old = b_by_kind.get(moderator.kind)
        if moderator.kind in REKOGNITION_KINDS:
            changes.extend(_threshold_changes(moderator.kind, old, moderator))
        elif old is not None and old.argument != moderator.argument:
            changes.append(FieldChange(f"{moderator.kind}", old.argument, moderator.argument))
    for moderator in b_chain:
        if moderator.kind in REKOGNITION_KINDS and moderator.kind not in a_kinds:
            changes.extend(_threshold_changes(moderator.kind, moderator, None))
    return changes


def effective(category: str, thresholds: dict[str, float | None]) -> tuple[float | None, str]:
    """The threshold that applies to ``category`` under ``thresholds`` and where it comes from."""
    return threshold_for(Label(category, PARENT.get(category, ""), 0.0), thresholds)


def _shown(threshold: float | None) -> float | str:
    return "ignore" if threshold is None else threshold


def _threshold_changes(kind: str, before: Any, after: Any) -> list[FieldChange]:
    """Per-category threshold changes; notes say what each means for uploads."""
    b = before.threshold_map if before is not None else {}
    a = after.threshold_map if after is not None else {}
    changes = []
    for category in sorted(set(b) | set(a)):
        has_b, has_a = category in b, category in a
        tb, ta = b.get(category), a.get(category)
        if has_b and has_a and tb == ta:
            continue
        if before is None or after is None:
            # a moderator added or removed as a whole: the chain line says so
            note = "not moderated" if has_a and ta is None else ""
        else:
            # compare what actually applies: an absent category falls back to its parent's
            # entry, then to the default (the rule in moderation_rules)
            eff_b, _ = effective(category, b)
            eff_a, rule_a = effective(category, a)
            note = _strictness(eff_b, eff_a)
            if not has_a:
                fallback = (
                    f"the {rule_a} threshold"
                    if rule_a != "default"
                    else f"the default {DEFAULT_THRESHOLD}"
                )
                note = f"back to {fallback}" + (f", {note}" if note else "")
        changes.append(
            FieldChange(
                f"{kind}.{category}",
                _shown(tb) if has_b else None,
                _shown(ta) if has_a else None,
                note,
            )
        )
    return changes


def preset_changes(before: Preset | None, after: Preset | None) -> list[FieldChange]:
    """Every field difference between two presets (either may be absent)."""
    return canonical_changes(
        canonical(before) if before is not None else None,
        canonical(after) if after is not None else None,
    )


def canonical_changes(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[FieldChange]:
    """:func:`preset_changes` of already computed canonical forms (``codec.canonical``)."""
    b = _flatten(before) if before is not None else {}
    a = _flatten(after) if after is not None else {}
    changes: list[FieldChange] = []
    for path in sorted(set(b) | set(a)):
        vb, va = b.get(path), a.get(path)
        if vb == va:
            continue
        key = path.rsplit(".", 1)[-1]
        if path == "settings.moderation":
            mb = parse_moderation(vb, None) if vb else None
            ma = parse_moderation(va, None) if va else None
            changes.extend(moderation_changes(mb, ma))
            continue
        changes.append(FieldChange(path, display_value(key, vb), display_value(key, va)))
    return changes


def security_flags(before: Preset | None, after: Preset | None) -> list[str]:
    """Security-relevant consequences of a change, in words a reviewer acts on."""
    flags: list[str] = []
    if after is None:
        return flags
    was_unsigned = bool(before and before.unsigned)
    s_after = after.settings
    s_before = before.settings if before else None
    if after.unsigned and not was_unsigned:
        flags.append(
            "becomes unsigned: anyone who knows the name can upload"
            if before
            else "new unsigned preset: anyone who knows the name can upload"
        )
    if after.unsigned:
        if s_before and s_before.allowed_formats and not s_after.allowed_formats:
            flags.append("unsigned preset loses allowed_formats: any file type is accepted")
        if s_before and s_before.moderation and not s_after.moderation:
            flags.append("unsigned preset loses moderation: anonymous uploads go unreviewed")
        if before and before.disallow_public_id and not after.disallow_public_id:
            flags.append("unsigned preset lets uploaders choose public IDs again")
    for key in CODE_KEYS:
        if getattr(s_after, key) != (getattr(s_before, key) if s_before else None) and getattr(
            s_after, key
        ):
            flags.append(f"{key} JavaScript changes (runs on every upload)")
    if s_before and s_before.type != s_after.type and (s_before.type or s_after.type):
        flags.append("delivery type changes: who can see assets changes")
    if s_before and s_before.access_control != s_after.access_control:
        flags.append("access_control changes: who can see assets changes")
    b_hook = s_before.notification_url if s_before else None
    a_hook = s_after.notification_url
    if a_hook and b_hook and urlsplit(a_hook).hostname != urlsplit(b_hook).hostname:
        flags.append("notification_url moves to another host")
    return flags
