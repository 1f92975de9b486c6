"""``presets fmt``: canonical layout, every comment kept, meaning never changed, ``--check``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cloudinary_presets.definitions.formatting import format_checked, format_text
from cloudinary_presets.errors import FormatRefused

REPO = Path(__file__).resolve().parents[2]

MESSY = """\
# yaml-language-server: $schema=../schemas/preset.schema.json
# Moderated community uploads.

settings:   # what every upload gets
    # about tags
    tags: [ugc, 'moderated']
    folder: 'ugc'    # where assets go
    moderation:
        - aws_rek:
              explicit_nudity: 0.70     # reject at 70 %
              # the swimwear rule
              suggestive: ignore
        - manual                         # a person reviews
    # the transformation, then the formats
    transformation: |-
          c_limit,h_2000,w_2000
    allowed_formats: [jpg, png]
# the preset's name
name: ugc   # unique in the cloud
unsigned: false
description: "Community uploads"
# end of file
"""

CANONICAL = """\
# yaml-language-server: $schema=../schemas/preset.schema.json
# Moderated community uploads.

# the preset's name
name: ugc   # unique in the cloud
description: Community uploads
unsigned: false
settings:   # what every upload gets
  folder: ugc        # where assets go
  allowed_formats: [jpg, png]
  # the transformation, then the formats
  transformation: |-
    c_limit,h_2000,w_2000
  # about tags
  tags: [ugc, moderated]
  moderation:
    - aws_rek:
        explicit_nudity: 0.70           # reject at 70 %
        # the swimwear rule
        suggestive: ignore
    - manual                             # a person reviews
