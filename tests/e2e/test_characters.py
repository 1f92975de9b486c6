"""Names, characters and wire escaping are checked before anything is sent (issue 10, item 7).

* Remote names (prefix + name) are validated per environment: at most 255 characters of
  the name alphabet, and never carrying another environment's prefix.
* Bidi controls, zero-width and other invisible or control characters are refused in
  every name and value, also when a variable brings them in; whatever a remote preset
  holds is shown escaped by every renderer, never raw.
* Context and metadata values with ``|`` or ``=`` round-trip (apply, then the plan is
  empty), exactly as the official SDK encodes them; a backslash is refused at validation,
  so an apply never fails halfway because of one.
"""

from __future__ import annotations

import json
import string

import cloudinary.utils
import pytest
from e2e_helpers import config, names, only_presets, plan_json, write, write_requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudinary_presets.cloudinary.codec import encode
from cloudinary_presets.model.characters import escape_invisible

LONG_PREFIX = "p" * 60 + "_"


# --------------------------------------------------------------------------- remote names


def test_remote_names_are_checked_per_environment(project_dir, cli, cloudinary_url, emulator):
    config(
        project_dir,
        f"environments:\n  staging: {{name_prefix: {LONG_PREFIX}, credentials: {{env: URL}}}}\n"
        "  production: {credentials: {env: URL}}\n  dev: {name_prefix: stg_, emulator: true}\n",
    )
    cli.env["URL"] = cloudinary_url
    only_presets(project_dir)
    long_name = "n" * 200
    write(project_dir, "long", f"name: {long_name}\nsettings:\n  folder: f\n")
    write(project_dir, "clash", "name: stg_banner\nsettings:\n  folder: f\n")

    staging = cli("validate", "--env", "staging")
    assert staging.exit_code == 1, staging.output
    assert "presets/long.yaml:1:7: error: name: remote name 'pppppppppp" in staging.stdout
    assert (
        f"...' (261 characters) (name_prefix {LONG_PREFIX!r} + name) is not 1 to 255 of "
        "A-Z a-z 0-9 _ -" in staging.stdout
    )
    assert "clash" not in staging.stdout  # p..._stg_banner carries staging's own prefix

    production = cli("plan", "--env", "production")
    assert production.exit_code == 1, production.output
    assert (
        "presets/clash.yaml:1:7: error: name: remote name 'stg_banner' in environment "
        "'production' carries the name_prefix 'stg_' of another environment, which would "
        "take it for its own (and could prune it); rename the preset" in production.stderr
    )
    assert "long.yaml" not in production.stderr  # 200 characters without a prefix: fine
    assert emulator.stats()["admin_calls"] == 0, "nothing is read before the names are valid"


# --------------------------------------------------------------------------- characters


@pytest.mark.parametrize(
    ("char", "described"),
    [
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\u00ad", "U+00AD (SOFT HYPHEN)"),
        ("\U000e0041", "U+E0041 (TAG LATIN CAPITAL LETTER A)"),
        ("\u3164", "U+3164 (HANGUL FILLER)"),
        ("\r", "U+000D (CARRIAGE RETURN)"),
    ],
)
def test_a_variable_cannot_bring_an_invisible_character_in(
    char, described, project_dir, remote_cli, emulator
):
    only_presets(project_dir)
    write(project_dir, "doc", 'name: doc\nsettings:\n  folder: "docs/${env:FOLDER}"\n')
    result = remote_cli("plan", env={"FOLDER": f"invoice{char}fdp.exe"})
    assert result.exit_code == 1, result.output
    assert (
        f"presets/doc.yaml:3:11: error: settings.folder: {described} at character 13 of the "
        "value: invisible and control characters can make a reviewed value read differently "
        "from what is sent; remove it" in result.stderr
    )
    assert char not in result.output
    assert emulator.stats()["admin_calls"] == 0


NASTY_NAME = "legacy\u202egpj.exe\x1b[2J\nfake line"
NASTY_VALUE = "ok\u200b\u2067hidden\x1b[8mconcealed\r"


