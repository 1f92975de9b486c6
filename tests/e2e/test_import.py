"""`presets import`: adopt remote presets as canonical YAML; afterwards plan shows them
unchanged. Refuses to overwrite (exit 3) unless --force; a property test imports
presets created with the official SDK and checks the round trip."""

from __future__ import annotations

import shutil

import pytest
from e2e_helpers import E2E_PROPERTY, config, names, only_presets, plan_json, requests, write
from hypothesis import given
from hypothesis import strategies as st

from cloudinary_presets.definitions.yaml_writer import dump_preset
from strategies import presets as shared_presets

EXAMPLES = ["avatar", "product-images", "ugc-moderated"]


def test_import_one_preset_then_plan_shows_it_unchanged(project_dir, remote_cli, emulator, sdk):
    only_presets(project_dir)
    sdk.create_upload_preset(
        name="legacy",
        unsigned=True,
        disallow_public_id=True,
        asset_folder="legacy uploads",
        tags=["old", "kept"],
        allowed_formats=["jpg", "png"],
        context={"team": "web", "note": "a=b|c"},
        transformation=[{"crop": "limit", "width": 800, "height": 600}],
        moderation="aws_rek:violence:0.7|manual",
        notification_url="https://hooks.example.com/legacy?token=abc",
    )

    result = remote_cli("import", "legacy")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Target: cloud 'demo' at http://127.0.0.1:")
    assert "imported legacy -> presets/legacy.yaml" in result.stdout
    assert (
        "1 preset(s) imported; run `presets plan` to check that nothing changes." in result.stdout
    )
    assert requests(emulator)["GET /upload_presets"] == 1
    assert requests(emulator)["GET /upload_presets/{name}"] == 0

    text = (project_dir / "presets/legacy.yaml").read_text()
    assert text.startswith(
        "# yaml-language-server: $schema=../schemas/preset.schema.json\n"
        "# imported from cloud 'demo' at http://127.0.0.1:"
    )
    assert "\nname: legacy\nunsigned: true\ndisallow_public_id: true\n" in text
    assert "  transformation: c_limit,h_600,w_800\n" in text
    assert "    - aws_rek:\n        violence: 0.7\n    - manual\n" in text
    assert "    note: a=b|c\n" in text

    assert remote_cli("validate").exit_code == 0
    plan = remote_cli("plan", "--detailed-exitcode", "-v")
    assert plan.exit_code == 0, plan.output
    assert "= unchanged legacy    presets/legacy.yaml:3" in plan.stdout
    assert "No changes. The remote matches the definitions. 1 unchanged." in plan.stdout


def test_import_all_recreates_the_definitions(project_dir, remote_cli, emulator):
    config(project_dir, "ignore: [ml_*]\n")
    emulator.seed_presets("demo", [{"name": "ml_default", "tags": "x"}])
    assert remote_cli("apply", "--yes").exit_code == 0
    shutil.rmtree(project_dir / "presets")
    writes = emulator.stats()["writes"]

    result = remote_cli("import", "--all")

    assert result.exit_code == 0, result.output
    assert "3 preset(s) imported" in result.stdout
    assert sorted(p.name for p in (project_dir / "presets").iterdir()) == [
        f"{n}.yaml" for n in EXAMPLES
    ]
    assert emulator.stats()["writes"] == writes, "import never writes to Cloudinary"
    plan = plan_json(remote_cli)
    assert plan["summary"]["unchanged"] == 3
    assert not plan["summary"]["has_changes"]


def test_import_globs_and_unknown_names(project_dir, remote_cli, emulator):
    emulator.seed_presets(
        "demo",
        [
            {"name": "team-a", "folder": "a"},
            {"name": "team-b", "folder": "b"},
            {"name": "other", "folder": "o"},
        ],
    )
    result = remote_cli("import", "team-*")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project_dir / "presets").glob("team-*.yaml")) == [
        "team-a.yaml",
        "team-b.yaml",
    ]
    assert not (project_dir / "presets/other.yaml").exists()

    unknown = remote_cli("import", "tema-a")
    assert unknown.exit_code == 64
    assert "error: no remote preset named 'tema-a'" in unknown.stderr
    assert remote_cli("import").exit_code == 64  # neither names nor --all