# end of file
"""


def _resolved(rendered: str) -> list[str]:
    """`presets render` output without its `# file:line` headers."""
    return [line for line in rendered.splitlines() if not line.startswith("# presets/")]


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    for name, text in files.items():
        path = root / "presets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_fmt_orders_keys_indents_unquotes_and_keeps_every_comment(tmp_path, monkeypatch, cli):
    root = _project(tmp_path, monkeypatch, {"ugc.yaml": MESSY})
    before = cli("render")
    assert before.exit_code == 0, before.output

    result = cli("fmt")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "reformatted presets/ugc.yaml",
        "1 file(s) reformatted, 0 already formatted",
    ]
    assert (root / "presets" / "ugc.yaml").read_text() == CANONICAL
    after = cli("render")
    assert _resolved(after.stdout) == _resolved(before.stdout), "formatting changed the meaning"
    assert "# presets/ugc.yaml:5 " in after.stdout  # only where `name` is has moved
    again = cli("fmt", "--check")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == ["0 file(s) would be reformatted, 1 already formatted"]


def test_fmt_check_names_the_files_and_changes_nothing(tmp_path, monkeypatch, cli):
    root = _project(
        tmp_path,
        monkeypatch,
        {"a.yaml": MESSY.replace("name: ugc", "name: a"), "b.yaml": CANONICAL.replace("ugc", "b")},
    )
    before = (root / "presets" / "a.yaml").read_bytes()
    stat = (root / "presets" / "a.yaml").stat()

    result = cli("fmt", "--check")

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == [
        "would reformat presets/a.yaml",
        "1 file(s) would be reformatted, 1 already formatted",
    ]
    assert (root / "presets" / "a.yaml").read_bytes() == before
    assert (root / "presets" / "a.yaml").stat().st_mtime_ns == stat.st_mtime_ns
    as_json = cli("fmt", "--check", "--json")
    assert as_json.exit_code == 1
    assert '"changed": [\n    "presets/a.yaml"\n  ]' in as_json.stdout


def test_fmt_takes_files_and_folders_and_keeps_file_modes(tmp_path, monkeypatch, cli):
    root = _project(tmp_path, monkeypatch, {"a.yaml": MESSY, "sub/b.yaml": MESSY})
    (root / "presets" / "a.yaml").chmod(0o640)
    result = cli("fmt", "presets/a.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "reformatted presets/a.yaml"
    assert (root / "presets" / "a.yaml").stat().st_mode & 0o777 == 0o640
    assert (root / "presets" / "sub" / "b.yaml").read_text() == MESSY, "not named: untouched"
    assert not [p for p in (root / "presets").rglob("*") if p.name.endswith(".tmp")]


def test_fmt_leaves_invalid_yaml_alone_and_says_where(tmp_path, monkeypatch, cli):
    broken = "name: x\nsettings: {folder: [unclosed\n"
    root = _project(tmp_path, monkeypatch, {"bad.yaml": broken, "good.yaml": MESSY})
    result = cli("fmt")
    assert result.exit_code == 1
    assert result.stderr.startswith("presets/bad.yaml:")
    assert "1 file(s) reformatted, 0 already formatted, 1 left as is" in result.stdout
    assert (root / "presets" / "bad.yaml").read_text() == broken
    assert (root / "presets" / "good.yaml").read_text() == CANONICAL


def test_the_repository_presets_are_formatted(cli, monkeypatch):
    monkeypatch.chdir(REPO)
    result = cli("fmt", "--check", "presets", "examples/multi-env/presets")
    assert result.exit_code == 0, result.output


def test_fmt_works_from_a_subfolder(tmp_path, monkeypatch, cli):
    root = _project(tmp_path, monkeypatch, {"sub/a.yaml": MESSY})
    monkeypatch.chdir(root / "presets" / "sub")
    result = cli("fmt")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "reformatted a.yaml"
    assert (root / "presets" / "sub" / "a.yaml").read_text() == CANONICAL


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # plain values stay as written: same text, same meaning
        ("name: a\nsettings: {folder: 0755, tags: [yes, 1e3]}\n", None),
        # quotes go only where the strict reader or a YAML 1.1 reader would misread
        (
            "name: 'a'\ndescription: 'yes'\n"
            'settings:\n  folder: "1e3"\n  tags: [\'x y\', "a: b"]\n',
            'name: a\ndescription: "yes"\nsettings:\n  folder: "1e3"\n  tags: [x y, "a: b"]\n',
        ),
        # a flow list with a comment inside becomes a block list; the comment stays
        (
            "name: a\nsettings:\n  tags: [a,  # first\n    b]\n",
            "name: a\nsettings:\n  tags:\n    - a      # first\n    - b\n",
        ),
        # `|+` keeps its trailing blank lines, and no blank line is added after them
        (
            "settings:\n  eval: |+\n    x\n\n\nname: a\n",
            "name: a\nsettings:\n  eval: |+\n    x\n\n\n",
        ),
        # explicit tags and the document start survive
        ("---\nname: a\nextra_settings: {x: !!str 12}\n", None),
        # unknown keys keep their place after the known ones
        ("zeta: 1\nname: a\nalpha: 2\n", "name: a\nzeta: 1\nalpha: 2\n"),
    ],
)
def test_format_cases(source, expected):
    formatted = format_checked(source, "x.yaml")
    assert formatted == (source if expected is None else expected)
    assert format_text(formatted) == formatted


def test_tabs_never_become_plain():
    formatted = format_checked('name: a\ndescription: "tab\\there"\n', "x.yaml")
    assert formatted == 'name: a\ndescription: "tab\\there"\n'


@pytest.mark.parametrize(
    "source", ["- a\n- b\n", "%YAML 1.2\n---\nname: a\n"], ids=["not-a-map", "directive"]
)
def test_what_fmt_does_not_handle_is_refused_not_mangled(source):
    with pytest.raises(FormatRefused):
        format_checked(source, "x.yaml")


def test_a_formatter_bug_is_caught_before_anything_is_written(tmp_path, monkeypatch, cli):
    """The safety net: a result that reads differently is refused, the file kept."""
    import cloudinary_presets.definitions.formatting as formatting

    root = _project(tmp_path, monkeypatch, {"a.yaml": MESSY})
    monkeypatch.setattr(formatting, "format_text", lambda text: text.replace("0.70", "0.9"))
    result = cli("fmt")
    assert result.exit_code == 1
    assert "formatting would change what the file means; left as is" in result.stderr
    assert (root / "presets" / "a.yaml").read_text() == MESSY
    monkeypatch.setattr(formatting, "format_text", lambda text: text.replace("# end of file", ""))
    result = cli("fmt")
    assert "formatting would lose a comment; left as is" in result.stderr
    assert (root / "presets" / "a.yaml").read_text() == MESSY


def test_pre_commit_hook_runs_fmt_on_preset_files():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["presets-fmt"]
    assert hook["entry"] == "presets fmt"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert re.match(hook["files"], "presets/a/b.yaml")
    assert not re.match(hook["files"], "cloudinary-presets.yaml")


def test_the_init_example_and_imported_files_are_already_formatted(project_dir, remote_cli):
    assert remote_cli("apply", "--yes").exit_code == 0
    shutil.rmtree(project_dir / "presets")
    assert remote_cli("import", "--all").exit_code == 0
    assert remote_cli("init", "--root", "fresh").exit_code == 0
    result = remote_cli("fmt", "--check", "presets", "fresh/presets")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["0 file(s) would be reformatted, 4 already formatted"]