def test_renderers_show_control_characters_escaped(project_dir, remote_cli, emulator, tmp_path):
    only_presets(project_dir)
    write(project_dir, "shown", "name: shown\nsettings:\n  folder: clean\n")
    emulator.seed_presets(
        "demo",
        [
            {"name": NASTY_NAME, "folder": NASTY_VALUE},
            {"name": "shown", "folder": NASTY_VALUE, "tags": NASTY_VALUE},
        ],
    )
    summary = tmp_path / "summary.md"
    outputs = {}
    for fmt in ("text", "markdown", "json"):
        result = remote_cli(
            "plan", "--prune", "--force", "--format", fmt, "--out", f"{fmt}.json",
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.stdout
    outputs["summary"] = summary.read_text()
    outputs["plan file"] = (project_dir / "text.json").read_text()
    for where, text in outputs.items():
        hidden = [c for c in "\u202e\u200b\u2067\x1b\r" if c in text]
        assert hidden == [], f"{where} shows {hidden!r} raw"
    assert "- delete legacy\\u202egpj.exe\\u001b[2J\\nfake line" in outputs["text"]
    assert (
        '~ settings.folder: "ok\\u200b\\u2067hidden\\u001b[8mconcealed\\r" -> "clean"'
        in outputs["text"]
    )
    assert "<code>- legacy\\u202egpj.exe\\u001b[2J\\nfake line</code>" in outputs["markdown"]
    data = json.loads(outputs["json"])  # escaped JSON is still JSON, with the same content
    assert NASTY_NAME in [c["remote_name"] for c in data["changes"]]
    assert json.loads(outputs["plan file"])["changes"] == data["changes"]
    assert write_requests(emulator) == 0


def test_validate_annotations_escape_control_characters(project_dir, cli):
    only_presets(project_dir)
    write(project_dir, "bad", 'name: bad\nsettings:\n  folder: "a\\u202eb"\n')
    result = cli("validate", "--format", "github")
    assert result.exit_code == 1
    assert "\u202e" not in result.stdout
    assert "::error file=presets/bad.yaml,line=3,col=11," in result.stdout


# --------------------------------------------------------------------------- wire escaping

CONTEXT_TEXT = st.text(
    alphabet=st.sampled_from("ab=|\\ é,:\"'[]1"), min_size=0, max_size=12
) | st.sampled_from(["[1]", '["a"]', "[]", "[a", "a=b|c=d", "|", "="])
# the characters the k=v|k2=v2 form cares about, some that it does not, and values that
# read as a multi-select list
CONTEXT = st.dictionaries(
    st.text(alphabet=string.ascii_letters + "_.:-", min_size=1, max_size=6),
    CONTEXT_TEXT,
    min_size=1,
    max_size=3,
)


def _reads_as_list(text: str) -> bool:
    try:
        return text.startswith("[") and isinstance(json.loads(text), list)
    except ValueError:
        return False


def _yaml_map(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k!r}: {json.dumps(v)}" for k, v in values.items()) + "}"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(context=CONTEXT, metadata=CONTEXT)
def test_context_and_metadata_round_trip_or_are_refused(
    context, metadata, project_dir, remote_cli, emulator
):
    emulator.reset()
    only_presets(project_dir)
    write(
        project_dir,
        "ctx",
        f"name: ctx\nsettings:\n  context: {_yaml_map(context)}\n"
        f"  metadata: {_yaml_map(metadata)}\n",
    )
    write(project_dir, "other", "name: other\nsettings:\n  folder: f\n")
    writes = write_requests(emulator)
    result = remote_cli("apply", "--yes")
    values = [*context.values(), *metadata.values()]
    listy = [v for v in metadata.values() if _reads_as_list(v)]
    if any("\\" in v for v in values) or listy:
        assert result.exit_code == 1, result.output  # refused before anything is sent
        assert "value contains a backslash" in result.stderr or "reads as a JSON list" in (
            result.stderr
        )
        assert write_requests(emulator) == writes, "an apply never fails halfway"
        return
    assert result.exit_code == 0, result.output
    plan = plan_json(remote_cli)
    assert not plan["summary"]["has_changes"], plan["changes"]
    stored = next(p for p in emulator.presets("demo") if p["name"] == "ctx")["settings"]
    # exactly what the official SDK sends for the same values
    assert stored["context"] == cloudinary.utils.encode_context(context)
    assert stored["metadata"] == cloudinary.utils.encode_context(metadata)
    assert sorted(names(emulator)) == ["ctx", "other"]


def test_the_codec_escapes_like_the_sdk():
    from cloudinary_presets.model.preset import Preset

    values = {"alt": "x=y|z", "note": "a|b=c=d", "q": 'say "hi"'}
    body = encode(Preset.model_validate({"name": "p", "settings": {"context": values}}))
    assert body["context"] == cloudinary.utils.encode_context(values)
    assert escape_invisible(body["context"]) == body["context"]
