"""What moderation thresholds decide, shown on real labels before anyone changes them.

A reviewer changing ``explicit_nudity: 0.7`` to ``0.5`` cannot see what that does. Given
moderation results (one per line: Cloudinary's ``moderation_labels``, a whole upload
response, or Amazon Rekognition ``DetectModerationLabels`` output), this module decides
each sample under two definitions, with the same rule the emulator uses
(:func:`cloudinary_presets.model.moderation_rule.decide`), and reports approved/rejected
counts, how many flip each way, and which categories cause the flips.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudinary_presets.errors import DefinitionError, Location, Problem
from cloudinary_presets.files import LABELS_LIMIT, printable, read_text
from cloudinary_presets.model.moderation import REKOGNITION_KINDS, Moderation
from cloudinary_presets.model.moderation_rule import Label, decide, parse_label


@dataclass(frozen=True)
class Sample:
    """The labels of one asset, and a name for it (the ``id``/``file`` field or its line)."""

    name: str
    labels: tuple[Label, ...]


def _labels_of(obj: Mapping[str, Any]) -> list[Any] | None:
    lowered = {str(k).lower().replace("_", ""): v for k, v in obj.items()}
    direct = lowered.get("moderationlabels")
    if isinstance(direct, list):
        return direct
    response = lowered.get("response")
    if isinstance(response, Mapping):
        return _labels_of(response)
    moderation = lowered.get("moderation")
    if isinstance(moderation, list):
        for entry in moderation:
            if isinstance(entry, Mapping) and str(entry.get("kind", "")).startswith("aws_rek"):
                found = _labels_of(entry)
                if found is not None:
                    return found
    # no Rekognition result (manual only, or aws_rek still pending): nothing to decide on
    return None


def _parse_item(index: int, item: object) -> Label:
    if not isinstance(item, Mapping):
        raise ValueError(f"label {index} must be an object with name, parent_name and confidence")
    label = parse_label(item)
    if 0 < label.confidence <= 0.01:
        # 0.94 on a 0-100 scale is 0.94 %: almost certainly a 0-1 value that would be read
        # as "never rejected"; refuse rather than silently approve everything
        raise ValueError(
            f"label {label.name!r}: confidence {label.confidence * 100:g} looks like a 0-1 "
            "value; Rekognition and Cloudinary report confidence from 0 to 100"
        )
    return label


def read_samples(path: Path) -> list[Sample]:
    """Read a JSON-lines file of moderation results; every bad line is a located problem."""
    text = read_text(path, limit=LABELS_LIMIT, doing="read the labels file")
    samples, problems = [], []
    file = printable(str(path))
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = Location(file, number, 1)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"not JSON: {exc.msg}", Location(file, number, exc.colno)))
            continue
        except (ValueError, RecursionError) as exc:  # a 5000-digit number, nesting too deep
            problems.append(Problem(f"not usable JSON: {exc}", where))
            continue
        if not isinstance(obj, Mapping):
            problems.append(Problem("each line must be a JSON object", where))
            continue
        raw = _labels_of(obj)
        if raw is None:
            problems.append(
                Problem(
                    "no moderation labels here: expected `moderation_labels` (Cloudinary), "
                    "`ModerationLabels` (Rekognition) or an upload response whose `moderation` "
                    "has an aws_rek result",
                    where,
                )
            )
            continue
        try:
            labels = tuple(_parse_item(index, item) for index, item in enumerate(raw))
        except ValueError as exc:
            problems.append(Problem(str(exc), where))
            continue
        name = str(obj.get("id") or obj.get("file") or obj.get("public_id") or f"line {number}")
        samples.append(Sample(name, labels))
    if problems:
        raise DefinitionError(problems, f"{len(problems)} problem(s) in {file}")
    return samples


def rekognition_thresholds(
    moderation: Moderation | None, kind: str = "aws_rek"
) -> dict[str, float | None] | None:
    """The Rekognition thresholds of a chain, or None when it has no Rekognition step."""
    if moderation is None:
        return None
    for moderator in moderation.chain:
        if moderator.kind == kind:
            return moderator.threshold_map
    return None


@dataclass
class Impact:
    """How two definitions decide the same samples."""

    samples: int = 0
    before_rejected: int = 0
    after_rejected: int = 0
    newly_rejected: list[str] = field(default_factory=list)
    newly_approved: list[str] = field(default_factory=list)
    rejecting_categories: Counter[str] = field(default_factory=Counter)
    approving_categories: Counter[str] = field(default_factory=Counter)
    before_moderated: bool = True
    after_moderated: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "before": {
                "approved": self.samples - self.before_rejected,
                "rejected": self.before_rejected,
                "moderated": self.before_moderated,
            },
            "after": {
                "approved": self.samples - self.after_rejected,
                "rejected": self.after_rejected,
                "moderated": self.after_moderated,
            },
            "newly_rejected": len(self.newly_rejected),
            "newly_approved": len(self.newly_approved),
            "categories_causing_rejections": dict(_ranked(self.rejecting_categories)),
            "categories_causing_approvals": dict(_ranked(self.approving_categories)),
            "summary": self.summary(),
        }

    def summary(self, before_label: str = "remote", after_label: str = "definition") -> str:
        """A few lines a reviewer reads in a plan or a PR comment."""
        n = self.samples

        def side(label: str, rejected: int, moderated: bool) -> str:
            if not moderated:
                return f"{label}: not moderated by Rekognition ({n} approved)"
            return f"{label}: {n - rejected} approved, {rejected} rejected"

        lines = [
            f"on {n} labelled sample(s):",
            "  " + side(before_label, self.before_rejected, self.before_moderated),
            "  " + side(after_label, self.after_rejected, self.after_moderated),
            f"  flips: {len(self.newly_rejected)} approved -> rejected, "
            f"{len(self.newly_approved)} rejected -> approved",
        ]
        if self.rejecting_categories:
            lines.append("  newly rejected by: " + _top(self.rejecting_categories))
        if self.approving_categories:
            lines.append("  newly approved in: " + _top(self.approving_categories))
        return "\n".join(lines)


def _top(counter: Counter[str]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in _ranked(counter)[:6])


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first, ties by name: the same labels always print the same way."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def compare(
    before: Moderation | None,
    after: Moderation | None,
    samples: Iterable[Sample],
    *,
    kind: str = "aws_rek",
) -> Impact:
    """Decide every sample under both moderations; count outcomes and flips."""
    b_thresholds = rekognition_thresholds(before, kind)
    a_thresholds = rekognition_thresholds(after, kind)
    impact = Impact(
        before_moderated=b_thresholds is not None, after_moderated=a_thresholds is not None
    )
    for sample in samples:
        impact.samples += 1
        b = decide(b_thresholds, sample.labels) if b_thresholds is not None else None
        a = decide(a_thresholds, sample.labels) if a_thresholds is not None else None
        b_rejected = bool(b and b.rejected)
        a_rejected = bool(a and a.rejected)
        impact.before_rejected += b_rejected
        impact.after_rejected += a_rejected
        if a_rejected and not b_rejected and a is not None:
            impact.newly_rejected.append(sample.name)
            impact.rejecting_categories.update({t.label for t in a.triggers})
        elif b_rejected and not a_rejected and b is not None:
            impact.newly_approved.append(sample.name)
            impact.approving_categories.update({t.label for t in b.triggers})
    return impact


def rekognition_kind(*moderations: Moderation | None) -> str:
    """``aws_rek_video`` when that is the Rekognition step in use, else ``aws_rek``."""
    for moderation in moderations:
        if moderation is not None:
            for moderator in moderation.chain:
                if moderator.kind in REKOGNITION_KINDS:
                    return moderator.kind
    return "aws_rek"
