"""Policy lints: each id fires on a minimal preset, warns (exit 0), errors with --strict
(exit 1), and is silenced per preset by ``ignore_lints``."""

# ruff: noqa: E501

from __future__ import annotations

import json
from pathlib import Path

import pytest
from defs_support import Runner

from cloudinary_presets.definitions.lints import LINT_IDS

#: lint id -> (a minimal preset that triggers only that lint, the warning it prints)
LINT_CASES: dict[str, tuple[str, str]] = {
    "unsigned-without-allowed-formats": (
        "name: lint-formats\nunsigned: true\ndisallow_public_id: true\nsettings:\n  moderation: manual\n",
        "2:1: warning: unsigned: unsigned preset accepts any file type: anyone who knows its name can upload executables or huge videos; set settings.allowed_formats [unsigned-without-allowed-formats]",
    ),
    "unsigned-without-moderation": (
        "name: lint-moderation\nunsigned: true\ndisallow_public_id: true\nsettings:\n  allowed_formats: [jpg]\n",
        "2:1: warning: unsigned: unsigned preset has no moderation: anonymous uploads are published unreviewed; set settings.moderation (e.g. aws_rek, or manual) [unsigned-without-moderation]",
    ),
    "unsigned-overwrite": (
        "name: lint-overwrite\nunsigned: true\ndisallow_public_id: true\nsettings:\n  allowed_formats: [jpg]\n  moderation: manual\n  overwrite: true\n",
        "7:3: warning: settings.overwrite: overwrite: true on an unsigned preset invites anonymous replacement of assets (Cloudinary forces it off for unsigned uploads, so it only hides intent) [unsigned-overwrite]",
    ),
    "unsigned-allows-public-id": (
        "name: lint-public-id\nunsigned: true\nsettings:\n  allowed_formats: [jpg]\n  moderation: manual\n",
        "2:1: warning: disallow_public_id: unsigned preset lets uploaders choose public IDs (squatting, collisions); set disallow_public_id: true [unsigned-allows-public-id]",
    ),
    "insecure-url": (
        "name: lint-http\nsettings:\n  notification_url: http://hooks.example.com/upload\n",
        "3:3: warning: settings.notification_url: notification_url uses plain http: upload details travel unencrypted; use https [insecure-url]",
    ),
    "uploads-run-code": (
        "name: lint-code\nsettings:\n  on_success: \"current_asset.update({tags: ['x']})\"\n",
        "3:3: warning: settings.on_success: on_success runs JavaScript on Cloudinary for every upload; review it like code (it is redacted in plans) [uploads-run-code]",
    ),
    "unknown-category": (
        "name: lint-category\nsettings:\n  moderation:\n    aws_rek:\n      taxonomy: v6\n      explicit: 0.5\n",
        "6:7: warning: settings.moderation.aws_rek.explicit: aws_rek category `explicit` is not in Rekognition's v6 taxonomy (it is a v7 name): it is sent as written and has no effect if Cloudinary does not know it either; declare it in `moderation.extra_categories` if it is a newer name [unknown-category]",
    ),
    "raw-moderation": (
        "name: lint-raw\nsettings:\n  moderation:\n    - raw: metascan\n    - manual\n",
        "3:3: warning: settings.moderation: moderation `metascan` is kept verbatim (the legacy MetaDefender malware scan, a moderator this tool does not understand): it is sent exactly as written and not checked [raw-moderation]",
    ),
    "raw-setting": (
        "name: lint-raw-setting\nextra_settings:\n  tags: a,a\n",
        "3:3: warning: extra_settings.tags: `tags` is kept as a raw value (Cloudinary stores a value this tool cannot read as the setting, e.g. a list item twice): it is sent exactly as written and not checked; write it as settings.tags once it is fixed [raw-setting]",
    ),
}

FILE = "preset.yaml"


def test_every_lint_id_has_a_case() -> None:
    assert set(LINT_CASES) == LINT_IDS


