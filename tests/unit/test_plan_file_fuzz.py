"""Any plan file, however damaged, is refused with an error, never a traceback.

Documents are generated around a real plan: valid checksums over broken content, wrong
types in every place, deep nesting. ``load_plan`` returns a plan only for an intact,
consistent document (one it would write again byte for byte: what it means is then
judged against the target and a plan made now), and otherwise refuses it (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudinary_presets.errors import PresetsError
from cloudinary_presets.planning.plan import Plan, document_checksum
from cloudinary_presets.planning.planfile import load_plan

BASE: dict[str, Any] = {
    "format_version": 2,
    "tool_version": "0.1.0",
    "created_at": "2026-11-27T10:00:00+00:00",
    "target": {
        "description": "cloud 'demo'",
        "cloud_name": "demo",
        "api_host": "https://api.cloudinary.com",
        "key_fingerprint": "sha256:0123456789abcdef",
        "environment": None,
        "emulator": False,
        "git_revision": None,
    },
    "summary": {"create": 0, "update": 0, "delete": 0, "unchanged": 0, "unmanaged": 0,
                "out_of_scope": 0, "has_changes": False},
    "api": {"list_calls": 1, "apply_calls": 0, "quota_limit": None, "quota_remaining": None,
            "quota_reset": None},
    "options": {"prune": False, "only": []},
    "definitions_digest": "sha256:" + "0" * 64,
    "remote_fingerprints": {},
    "changes": [],
    "warnings": [],
    "safety": {"apply_would_refuse": False, "reasons": []},
    "moderation_impact": None,
}  # fmt: skip

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def _loads_or_refuses(path: Path) -> None:
    try:
        plan = load_plan(path)
    except PresetsError as exc:
        refused = exc
    else:
        refused = None
    if refused is not None:
        assert refused.exit_code == 3, str(refused)
        return
    written = json.loads(path.read_text())
    assert plan.to_dict() == written, "accepted, so it must be exactly what a plan writes"


def _with_checksum(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc["checksum"] = document_checksum(doc)
    return doc


def test_the_base_document_is_intact(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_with_checksum(BASE)))
    plan = load_plan(path)
    assert isinstance(plan, Plan)
    assert Plan.from_dict(BASE).to_dict()["checksum"] == _with_checksum(BASE)["checksum"]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.sampled_from(sorted(BASE)), value=JSON, checksum=st.booleans())
def test_a_damaged_top_level_value_is_refused(
    tmp_path: Path, key: str, value: Any, checksum: bool
) -> None:
    doc = {**BASE, key: value}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_with_checksum(doc) if checksum else doc))
    _loads_or_refuses(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(change=st.dictionaries(
    st.sampled_from(["action", "name", "remote_name", "file", "line", "before_fingerprint",
                     "after_fingerprint", "fields", "security_flags", "x"]),
    JSON, max_size=9,
))  # fmt: skip
def test_a_damaged_change_is_refused(tmp_path: Path, change: dict[str, Any]) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_with_checksum({**BASE, "changes": [change]})))
    _loads_or_refuses(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format_version": 2, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _loads_or_refuses(path)