def test_import_refuses_to_overwrite_and_writes_nothing(project_dir, remote_cli, emulator):
    emulator.seed_presets(
        "demo", [{"name": "legacy", "folder": "remote"}, {"name": "fresh", "folder": "f"}]
    )
    assert remote_cli("apply", "--yes").exit_code == 0
    mine = write(project_dir, "legacy", "name: legacy\nsettings:\n  folder: local\n")
    before = {p.name: p.read_bytes() for p in (project_dir / "presets").iterdir()}

    result = remote_cli("import", "--all")

    assert result.exit_code == 3, result.output
    assert "error: import refused; nothing was written:" in result.stderr
    assert (
        "  legacy: already defined in presets/legacy.yaml (use --force to overwrite)"
        in result.stderr
    )
    assert (
        "  avatar: already defined in presets/avatar.yaml (use --force to overwrite)"
        in result.stderr
    )
    assert {p.name: p.read_bytes() for p in (project_dir / "presets").iterdir()} == before
    assert not (project_dir / "presets/fresh.yaml").exists(), "all or nothing"

    mine.unlink()
    write(project_dir, "notes", "name: notes\nsettings:\n  folder: n\n")
    (project_dir / "presets/legacy.yaml").write_text(
        "# a file that defines nothing yet\nname: notes2\n"
    )
    clash = remote_cli("import", "legacy")
    assert clash.exit_code == 3
    assert "  legacy: presets/legacy.yaml exists (use --force to overwrite)" in clash.stderr


def test_import_force_overwrites_the_file_that_defines_the_preset(
    project_dir, remote_cli, emulator, sdk
):
    assert remote_cli("apply", "--yes").exit_code == 0
    # the definition lives in a file named differently from the preset
    (project_dir / "presets/ugc-moderated.yaml").rename(project_dir / "presets/community.yaml")
    sdk.update_upload_preset("ugc-moderated", folder="ugc-edited", tags="ugc")
    assert plan_json(remote_cli)["summary"]["update"] == 1

    result = remote_cli("import", "ugc-moderated", "--force")

    assert result.exit_code == 0, result.output
    assert "imported ugc-moderated -> presets/community.yaml" in result.stdout
    assert not (project_dir / "presets/ugc-moderated.yaml").exists(), "no duplicate definition"
    assert "folder: ugc-edited" in (project_dir / "presets/community.yaml").read_text()
    plan = remote_cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_import_with_an_environment_strips_its_name_prefix(
    project_dir, cli, emulator, cloudinary_url
):
    config(
        project_dir,
        "environments:\n  staging:\n    name_prefix: stg-\n    credentials: {env: STAGING_URL}\n",
    )
    cli.env["STAGING_URL"] = cloudinary_url
    emulator.seed_presets(
        "demo", [{"name": "stg-banner", "folder": "banners"}, {"name": "prod-only", "folder": "p"}]
    )

    refused = cli("import", "prod-only", "--env", "staging")
    assert refused.exit_code == 64
    assert (
        "no remote preset named 'prod-only' in this environment's scope (prod-only does not "
        "start with this environment's name_prefix 'stg-')" in refused.stderr
    )
    assert not (project_dir / "presets/banner.yaml").exists()

    result = cli("import", "stg-*", "--env", "staging")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("Target: environment 'staging': cloud 'demo'")
    assert "imported stg-banner -> presets/banner.yaml" in result.stdout
    assert "name: banner\n" in (project_dir / "presets/banner.yaml").read_text()
    plan = plan_json(cli, "--env", "staging", "--only", "stg-banner")
    assert plan["summary"]["unchanged"] == 1
    assert not plan["summary"]["has_changes"]
    assert names(emulator) == ["prod-only", "stg-banner"]


