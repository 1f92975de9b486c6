"""Properties: dump -> load is exact, and no input makes the reader or the loader crash."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from defs_support import VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudinary_presets.definitions.loader import validate_tree, validation_context
from cloudinary_presets.definitions.strict_yaml import decode, parse
from cloudinary_presets.definitions.yaml_writer import dump_preset
from cloudinary_presets.errors import DefinitionError, Problem
from cloudinary_presets.model.preset import SETTING_KEYS, Preset
from strategies import SETTINGS, YAML_ALPHABET, presets

FAST = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_strategies_cover_every_setting() -> None:
    assert set(SETTINGS) == set(SETTING_KEYS)


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_each_setting_strategy_draws_valid_values(key: str) -> None:
    @settings(FAST, max_examples=10)
    @given(SETTINGS[key])
    def check(value: object) -> None:
        preset = Preset.model_validate(
            {"name": "one-setting", "settings": {key: value}}, context=validation_context()
        )
        assert preset.settings_dict().keys() == {key}

    check()


@settings(FAST, max_examples=200)
@given(presets())
def test_dump_then_load_is_exact(preset: Preset) -> None:
    text = dump_preset(preset)
    document = parse(decode(text.encode("utf-8"), "dumped.yaml"), "dumped.yaml")
    assert Preset.model_validate(document.data, context=validation_context()) == preset


def _problems(read: Callable[[], object]) -> list[Problem] | None:
    """The problems ``read()`` raised as a DefinitionError, or None when it succeeded."""
    try:
        read()
    except DefinitionError as exc:
        return exc.problems
    return None


@settings(FAST, max_examples=300)
@given(st.binary(max_size=400))
def test_the_reader_only_raises_definition_errors_on_bytes(data: bytes) -> None:
    problems = _problems(lambda: parse(decode(data, "fuzz.yaml"), "fuzz.yaml"))
    assert problems is None or problems
    for problem in problems or []:
        assert problem.location is not None
        assert problem.location.file == "fuzz.yaml"
        assert "\n" not in problem.render()


@settings(FAST, max_examples=300)
@given(st.text(max_size=300) | st.text(YAML_ALPHABET, max_size=300))
def test_the_reader_only_raises_definition_errors_on_text(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    problems = _problems(lambda: parse(decode(data, "fuzz.yaml"), "fuzz.yaml"))
    assert problems is None or problems
    # the parser alone, without decode()'s checks first
    problems = _problems(lambda: parse(text, "fuzz.yaml"))
    assert problems is None or problems


_SEED = (VALID / "everything-signed.yaml").read_text(encoding="utf-8")
_SNIPPETS = st.sampled_from(
    ["\t", ": ", "- ", "&a ", "*a", "!!str ", "<<: ", "[", "]", "{", "}", "'", '"', "#",
     "\n", "  ", "yes", "1.5", "---\n", "~", "\x00", "é", "\\x00", "?"]
) | st.text(YAML_ALPHABET, min_size=1, max_size=8)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The richest valid fixture with a few random edits (insert, delete, duplicate a line)."""
    text = _SEED
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "line"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(_SNIPPETS) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            text = "".join(lines)
    return text


@settings(FAST, max_examples=200)
@given(mutated())
def test_validate_tree_never_crashes_on_a_mutated_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "mutant.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        report = validate_tree(Path(tmp))
    for problem in report.problems:
        assert problem.location is not None
        assert problem.location.file.endswith("mutant.yaml")
        assert "\n" not in problem.render()
    assert bool(report.errors) != (len(report.presets) == 1)
