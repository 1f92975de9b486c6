"""Bad input: generated malformed YAML and mutated definitions never crash the tool.

On top of the hand-written fixtures (``tests/definitions/fixtures``, the example presets
and the end-to-end fixtures), hypothesis generates:

* malformed YAML text: a fixture with characters, tokens, tags, anchors, tabs, control
  characters, BOMs, invalid UTF-8 bytes, deep nesting, extra documents... inserted,
  lines duplicated, dropped, re-indented or cut;
* mutated definitions: a valid generated preset (``tests/strategies.py``) with one value
  replaced by something of the wrong type or out of range, a misspelt or misplaced key,
  the name removed or made invalid, or nesting beyond the limit.

For every input, ``presets validate`` (text and JSON) and ``presets plan`` against the
emulator must: print no traceback; exit 0 or 1; locate every error at ``file:line:col``
(line and column at least 1); make zero write requests; and, when the definitions are
invalid, make zero Admin API calls at all (plan validates before it reads the remote).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strategies import preset_data

pytestmark = pytest.mark.badinput

REPO = Path(__file__).resolve().parents[2]
SEEDS = sorted(
    [
        *(REPO / "tests" / "definitions" / "fixtures").rglob("*.yaml"),
        *(REPO / "tests" / "e2e" / "fixtures" / "presets").glob("*.yaml"),
        *(REPO / "presets").glob("*.yaml"),
    ]
)
SEED_TEXTS = [path.read_bytes() for path in SEEDS]
LOCATED = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): error: ")
WRITE_KEYS = ("POST /upload_presets", "PUT /upload_presets/{name}", "DELETE /upload_presets/{name}")
EXAMPLES = 150

BAD_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- strategies

TOKENS = [
    "\t",
    "\t\t",
    " \t",
    "&a ",
    "*a",
    "&anchor [1, 2]",
    "<<: *a",
    "!!python/object/apply:os.system ['id']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2024-01-01",
    "!Ref x",
    "!!int x",
    "!!float y",
    "!!bool maybe",
    "!!str",
    "!!map",
    "!!seq",
    "!include other.yaml",
    "{",
    "}",
    "[",
    "]",
    "[[[[[[[[[[[[[[[[",
    "{a: {b: {c: {d: {e: {f: {g: {h: {i: {j: {k: {l: {m: 1}}}}}}}}}}}}}",
    '"',
    "'",
    '"unterminated',
    ": ",
    ":",
    "- ",
    "-",
    "? ",
    "?",
    "---\n",
    "...\n",
    "--- !!map\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "@",
    "`",
    "|",
    ">",
    "|-\n",
    "#",
    "%",
    ",",
    "\\",
    "\\x00",
    "\x00",
    "\x01",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\r",
    "\r\n",
    "\n",
    "\n\n",
    "  ",
    "    ",
    "name: duplicate\n",
    "settings:\n",
    "settings: 5\n",
    "unsigned: yes\n",
    "unsigend: true\n",
    "1: a\n",
    "true: b\n",
    "null: c\n",
    "[1, 2]: d\n",
    "? [a]\n: b\n",
    "0755",
    "0x1F",
    "1e3",
    "1:30",
    "2024-13-45",
    "2024-02-30T10:00:00Z",
    ".nan",
    ".inf",
    "-.inf",
    "~",
    "null",
    "yes",
    "NO",
    "off",
    "9" * 40,
    "-0",
    "+12",
    "1_000",
    "é",
    "日本",
    "🙂",
    "\U0010ffff",
    "a" * 300,
    "x: " + "y" * 2000 + "\n",
]
RAW_BYTES = [
    b"\xff",
    b"\xfe",
    b"\xe9",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\x80",
]


@st.composite
def malformed_yaml(draw: st.DrawFn) -> bytes:
    """A fixture with one to three text- or byte-level mutations."""
    data = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        lines = data.split(b"\n")
        where = draw(st.integers(0, max(0, len(lines) - 1)))
        line = lines[where]
        col = draw(st.integers(0, len(line)))
        kind = draw(
            st.sampled_from(
                [
                    "insert",
                    "insert",
                    "insert",
                    "random",
                    "dup",
                    "drop",
                    "indent",
                    "dedent",
                    "cut",
                    "bytes",
                    "bom",
                    "deep",
                    "docs",
                    "swap",
                ]
            )
        )
        if kind == "insert":
            token = draw(st.sampled_from(TOKENS)).encode("utf-8")
            lines[where] = line[:col] + token + line[col:]
        elif kind == "random":
            junk = draw(st.text(max_size=12)).encode("utf-8", "surrogatepass")
            lines[where] = line[:col] + junk + line[col:]
        elif kind == "dup":
            lines.insert(where, line)
        elif kind == "drop" and len(lines) > 1:
            del lines[where]
        elif kind == "indent":
            lines[where] = b" " * draw(st.integers(1, 5)) + line
        elif kind == "dedent":
            lines[where] = line.lstrip(b" ")
        elif kind == "cut":
            data = data[: draw(st.integers(0, len(data)))]
            continue
        elif kind == "bytes":
            lines[where] = line[:col] + draw(st.sampled_from(RAW_BYTES)) + line[col:]
        elif kind == "bom":
            data = draw(st.sampled_from([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf"])) + data
            continue
        elif kind == "deep":
            depth = draw(st.integers(12, 200))
            lines.insert(where, b"deep: " + b"[" * depth + b"]" * depth)
        elif kind == "docs":
            lines.insert(where, b"---")
        elif kind == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
        data = b"\n".join(lines)
    return data


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.text(max_size=20),
    st.sampled_from(["", " ", "yes", "no", "0755", "a/b", "x" * 300, "ignore"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.lists(st.lists(st.text(max_size=3), max_size=2), max_size=2),
)
TYPOS = [
    "moderaton",
    "unsigend",
    "allowed_format",
    "tag",
    "folders",
    "Settings",
    "nam",
    "transformations",
    "eager_asynch",
    "extra_setting",
    "disallow_public_ids",
    "protected",
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    data[head] = _set(data[head], rest, value)
    return data


@st.composite
def mutated_definition(draw: st.DrawFn) -> bytes:
    """A valid generated preset with one or two mutations, dumped as YAML."""
    data = draw(preset_data(max_settings=5))
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(
            st.sampled_from(
                [
                    "junk",
                    "junk",
                    "junk",
                    "typo",
                    "misplace",
                    "noname",
                    "badname",
                    "deep",
                    "threshold",
                ]
            )
        )
        paths = [p for p in _paths(data) if p]
        if kind == "junk" and paths:
            data = _set(data, draw(st.sampled_from(paths)), draw(JUNK))
        elif kind == "typo":
            target = (
                data.get("settings")
                if isinstance(data.get("settings"), dict) and draw(st.booleans())
                else data
            )
            if isinstance(target, dict):
                target[draw(st.sampled_from(TYPOS))] = draw(JUNK)
        elif kind == "misplace":
            if draw(st.booleans()):
                data[draw(st.sampled_from(["folder", "tags", "moderation", "overwrite"]))] = "x"
            elif isinstance(data.get("settings"), dict):
                data["settings"][draw(st.sampled_from(["unsigned", "name", "protect"]))] = True
        elif kind == "noname":
            data.pop("name", None)
        elif kind == "badname":
            data["name"] = draw(
                st.sampled_from(["", " ", "a/b", "café", "x" * 256, "a b", "..", "-"])
            )
        elif kind == "deep":
            nested: Any = "bottom"
            for _ in range(draw(st.integers(12, 40))):
                nested = {"n": nested}
            data.setdefault("extra_settings", {})
            if isinstance(data["extra_settings"], dict):
                data["extra_settings"]["deep"] = nested
        elif kind == "threshold":
            settings_ = data.setdefault("settings", {})
            if isinstance(settings_, dict):
                value = draw(st.sampled_from([0, -0.1, 1.5, 100, "high", None, [], True, math.nan]))
                settings_["moderation"] = [{"aws_rek": {"explicit_nudity": value}}]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    return text.encode("utf-8")


# --------------------------------------------------------------------------- the check


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "bad-input"
    root.mkdir()
    return root


def _write_requests(emulator: Any) -> int:
    requests = emulator.stats()["requests"]
    return sum(requests[key] for key in WRITE_KEYS)


def check_input(content: bytes, cli: Any, emulator: Any, workspace: Path) -> None:
    """Validate and plan ``content`` as a preset file; assert the contract."""
    root = Path(tempfile.mkdtemp(dir=workspace))
    try:
        (root / "presets").mkdir()
        (root / "presets" / "generated.yaml").write_bytes(content)
        _check(root, cli, emulator)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check(root: Path, cli: Any, emulator: Any) -> None:
    presets = str(root / "presets")
    text = cli("validate", "--root", str(root), presets)
    as_json = cli("validate", "--root", str(root), "--format", "json", presets)
    stats = emulator.stats()
    calls, writes = stats["admin_calls"], _write_requests(emulator)
    plan = cli("plan", "--root", str(root))
    for result in (text, as_json, plan):
        assert "Traceback" not in result.output, result.output
        assert result.exit_code in (0, 1), result.output
    assert text.exit_code == as_json.exit_code
    assert _write_requests(emulator) == writes, "plan made a write request"
    assert emulator.stats()["writes"] == 0
    if text.exit_code == 0:
        assert plan.exit_code == 0, plan.output
        return
    # invalid: every error located, and plan never talked to the Admin API
    errors = [line for line in text.stdout.splitlines() if ": error: " in line]
    assert errors, text.output
    for line in errors:
        match = LOCATED.match(line)
        assert match, f"error without file:line:col: {line!r}"
        assert int(match["line"]) >= 1, line
        assert int(match["col"]) >= 1, line
    problems = json.loads(as_json.stdout)["problems"]
    for problem in problems:
        if problem["severity"] == "error":
            assert problem["file"], problem
            assert problem["line"] >= 1, problem
            assert problem["column"] >= 1, problem
    assert plan.exit_code == 1, plan.output
    assert "nothing was read from or written to Cloudinary" in plan.stderr, plan.output
    plan_errors = [line for line in plan.stderr.splitlines() if ": error: " in line]
    assert plan_errors, plan.stderr
    assert all(LOCATED.match(line) for line in plan_errors), plan.stderr
    assert emulator.stats()["admin_calls"] == calls, "plan read the remote for invalid definitions"


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: str(p.relative_to(REPO)))
def test_hand_written_fixtures_keep_the_contract(seed, remote_cli, emulator, workspace):
    check_input(seed.read_bytes(), remote_cli, emulator, workspace)


@BAD_SETTINGS
@given(content=malformed_yaml())
def test_malformed_yaml_never_crashes(content, remote_cli, emulator, workspace):
    check_input(content, remote_cli, emulator, workspace)


@BAD_SETTINGS
@given(content=mutated_definition())
def test_mutated_definitions_never_crash(content, remote_cli, emulator, workspace):
    check_input(content, remote_cli, emulator, workspace)


@BAD_SETTINGS
@given(files=st.lists(st.one_of(malformed_yaml(), mutated_definition()), min_size=2, max_size=4))
def test_every_file_of_a_tree_is_checked_in_one_run(files, remote_cli, emulator, workspace):
    root = Path(tempfile.mkdtemp(dir=workspace))
    try:
        (root / "presets" / "nested").mkdir(parents=True)
        for index, content in enumerate(files):
            folder = root / "presets" / ("nested" if index % 2 else "")
            (folder / f"file-{index}.yaml").write_bytes(content)
        _check(root, remote_cli, emulator)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_bad_configuration_file_is_located_too(remote_cli, emulator, workspace):
    for content in (
        b"prune: yes\n",
        b"safety: {max_delete_percent: 200}\n",
        b"ignore: *x\n",
        b"environments:\n  a:\n\tcredentials: {}\n",
        b"\xff\xfe",
        b"presets_dir: [\n",
    ):
        root = Path(tempfile.mkdtemp(dir=workspace))
        (root / "presets").mkdir()
        (root / "cloudinary-presets.yaml").write_bytes(content)
        calls = emulator.stats()["admin_calls"]
        for args in (("validate", "--root", str(root)), ("plan", "--root", str(root))):
            result = remote_cli(*args)
            assert result.exit_code == 1, result.output
            assert "Traceback" not in result.output
            located = [line for line in result.output.splitlines() if LOCATED.match(line)]
            assert located, result.output
        assert emulator.stats()["admin_calls"] == calls


def test_special_files_in_the_tree_are_errors_not_hangs(remote_cli, emulator, workspace):
    """A FIFO (reading it would block forever), a dangling symlink, an oversized file."""
    import os
    import subprocess
    import sys

    root = Path(tempfile.mkdtemp(dir=workspace))
    presets = root / "presets"
    presets.mkdir()
    os.mkfifo(presets / "fifo.yaml")
    (presets / "dangling.yaml").symlink_to(root / "nowhere.yaml")
    (presets / "big.yaml").write_bytes(b"name: big\n" + b"#" * (1024 * 1024) + b"\n")
    (presets / "fine.yaml").write_text("name: fine\n", encoding="utf-8")
    os.mkfifo(root / "cloudinary-presets.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE_", "COVERAGE_"))}
    env["CLOUDINARY_URL"] = emulator.cloudinary_url("demo")
    run = [sys.executable, "-m", "cloudinary_presets"]
    config = subprocess.run(
        [*run, "validate"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert config.returncode == 1, config.stdout + config.stderr
    assert (
        "cloudinary-presets.yaml: error: cannot read the file: it is a FIFO (named pipe), not a "
        "regular file" in config.stderr
    )
    (root / "cloudinary-presets.yaml").unlink()
    calls = emulator.stats()["admin_calls"]
    for command in ("validate", "plan"):
        result = subprocess.run(
            [*run, command], cwd=root, env=env, capture_output=True, text=True, timeout=60
        )
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "Traceback" not in output
        assert (
            "presets/fifo.yaml: error: cannot read the file: it is a FIFO (named pipe), not a "
            "regular file" in output
        )
        assert (
            "presets/dangling.yaml: error: cannot read the file: it is a symbolic link to a "
            "missing file" in output
        )
        assert (
            "presets/big.yaml: error: cannot read the file: it is 1048587 bytes; the limit is "
            "1048576 (1 MiB)" in output
        )
    assert emulator.stats()["admin_calls"] == calls
