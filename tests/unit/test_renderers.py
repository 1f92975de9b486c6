"""Renderers on a plan built in memory: every section appears, nothing secret does."""

from __future__ import annotations

import json

from cloudinary_presets.cloudinary.remote import RemotePreset, Snapshot
from cloudinary_presets.definitions.project import Desired
from cloudinary_presets.model.preset import Preset
from cloudinary_presets.planning.plan import Plan, TargetInfo, build_plan
from cloudinary_presets.renderers.markdown import render_markdown
from cloudinary_presets.renderers.text import render_text

TARGET = TargetInfo(
    "cloud 'demo' at http://127.0.0.1:1 (test)", "demo", "http://127.0.0.1:1", "sha256:0"
)


def _preset(name: str, **settings: object) -> Preset:
    return Preset.model_validate({"name": name, "settings": settings})


def _remote(preset: Preset, unreadable: tuple[tuple[str, str], ...] = ()) -> RemotePreset:
    return RemotePreset(preset.name, preset, preset.fingerprint(), unreadable)


def _plan() -> Plan:
    desired = [
        Desired(
            "ugc",
            "ugc",
            _preset("ugc", moderation={"aws_rek": {"violence": 0.8}}, eval="a=1;"),
            "presets/ugc.yaml",
            1,
        ),
        Desired("new", "new", _preset("new", folder="n"), "presets/new.yaml", 1),
    ]
    remote = {
        "ugc": _remote(
            _preset(
                "ugc",
                moderation={"aws_rek": {"violence": 0.5}},
                notification_url="https://h.example/x?token=abc",
            ),
            (("weird", "unexpected value"),),
        ),
        "ml_default": _remote(_preset("ml_default", folder="x")),
    }
    return build_plan(
        desired, Snapshot(remote, list_calls=1, quota_limit=500, quota_remaining=499), TARGET
    )


def test_markdown_has_summary_sections_unmanaged_and_warnings():
    text = render_markdown(_plan())
    assert "| 1 | 1 | 0 | 0 | 1 |" in text
    assert "<summary><code>~ ugc</code> update, 3 field(s) ⚠️ security" in text
    assert "  settings.moderation:\n!   aws_rek.violence: 0.5 -> 0.8 (less strict)" in text
    assert "Unmanaged (not in any file, left alone): `ml_default`" in text
    assert "- ⚠️ ugc: remote setting `weird` kept as a raw value (unexpected value)" in text
    assert "> - `ugc`: eval JavaScript changes (runs on every upload)" in text
    assert "a=1;" not in text
    assert "token=abc" not in text


def test_text_lists_unmanaged_warnings_and_redacts():
    text = render_text(_plan())
    assert "? unmanaged ml_default" in text
    assert "warning: ugc: remote setting `weird` kept as a raw value" in text
    assert '- settings.notification_url: "https://h.example/x?token=***"' in text
    assert '+ settings.eval: "(JavaScript, 4 chars, sha256:' in text
    assert "a=1;" not in text


def test_json_round_trips_through_the_plan_file_form():
    plan = _plan()
    data = json.loads(json.dumps(plan.to_dict()))
    again = Plan.from_dict(data)
    assert again.checksum() == plan.checksum()
    assert [c.to_dict() for c in again.changes] == [c.to_dict() for c in plan.changes]
    assert "token=abc" not in json.dumps(data)
