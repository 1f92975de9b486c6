"""The definitions digest is assembled from each preset's canonical JSON; it must stay,
byte for byte, the digest saved plans were made with (the one-pass formula below)."""

from __future__ import annotations

import hashlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudinary_presets.definitions.project import Desired
from cloudinary_presets.model.preset import Preset
from cloudinary_presets.planning.plan import definitions_digest
from strategies import presets

NAMES = st.sampled_from(["a", "b", "ü-é", 'quo"te', "back\\slash", "日本", "Z", "a-1", "a_1"])


def _formula(desired: list[Desired]) -> str:
    items = sorted((d.remote_name, d.preset.canonical(), d.preset.protect) for d in desired)
    text = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    drawn=st.lists(
        st.tuples(NAMES, presets(max_settings=6), st.booleans()),
        max_size=6,
        unique_by=lambda t: t[0],
    )
)
def test_the_digest_is_the_one_pass_formula(drawn: list[tuple[str, Preset, bool]]) -> None:
    desired = [
        Desired(p.name, name, p.model_copy(update={"protect": protect}))
        for name, p, protect in drawn
    ]
    assert definitions_digest(desired) == _formula(desired)