def test_remote_names_that_cannot_be_file_names_are_refused(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    emulator.seed_presets(
        "demo",
        [
            {"name": "../../escape", "folder": "x"},
            {"name": "a/b", "folder": "y"},
            {"name": "fine", "folder": "z"},
        ],
    )

    result = remote_cli("import", "--all")

    assert result.exit_code == 3, result.output
    assert "  ../../escape: '../../escape' cannot be a definition's name" in result.stderr
    assert "  a/b: 'a/b' cannot be a definition's name" in result.stderr
    assert sorted(p.name for p in project_dir.parent.rglob("*.yaml")) == [], "nothing was written"

    config(project_dir, "ignore: ['../*', 'a/*']\n")
    assert remote_cli("import", "--all").exit_code == 0
    assert [p.name for p in (project_dir / "presets").iterdir()] == ["fine.yaml"]


def test_a_name_of_255_characters_gets_a_short_file_name(project_dir, remote_cli, emulator):
    only_presets(project_dir)
    long_name = "n" * 255
    emulator.seed_presets("demo", [{"name": long_name, "folder": "x"}])

    result = remote_cli("import", "--all")

    assert result.exit_code == 0, result.output
    (path,) = (project_dir / "presets").iterdir()
    assert len(path.name) == 255
    assert path.name.startswith("n" * 237 + "-")
    assert f"name: {long_name}\n" in path.read_text()
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


# --------------------------------------------------------------------------- property: round trip

#: strings YAML 1.1 (or a careless dumper) would turn into something else
_TRICKY = st.sampled_from(
    [
        "yes",
        "no",
        "NO",
        "null",
        "~",
        "true",
        "1.10",
        "0755",
        "1e3",
        "12:30",
        "#hash",
        "a: b",
        "- x",
        "[x]",
        "{x}",
        "'q'",
        '"dq"',
        "café",
        "日本",
        "%x",
        "@at",
    ]
)
_TEXT = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 _-./", min_size=1, max_size=20).filter(
        lambda s: s.strip() == s and s.strip("/") == s and "//" not in s
    ),
    _TRICKY,
)
_WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
_MODERATION = st.sampled_from(
    [
        "manual",
        "aws_rek",
        "webpurify|manual",
        "perception_point",
        "duplicate:0.8",
        "aws_rek:explicit_nudity:0.7|manual",
        "aws_rek:suggestive:ignore:violence:0.85",
        "aws_rek_video:violence:0.6|google_video_moderation:likely",
    ]
)
_STEP = st.fixed_dictionaries(
    {"crop": st.sampled_from(["limit", "fill", "scale", "thumb"])},
    optional={
        "width": st.integers(1, 4000),
        "height": st.integers(1, 4000),
        "quality": st.sampled_from(["auto", "auto:good", "80"]),
        "gravity": st.sampled_from(["auto", "face", "north"]),
    },
)
_OPTIONS = st.fixed_dictionaries(
    {"unsigned": st.booleans(), "disallow_public_id": st.booleans()},
    optional={
        "folder": _TEXT,
        "asset_folder": _TEXT,
        "tags": st.lists(_TEXT, min_size=1, max_size=4, unique=True),
        "allowed_formats": st.lists(
            st.sampled_from(["jpg", "png", "webp", "gif", "mp4", "pdf"]),
            min_size=1,
            max_size=4,
            unique=True,
        ),
        "context": st.dictionaries(
            _WORD,
            st.one_of(st.text("ab=|:, xy", min_size=1, max_size=8), _TRICKY),
            min_size=1,
            max_size=3,
        ),
        "transformation": st.lists(_STEP, min_size=1, max_size=3),
        "moderation": _MODERATION,
        "use_filename": st.booleans(),
        "unique_filename": st.booleans(),
        "overwrite": st.booleans(),
        "invalidate": st.booleans(),
        "backup": st.booleans(),
        "auto_tagging": st.integers(1, 99).map(lambda n: n / 100),
        "notification_url": _WORD.map(lambda w: f"https://hooks.example.com/{w}"),
        "eval": st.just("upload_options['tags'] = 'x'"),
        "face_coordinates": st.lists(
            st.lists(st.integers(0, 500), min_size=4, max_size=4), min_size=1, max_size=2
        ),
        "eager": st.lists(_STEP, min_size=1, max_size=3),
        "categorization": st.sampled_from(["google_tagging", "aws_rek_tagging,imagga_tagging"]),
        "type": st.sampled_from(["upload", "private", "authenticated"]),
        "display_name": _TEXT,
        "quality_override": st.sampled_from(["80", "auto:best"]),
        "access_control": st.lists(
            st.fixed_dictionaries({"access_type": st.sampled_from(["token", "anonymous"])}),
            min_size=1,
            max_size=2,
        ),
        "auto_transcription": st.one_of(st.booleans(), st.just({"translate": ["fr", "de"]})),
    },
)
_PRESETS = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=16),
    _OPTIONS,
    min_size=1,
    max_size=4,
)


