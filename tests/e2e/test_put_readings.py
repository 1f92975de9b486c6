"""An update converges whether Cloudinary's PUT replaces the stored settings or merges the
sent ones into them.

No source says which (the reference, section 1). So an update sends the full desired
settings and, in the same single call, clears every setting the remote has and the
definition does not. Each kind of setting is removed from a file here, and the remote is
checked under both readings (the emulator switched to each): the setting is gone, one
PUT did it, and the next plan is empty.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import PUT_READINGS, requests, stored, write

#: one file with every kind of setting: YAML line(s) per kind, and the stored key(s)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "string": ("settings:\n  folder: f\n", ("folder",)),
    "boolean": ("settings:\n  overwrite: false\n", ("overwrite",)),
    "list": ("settings:\n  tags: [a, b]\n", ("tags",)),
    "map": ("settings:\n  context:\n    alt: x\n", ("context",)),
    "transformation": ("settings:\n  transformation: c_scale,w_100\n", ("transformation",)),
    "moderation": ("settings:\n  moderation: {aws_rek: {explicit: 0.7}}\n", ("moderation",)),
    "json": ("settings:\n  access_control: [{access_type: anonymous}]\n", ("access_control",)),
    "number": ("settings:\n  auto_tagging: 0.6\n", ("auto_tagging",)),
    "live": ("live: true\n", ("live",)),
    "parameter_whitelist": ("parameter_whitelist: [tags]\n", ("parameter_whitelist",)),
    "disallow_public_id": ("disallow_public_id: true\n", ("disallow_public_id",)),
    "extra_settings": ("extra_settings:\n  future_flag: true\n", ("future_flag",)),
}
BASE = "name: p\nsettings:\n  asset_folder: kept\n"


def _file(kinds: list[str]) -> str:
    """BASE plus the given kinds, merging their ``settings:`` blocks."""
    top, settings, extra = [], [], []
    for kind in kinds:
        text = KINDS[kind][0]
        if text.startswith("settings:\n"):
            settings.append(text.removeprefix("settings:\n"))
        elif text.startswith("extra_settings:\n"):
            extra.append(text)
        else:
            top.append(text)
    return BASE + "".join(settings) + "".join(top) + "".join(extra)


def _cleared(settings: dict[str, Any], key: str) -> bool:
    """Absent, or in the one form that means "not set" (``live`` and
    ``disallow_public_id`` are booleans whose unset state is false)."""
    if key in ("live", "disallow_public_id"):
        return settings.get(key) in (None, False)
    return key not in settings


@pytest.mark.parametrize("emulator", PUT_READINGS, indirect=True)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_removing_a_setting_from_the_file_clears_it_on_the_remote(
    kind, project_dir, remote_cli, emulator
):
    write(project_dir, "p", _file(sorted(KINDS)))
    for other in list((project_dir / "presets").iterdir()):
        if other.name != "p.yaml":
            other.unlink()
    first = remote_cli("apply", "--yes")
    assert first.exit_code == 0, first.output
    before = stored(emulator, "p")["settings"]
    for key in KINDS[kind][1]:
        assert not _cleared(before, key), (kind, before)

    write(project_dir, "p", _file([k for k in sorted(KINDS) if k != kind]))
    puts = requests(emulator)["PUT /upload_presets/{name}"]
    second = remote_cli("apply", "--yes")

    assert second.exit_code == 0, second.output
    assert requests(emulator)["PUT /upload_presets/{name}"] == puts + 1, "one call"
    after = stored(emulator, "p")["settings"]
    for key in KINDS[kind][1]:
        assert _cleared(after, key), (kind, emulator.settings()["put_semantics"], after)
    untouched = {k: v for k, v in before.items() if k not in KINDS[kind][1]}
    assert {k: after.get(k) for k in untouched} == untouched, "the rest is kept"
    again = remote_cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("emulator", PUT_READINGS, indirect=True)
def test_removing_everything_at_once(project_dir, remote_cli, emulator):
    """All kinds removed in one apply: one PUT leaves only what the file still has."""
    write(project_dir, "p", _file(sorted(KINDS)))
    for other in list((project_dir / "presets").iterdir()):
        if other.name != "p.yaml":
            other.unlink()
    assert remote_cli("apply", "--yes").exit_code == 0
    write(project_dir, "p", BASE)
    puts = requests(emulator)["PUT /upload_presets/{name}"]

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 0, result.output
    assert requests(emulator)["PUT /upload_presets/{name}"] == puts + 1
    settings = stored(emulator, "p")["settings"]
    assert {k: v for k, v in settings.items() if v not in (False, None)} == {"asset_folder": "kept"}
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


def test_the_update_body_clears_with_empty_values():
    """What goes over the wire (the official SDK cannot send this: it drops empty values)."""
    from cloudinary_presets.cloudinary.codec import encode
    from cloudinary_presets.model.preset import Preset

    preset = Preset.model_validate({"name": "p", "settings": {"folder": "f"}})
    body = encode(preset, clear=["tags", "live", "folder", "unsigned", "name", "x_new"])
    assert body["folder"] == "f", "a setting the definition has is sent, never cleared"
    assert (body["tags"], body["live"], body["x_new"]) == ("", False, "")
    assert (body["unsigned"], body["name"]) == (False, "p"), "identity and mode: never cleared"
