"""Import is lossless, and planning survives whatever the remote holds.

Cloudinary may store things this tool does not model or would refuse in a file: a legacy
``metascan`` moderator, a category it has never heard of, ``tags: "a,a"``, a parameter
added last month, a value of the wrong shape. For any such preset, in either response
shape (the list's raw strings, or the get-one endpoint's parsed values), ``presets
import`` must write a definition that validates and then plans as unchanged, keeping
every stored parameter: what it cannot model is kept verbatim, with a warning.

The remote is seeded through the emulator with its validation switched off (a stand-in
for "whatever Cloudinary stores"), and read over HTTP like any other remote.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from e2e_helpers import E2E_PROPERTY, plan_json, write
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudinary_presets.cloudinary.codec import decode, sent_keys, stored_keys
from cloudinary_presets.definitions.project import Project
from cloudinary_presets.emulator import admin as emulator_admin
from cloudinary_presets.emulator import app as emulator_app
from cloudinary_presets.emulator.presets import PresetBody, detail_form
from cloudinary_presets.model.characters import is_invisible
from cloudinary_presets.model.preset import SETTING_KEYS


@pytest.fixture
def stored_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """``emulator.seed_presets`` stores bodies exactly as given (no validation)."""

    def verbatim(cloud: str, params: dict[str, object], addons: Any) -> PresetBody:
        settings = dict(params.get("settings") or {})  # type: ignore[call-overload]
        return PresetBody(
            name=str(params["name"]), unsigned=params.get("unsigned"), settings=settings
        )

    monkeypatch.setattr(emulator_app, "normalize", verbatim)


@pytest.fixture(params=["list", "get-one"])
def response_form(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The listing answers in the list form (raw strings) or in the get-one form (parsed)."""
    if request.param == "get-one":
        monkeypatch.setattr(emulator_admin, "list_form", detail_form)
    return str(request.param)


@pytest.fixture
def admin(remote: Any) -> Any:
    """This tool's Admin API client for the emulator (plain dicts, as listed)."""
    return remote.api


def seed(emulator: Any, presets: list[Mapping[str, Any]]) -> None:
    emulator.reset()
    emulator.seed_presets("demo", presets)


# --------------------------------------------------------------------------- named cases

LEGACY = {
    "name": "legacy",
    "unsigned": True,
    "settings": {
        "moderation": "metascan|aws_rek:explicit:0.6:violense:0.50:brand_new_label:0.4|manual",
        "tags": "a,a,b",
        "allowed_formats": "jpg,png",
        "future_param": {"mode": "fancy", "levels": [1, 2]},
        "transformation": "not_a_transformation",
        "live": "sometimes",
        "parameter_whitelist": "tags,folder,my_own_param",
        "Weird Key": "kept",
    },
}


def test_a_legacy_preset_imports_verbatim_and_plans_unchanged(
    project_dir, remote_cli, emulator, stored_as_given, response_form
):
    shutil.rmtree(project_dir / "presets")
    seed(emulator, [LEGACY])

    imported = remote_cli("import", "legacy")

    assert imported.exit_code == 0, imported.output
    assert "imported legacy -> presets/legacy.yaml" in imported.stdout
    assert "  kept verbatim (not checked, see `presets validate`): " in imported.stdout
    data = yaml.safe_load((project_dir / "presets/legacy.yaml").read_text())
    assert data["settings"]["moderation"] == [
        {"raw": "metascan"},
        {"raw": "aws_rek:brand_new_label:0.4:explicit:0.6:violense:0.5"},
        "manual",
    ]
    assert data["extra_settings"]["future_param"] == {"mode": "fancy", "levels": [1, 2]}
    assert data["extra_settings"]["live"] == "sometimes"
    assert data["extra_settings"]["Weird Key"] == "kept"
    assert data["settings"]["allowed_formats"] == ["jpg", "png"]
    validated = remote_cli("validate")
    assert validated.exit_code == 0, validated.output
    lints = {line.rsplit("[", 1)[-1].rstrip("]") for line in validated.stdout.splitlines()}
    assert {"raw-moderation", "raw-setting"} <= lints
    plan = remote_cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_import_finds_definitions_in_files_with_errors(project_dir, remote_cli, emulator):
    """A file that does not validate (or does not even parse) still defines its name."""
    shutil.rmtree(project_dir / "presets")
    seed(emulator, [{"name": "alpha", "folder": "a"}, {"name": "beta", "folder": "b"},
                    {"name": "gamma", "folder": "c"}])  # fmt: skip
    write(project_dir, "my-alpha", "name: alpha\nsettings:\n  folder: 3\n")  # invalid
    write(project_dir, "my-beta", "name: beta\nsettings: [unclosed\n")  # does not parse
    write(project_dir, "unrelated", "name: other\nsettings:\n  colour: red\n")

    result = remote_cli("import", "--all")

    assert result.exit_code == 3, result.output
    assert "alpha: already defined in presets/my-alpha.yaml" in result.stderr
    assert "beta: already defined in presets/my-beta.yaml" in result.stderr
    assert not (project_dir / "presets/gamma.yaml").exists(), "all or nothing"
    only_gamma = remote_cli("import", "gamma")
    assert only_gamma.exit_code == 0, only_gamma.output
    assert sorted(p.name for p in (project_dir / "presets").iterdir()) == [
        "gamma.yaml",
        "my-alpha.yaml",
        "my-beta.yaml",
        "unrelated.yaml",
    ]