@pytest.fixture(params=sorted(LINT_CASES))
def lint_case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, str]:
    """(lint id, a folder holding the minimal preset, the expected warning line)."""
    text, line = LINT_CASES[request.param]
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    return request.param, tmp_path, f"{FILE}:{line}"


def test_lint_is_a_warning_by_default(run: Runner, lint_case: tuple[str, Path, str]) -> None:
    _, folder, line = lint_case
    result = run("validate", FILE, cwd=folder)
    assert result.exit_code == 0
    assert result.problem_lines() == [line]
    assert result.lines[-1] == "1 file(s), 1 valid preset(s): 0 error(s), 1 warning(s)"


def test_strict_makes_the_lint_an_error(run: Runner, lint_case: tuple[str, Path, str]) -> None:
    _, folder, line = lint_case
    result = run("validate", "--strict", FILE, cwd=folder)
    assert result.exit_code == 1
    assert result.problem_lines() == [line.replace(": warning: ", ": error: ", 1)]
    assert result.lines[-1] == "1 file(s), 1 valid preset(s): 1 error(s), 0 warning(s)"


def test_ignore_lints_silences_the_lint(run: Runner, lint_case: tuple[str, Path, str]) -> None:
    lint_id, folder, _ = lint_case
    path = folder / FILE
    path.write_text(path.read_text() + f"ignore_lints: [{lint_id}]\n", encoding="utf-8")
    for args in (("validate", FILE), ("validate", "--strict", FILE)):
        result = run(*args, cwd=folder)
        assert result.exit_code == 0, result.output
        assert result.problem_lines() == []


def test_ignoring_another_lint_does_not_silence_it(
    run: Runner, lint_case: tuple[str, Path, str]
) -> None:
    lint_id, folder, line = lint_case
    other = next(i for i in sorted(LINT_IDS) if i != lint_id)
    path = folder / FILE
    path.write_text(path.read_text() + f"ignore_lints: [{other}]\n", encoding="utf-8")
    assert run("validate", FILE, cwd=folder).problem_lines() == [line]


def test_json_output_shape(run: Runner, lint_case: tuple[str, Path, str]) -> None:
    lint_id, folder, line = lint_case
    row, column = (int(n) for n in line.split(":")[1:3])
    for strict, severity in ((False, "warning"), (True, "error")):
        args = ["validate", "--format", "json", *(["--strict"] if strict else []), FILE]
        result = run(*args, cwd=folder)
        assert result.exit_code == (1 if strict else 0)
        report = json.loads(result.stdout)
        assert report == {
            "valid": not strict,
            "files": 1,
            "presets": 1,
            "errors": int(strict),
            "warnings": int(not strict),
            "problems": [
                {
                    "severity": severity,
                    "code": lint_id,
                    "file": FILE,
                    "line": row,
                    "column": column,
                    "path": line.split(": ")[2],
                    "message": line.split(": ", 3)[3].removesuffix(f" [{lint_id}]"),
                }
            ],
        }


def test_a_private_callback_address_is_insecure_too(run: Runner, tmp_path: Path) -> None:
    (tmp_path / FILE).write_text(
        "name: lint-private\nsettings:\n  callback: https://127.0.0.1/done\n", encoding="utf-8"
    )
    assert run("validate", FILE, cwd=tmp_path).problem_lines() == [
        f"{FILE}:3:3: warning: settings.callback: callback points at a private or loopback address that Cloudinary cannot reach [insecure-url]"
    ]


def test_an_unsigned_preset_with_nothing_set_gets_every_unsigned_lint(
    run: Runner, tmp_path: Path
) -> None:
    (tmp_path / FILE).write_text("name: wide-open\nunsigned: true\n", encoding="utf-8")
    result = run("validate", FILE, cwd=tmp_path)
    assert result.exit_code == 0
    codes = [line.rsplit(" [", 1)[1].rstrip("]") for line in result.problem_lines()]
    assert sorted(codes) == [
        "unsigned-allows-public-id",
        "unsigned-without-allowed-formats",
        "unsigned-without-moderation",
    ]
    assert run("validate", "--strict", FILE, cwd=tmp_path).exit_code == 1