@E2E_PROPERTY
@given(presets=_PRESETS)
def test_import_round_trip_of_sdk_created_presets(presets, project_dir, remote_cli, emulator, sdk):
    emulator.reset()
    shutil.rmtree(project_dir / "presets", ignore_errors=True)
    for name, options in presets.items():
        sdk.create_upload_preset(name=name, **options)

    imported = remote_cli("import", "--all")
    assert imported.exit_code == 0, imported.output
    assert f"{len(presets)} preset(s) imported" in imported.stdout

    plan = remote_cli("plan", "--format", "json", "--detailed-exitcode")
    assert plan.exit_code == 0, (presets, plan.output)


@pytest.mark.parametrize("name", ["avatar", "ugc-moderated"])
def test_imported_examples_equal_their_definitions(name, project_dir, remote_cli, tmp_path):
    """Import writes the canonical form: what `presets render` shows for the definition."""
    assert remote_cli("apply", "--yes").exit_code == 0
    rendered = remote_cli("render", name)
    original = project_dir / f"presets/{name}.yaml"
    original.unlink()
    assert remote_cli("import", name).exit_code == 0
    again = remote_cli("render", name)
    body = [line for line in again.stdout.splitlines() if not line.startswith("#")]
    expected = [
        line
        for line in rendered.stdout.splitlines()
        if not line.startswith("#") and not line.startswith("description:")
    ]
    assert body == expected


# ------------------------------------------------------------------ property: shared strategies

_DEFINED = st.lists(
    shared_presets(max_settings=6), min_size=1, max_size=3, unique_by=lambda p: p.name
)


@E2E_PROPERTY
@given(defined=_DEFINED)
def test_import_round_trip_of_presets_created_by_our_client(
    defined, project_dir, remote_cli, emulator, remote
):
    """Whatever Cloudinary stores for a valid preset, import writes YAML that plans unchanged."""
    emulator.reset()
    shutil.rmtree(project_dir / "presets", ignore_errors=True)
    for preset in defined:
        remote.create(preset.name, preset)

    imported = remote_cli("import", "--all")
    assert imported.exit_code == 0, imported.output

    plan = remote_cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


@E2E_PROPERTY
@given(defined=_DEFINED)
def test_acceptance_for_generated_definitions(defined, project_dir, remote_cli, emulator):
    """Terraform's rule for generated definitions: after apply, plan is empty."""
    emulator.reset()
    shutil.rmtree(project_dir / "presets", ignore_errors=True)
    for index, preset in enumerate(defined):  # file names need not be preset names
        write(project_dir, f"generated-{index}", dump_preset(preset))

    applied = remote_cli("apply", "--yes", "--force")
    assert applied.exit_code == 0, applied.output
    plan = remote_cli("plan", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_a_context_value_ending_in_a_backslash_is_refused_before_any_call(
    project_dir, remote_cli, emulator
):
    """Cloudinary's k=v|k2=v2 form cannot carry a backslash unambiguously (its escape)."""
    only_presets(project_dir)
    write(project_dir, "slash", 'name: slash\nsettings:\n  context:\n    a: "x\\\\"\n    b: "y"\n')
    result = remote_cli("apply", "--yes")
    assert result.exit_code == 1
    assert (
        "presets/slash.yaml:4:8: error: settings.context.a: value contains a backslash"
        in result.stderr
    )
    assert emulator.stats()["admin_calls"] == 0
    assert emulator.presets("demo") == []