def test_a_value_no_definition_can_hold_is_refused_by_name(
    project_dir, remote_cli, emulator, stored_as_given
):
    """A control character cannot be written in a definition: import names the preset and
    writes nothing; planning is not disturbed."""
    shutil.rmtree(project_dir / "presets")
    seed(emulator, [{"name": "odd", "unsigned": False, "settings": {"context": "a=\x1f"}}])

    refused = remote_cli("import", "--all")

    assert refused.exit_code == 3, refused.output
    assert "odd: cannot be written as a definition: control character U+001F" in refused.stderr
    assert not (project_dir / "presets").exists() or not any((project_dir / "presets").iterdir())
    plan = plan_json(remote_cli)
    assert [(c["action"], c["remote_name"]) for c in plan["changes"]] == [("unmanaged", "odd")]


# --------------------------------------------------------------------------- unreadable remote


@pytest.fixture
def broken_in_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    """While it stores what it was seeded with, the listing shows the preset ``broken``
    with settings that are not a map (what no decoder can read: a stand-in for any preset
    this tool cannot decode); once something rewrote it, it reads normally."""
    listed = emulator_admin.list_form

    def list_form(row: Any) -> dict[str, object]:
        shown = listed(row)
        if shown["name"] == "broken" and shown["settings"] == {"folder": "whatever"}:
            shown["settings"] = ["not", "a", "map"]
        return shown

    monkeypatch.setattr(emulator_admin, "list_form", list_form)


BROKEN = {"name": "broken", "folder": "whatever"}


def test_an_unreadable_remote_preset_never_aborts_a_plan(
    project_dir, remote_cli, emulator, broken_in_listing
):
    shutil.rmtree(project_dir / "presets")
    seed(emulator, [BROKEN, {"name": "fine", "folder": "f"}])
    write(project_dir, "fine", "name: fine\nsettings:\n  folder: f\n")

    plan = plan_json(remote_cli)
    actions = {c["remote_name"]: c["action"] for c in plan["changes"]}
    assert actions == {"fine": "unchanged", "broken": "unmanaged"}
    assert any(
        w.startswith(
            "broken: unmanaged and left alone: it cannot be read (its settings are not a map"
        )
        for w in plan["warnings"]
    ), plan["warnings"]

    # --prune leaves it alone unless it is named exactly
    pruned = plan_json(remote_cli, "--prune")
    assert {c["remote_name"]: c["action"] for c in pruned["changes"]}["broken"] == "unmanaged"
    assert any("to delete it, plan with `--prune --only broken`" in w for w in pruned["warnings"])
    globbed = plan_json(remote_cli, "--prune", "--only", "b*")
    assert [c["action"] for c in globbed["changes"]] == ["unmanaged"]
    named = remote_cli("apply", "--yes", "--prune", "--only", "broken")
    assert named.exit_code == 0, named.output
    assert [p["name"] for p in emulator.presets("demo")] == ["fine"]

    # import names it and refuses it, writing nothing
    refused = remote_cli("import", "--all", "--force")
    assert refused.exit_code == 0, refused.output  # "broken" is gone now


def test_an_unreadable_remote_preset_that_a_file_defines_is_replaced(
    project_dir, remote_cli, emulator, broken_in_listing
):
    shutil.rmtree(project_dir / "presets")
    seed(emulator, [BROKEN])
    write(project_dir, "broken", "name: broken\nsettings:\n  folder: fixed\n")

    plan = plan_json(remote_cli)
    assert [(c["action"], c["remote_name"]) for c in plan["changes"]] == [("update", "broken")]
    assert any("broken: the remote preset cannot be read" in w for w in plan["warnings"])
    refused = remote_cli("import", "broken", "--force")
    assert refused.exit_code == 3
    assert "broken: cannot be read (its settings are not a map" in refused.stderr

    applied = remote_cli("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert emulator.presets("demo")[0]["settings"]["folder"] == "fixed"
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


# --------------------------------------------------------------------------- property

#: text a definition can hold: nothing invisible but tab and newline (the reader's rule,
#: model/characters.py); import refuses the rest by name (test above)
_TEXT = st.text(
    st.characters().filter(lambda c: not is_invisible(c)) | st.sampled_from("\t\n"),
    max_size=6,
)
#: map keys are one line (the reader's rule)
_KEY_TEXT = _TEXT.filter(lambda text: "\n" not in text and "\t" not in text)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEY_TEXT, inner, max_size=3),
    max_leaves=5,
)
_MODERATOR = st.sampled_from(
    [
        "manual",
        "webpurify",
        "metascan",
        "perception_point",
        "aws_rek",
        "aws_rek:explicit:0.7",
        "aws_rek:violense:0.5",
        "aws_rek:brand_new:0.50:swimwear_or_underwear:ignore",
        "aws_rek:explicit_nudity:2",
        "aws_rek:a:0.5:a:0.6",
        "aws_rek:drugs_tobacco:0.5:drugs_and_tobacco:0.6",
        "aws_rek:odd",
        "aws_rek_video:violence:ignore",
        "duplicate:0.8",
        "duplicate:x",
        "google_video_moderation:possible",
        "google_video_moderation:sometimes",
        "",
    ]
)
#: plausible wire values of some modelled settings (valid or almost)
_WIRE = {
    "tags": st.sampled_from(["a,b", "a,a", "b, a", ",", "x"])
    | st.lists(st.sampled_from("ab"), max_size=3),
    "allowed_formats": st.sampled_from(["jpg,png", "JPG,jpg", "webp"]),
    "context": st.sampled_from(["a=1|b=2", "a=x\\=y", "novalue", "k=v|k=w"]),
    "transformation": st.sampled_from(["c_scale,w_100", "zz_1", "w_100/h_50", "c_fill,w_1,w_2"]),
    "eager": st.sampled_from(["c_thumb,w_50|w_100/webp", "??"]),
    "overwrite": st.sampled_from([True, False, "1", "0", "maybe"]),
    "auto_tagging": st.sampled_from(["0.7", "0.70", "2", "x", 0.5]),
    "notification_url": st.sampled_from(["https://h.example.com/x?token=1", "not a url"]),
    "face_coordinates": st.sampled_from(["1,2,3,4", "1,2,3", "a,b"]),
    "access_control": st.sampled_from(
        ['[{"access_type":"anonymous"}]', "[", '[{"access_type":"x"}]']
    ),
    "type": st.sampled_from(["upload", "private", "secret"]),
    "folder": st.sampled_from(["f", " ", "a/b"]),
    "moderation": st.lists(_MODERATOR, min_size=1, max_size=4).map("|".join),
    "live": st.sampled_from([True, False, "true", "sometimes"]),
    "disallow_public_id": st.sampled_from([True, "0", "nope"]),
    "parameter_whitelist": st.sampled_from(
        ["none", "tags,folder", "tags,tags", "tgs", "tags,mine"]
    ),
}
_KEY = st.sampled_from(sorted(SETTING_KEYS)) | st.text(
    "abcdefghijklmnopqrstuvwxyzABCZ_-.: ", min_size=1, max_size=10
).filter(lambda k: k not in ("name", "unsigned") and k.strip() == k)
_SETTINGS = st.dictionaries(_KEY, _JSON, max_size=4).flatmap(
    lambda junk: st.fixed_dictionaries({}, optional=_WIRE).map(lambda wire: {**junk, **wire})
)
_REMOTE = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12),
            "unsigned": st.booleans(),
            "settings": _SETTINGS,
        }
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda p: p["name"],
)


@settings(E2E_PROPERTY, max_examples=50)
@given(remote=_REMOTE)
def test_whatever_the_remote_holds_imports_losslessly_and_plans_unchanged(
    remote, project_dir, remote_cli, emulator, stored_as_given, response_form, admin
):
    shutil.rmtree(project_dir / "presets", ignore_errors=True)
    seed(emulator, remote)
    listed = {p["name"]: p for p in admin.list_presets()}  # in the form the client reads

    imported = remote_cli("import", "--all")
    assert imported.exit_code == 0, (remote, imported.output)
    validated = remote_cli("validate")
    assert validated.exit_code == 0, (remote, validated.output)
    plan = remote_cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, (remote, plan.output)

    # nothing dropped: every stored parameter is in the file, and would be sent back
    project = Project.open(project_dir)
    for desired in project.desired(project.environment(None), {}):
        stored = stored_keys(listed[desired.remote_name])
        assert stored <= sent_keys(desired.preset), (desired.remote_name, stored)
        assert decode(listed[desired.remote_name]).preset.canonical() == desired.preset.canonical()
