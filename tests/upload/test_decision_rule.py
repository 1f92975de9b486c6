"""The moderation decision rule, worked by hand: one pure function, shared.

Each case states the thresholds, the labels (0-100, as Cloudinary and Rekognition report
them) and the outcome a person computes from the documented rule: a label's own entry
first, else its parent's, ``ignore`` never moderates, no entry means 0.5, and a label
rejects at or above its threshold.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudinary_presets.emulator import moderation as emulator_moderation
from cloudinary_presets.emulator import moderation_flow as emulator_flow
from cloudinary_presets.model import moderation_rule as moderation_rules
from cloudinary_presets.model.moderation_rule import (
    DEFAULT_THRESHOLD,
    Label,
    decide,
    parse_label,
    threshold_for,
)
from cloudinary_presets.model.taxonomy import CATEGORIES, PARENT, TAXONOMY
from cloudinary_presets.operations import simulate


def cl(name: str, confidence: float, parent: str = "") -> Label:
    """A label in Cloudinary's shape, parsed."""
    return parse_label({"name": name, "parent_name": parent, "confidence": confidence})


EN, SU, VI = "Explicit Nudity", "Suggestive", "Violence"

# (id, thresholds, labels, rejected?, [(label, threshold, rule) of each trigger])
CASES = [
    ("no labels", {"explicit_nudity": 0.7}, [], False, []),
    ("child falls back to its parent: below", {"explicit_nudity": 0.7},
     [cl("Nudity", 65.0, EN)], False, []),
    ("child falls back to its parent: above", {"explicit_nudity": 0.7},
     [cl("Nudity", 75.0, EN)], True, [("nudity", 0.7, "explicit_nudity")]),
    ("child's own entry wins over the parent's (stricter)", {"explicit_nudity": 0.9, "nudity": 0.3},
     [cl("Nudity", 40.0, EN)], True, [("nudity", 0.3, "nudity")]),
    ("child's own entry wins over the parent's (laxer)", {"explicit_nudity": 0.3, "nudity": 0.9},
     [cl("Nudity", 40.0, EN)], False, []),
    ("ignore on the parent ignores its children", {"suggestive": None},
     [cl("Female Swimwear Or Underwear", 99.0, SU), cl(SU, 99.0)], False, []),
    ("ignore on the parent, a child with its own threshold",
     {"suggestive": None, "partial_nudity": 0.6},
     [cl("Partial Nudity", 70.0, SU), cl("Female Swimwear Or Underwear", 99.0, SU), cl(SU, 99.0)],
     True, [("partial_nudity", 0.6, "partial_nudity")]),
    ("ignore on the child alone", {"explicit_nudity": 0.5, "nudity": None},
     [cl("Nudity", 90.0, EN)], False, []),
    ("ignore on the child; the parent label still decides",
     {"explicit_nudity": 0.5, "nudity": None},
     [cl("Nudity", 90.0, EN), cl(EN, 90.0)], True, [("explicit_nudity", 0.5, "explicit_nudity")]),
    ("ignore on parent and child", {"suggestive": None, "revealing_clothes": None},
     [cl("Revealing Clothes", 100.0, SU), cl(SU, 100.0)], False, []),
    ("no entry: the default 0.5, reached", {"violence": 0.8},
     [cl("Alcoholic Beverages", 50.0, "Alcohol")], True, [("alcoholic_beverages", 0.5, "default")]),
    ("no entry: the default 0.5, not reached", {},
     [cl("Alcoholic Beverages", 49.99, "Alcohol")], False, []),
    ("exactly at the threshold rejects", {"violence": 0.8},
     [cl(VI, 80.0)], True, [("violence", 0.8, "violence")]),
    ("just below the threshold approves", {"violence": 0.8}, [cl(VI, 79.99)], False, []),
    # 60.55 / 100 is 0.6054999999999999 in binary floating point: still "at" 0.6055
    ("at the threshold despite binary rounding", {"explicit_nudity": 0.6055},
     [cl(EN, 60.55)], True, [("explicit_nudity", 0.6055, "explicit_nudity")]),
    ("threshold 1: only full confidence rejects", {"explicit_nudity": 1.0},
     [cl(EN, 99.99)], False, []),
    ("every rejecting label is a trigger", {"violence": 0.8},
     [cl("Weapons", 83.0, VI), cl(VI, 83.0), cl("Smoking", 40.0, "Tobacco"),
      cl("Pills", 58.0, "Drugs")],
     True,
     [("weapons", 0.8, "violence"), ("violence", 0.8, "violence"), ("pills", 0.5, "default")]),
    ("an unknown name falls back through the parent it gives",
     {"explicit_nudity": 0.7}, [cl("Exposed Male Genitalia", 71.0, EN)], True,
     [("exposed_male_genitalia", 0.7, "explicit_nudity")]),
    ("second level without parent_name: the taxonomy supplies it",
     {"violence": 0.9}, [cl("Weapons", 85.0)], False, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("thresholds", "labels", "rejected", "triggers"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_hand_worked_cases(thresholds, labels, rejected, triggers) -> None:
    decision = decide(thresholds, labels)
    assert decision.rejected is rejected
    assert decision.status == ("rejected" if rejected else "approved")
    assert [(t.label, t.threshold, t.rule) for t in decision.triggers] == triggers


def test_the_default_threshold_is_half_and_can_be_given() -> None:
    assert DEFAULT_THRESHOLD == 0.5
    label = cl("Drug Use", 60.0, "Drugs")
    assert decide({}, [label]).rejected
    assert not decide({}, [label], default=0.7).rejected
    assert threshold_for(label, {}) == (0.5, "default")
    assert threshold_for(label, {"drugs": 0.2}) == (0.2, "drugs")
    assert threshold_for(label, {"drugs": 0.2, "drug_use": None}) == (None, "drug_use")


# --------------------------------------------------------------------------- label shapes


def test_confidence_is_read_on_a_0_to_100_scale() -> None:
    assert parse_label({"name": "Suggestive", "confidence": 94.99}).confidence == pytest.approx(
        0.9499
    )
    assert parse_label({"name": "Suggestive", "confidence": 0}).confidence == 0.0
    assert parse_label({"name": "Suggestive", "confidence": 100}).confidence == 1.0
    # 0.95 is 0.95 %, not 95 %: far below any threshold
    assert not decide(
        {"suggestive": 0.5}, [parse_label({"name": "Suggestive", "confidence": 0.95})]
    ).rejected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "Suggestive", "confidence": 100.5}, "confidence 100.5 is outside 0..100"),
        ({"name": "Suggestive", "confidence": -1}, "confidence -1 is outside 0..100"),
        ({"name": "Suggestive", "confidence": "95"}, "'confidence' must be a number from 0 to 100"),
        ({"name": "Suggestive", "confidence": True}, "'confidence' must be a number from 0 to 100"),
        ({"name": "Suggestive"}, "'confidence' must be a number from 0 to 100"),
        ({"name": " ", "confidence": 50}, "label has no 'name'"),
        ({"confidence": 50}, "label has no 'name'"),
        ({"name": "Nudity", "parent_name": 3, "confidence": 50}, "'parent_name' must be a string"),
    ],
)
def test_bad_labels_are_refused_with_a_reason(raw, message) -> None:
    with pytest.raises(ValueError, match="^.*" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_label(raw)


def test_rekognition_and_cloudinary_shapes_read_the_same() -> None:
    rekognition = {"Name": "Female Swimwear Or Underwear", "ParentName": "Suggestive",
                   "Confidence": 94.99, "TaxonomyLevel": 2}  # fmt: skip
    cloudinary = {
        "name": "Female Swimwear Or Underwear",
        "parent_name": "Suggestive",
        "confidence": 94.99,
    }
    camel = {
        "name": "Female Swimwear Or Underwear",
        "parentName": "Suggestive",
        "confidence": 94.99,
    }
    expected = Label("female_swimwear_or_underwear", "suggestive", pytest.approx(0.9499))
    assert parse_label(rekognition) == parse_label(cloudinary) == parse_label(camel) == expected
    # top level: Rekognition says ParentName "", Cloudinary parent_name "" (or nothing)
    assert parse_label({"Name": "Explicit Nudity", "ParentName": "", "Confidence": 70}) == Label(
        "explicit_nudity", "", 0.7
    )
    assert parse_label({"name": "Explicit Nudity", "confidence": 70}) == Label(
        "explicit_nudity", "", 0.7
    )
    # a null parent counts as none; the taxonomy then supplies it
    assert (
        parse_label({"Name": "Nudity", "ParentName": None, "Confidence": 70}).parent
        == "explicit_nudity"
    )


def test_the_taxonomy_parents() -> None:
    assert PARENT["graphic_violence_or_gore"] == "violence"
    assert PARENT["female_swimwear_or_underwear"] == "suggestive"
    assert "gambling" not in PARENT  # its own parent: a top-level name
    assert all(
        PARENT[child] == top
        for top, children in TAXONOMY.items()
        for child in children
        if child != top
    )


# --------------------------------------------------------------------------- shared and pure


def test_the_simulator_and_the_emulator_use_this_one_function() -> None:
    assert simulate.decide is moderation_rules.decide
    assert simulate.parse_label is moderation_rules.parse_label
    assert emulator_flow.decide is moderation_rules.decide
    assert emulator_flow.parse_label is moderation_rules.parse_label
    assert emulator_moderation.parse_label is moderation_rules.parse_label


def test_the_emulator_chain_decides_with_the_rule() -> None:
    chain = emulator_moderation.parse_moderation(
        "aws_rek:explicit_nudity:0.7:suggestive:ignore|manual"
    )
    labels = [{"name": "Nudity", "parent_name": EN, "confidence": 64.2},
              {"name": EN, "parent_name": "", "confidence": 64.2}]  # fmt: skip
    outcome = emulator_flow.start(chain, labels, "2026-11-25T00:00:00Z")
    assert [(e["kind"], e["status"]) for e in outcome.entries] == [
        ("aws_rek", "approved"),
        ("manual", "pending"),
    ]
    stricter = emulator_moderation.parse_moderation("aws_rek:explicit_nudity:0.5|manual")
    outcome = emulator_flow.start(stricter, labels, "2026-11-25T00:00:00Z")
    assert [(e["kind"], e["status"]) for e in outcome.entries] == [
        ("aws_rek", "rejected"),
        ("manual", "aborted"),
    ]
    assert emulator_flow.overall(outcome.entries) == "rejected"


def test_decide_does_not_touch_its_inputs() -> None:
    thresholds = {"explicit_nudity": 0.7, "suggestive": None}
    labels = [cl("Nudity", 80.0, EN)]
    first = decide(thresholds, labels)
    assert thresholds == {"explicit_nudity": 0.7, "suggestive": None}
    assert decide(thresholds, iter(labels)) == first == decide(dict(thresholds), list(labels))


_CATEGORIES = sorted(CATEGORIES)
_labels = st.lists(
    st.builds(
        lambda name, confidence: Label(name, PARENT.get(name, ""), confidence),
        st.sampled_from(_CATEGORIES),
        st.integers(0, 10000).map(lambda n: n / 10000),
    ),
    max_size=6,
)
_thresholds = st.dictionaries(
    st.sampled_from(_CATEGORIES),
    st.one_of(st.none(), st.integers(0, 100).map(lambda n: n / 100)),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(thresholds=_thresholds, labels=_labels, category=st.sampled_from(_CATEGORIES),
       stricter=st.integers(0, 100).map(lambda n: n / 100))  # fmt: skip
def test_a_stricter_threshold_never_approves_what_was_rejected(
    thresholds, labels, category, stricter
) -> None:
    # what labels called ``category`` are judged by now; an entry at or below it is stricter
    current, _ = threshold_for(Label(category, PARENT.get(category, ""), 0.0), thresholds)
    if current is not None:
        stricter = min(stricter, current)
    before = decide(thresholds, labels)
    after = decide({**thresholds, category: stricter}, labels)
    if before.rejected:
        assert after.rejected
    if not after.rejected:  # the same, read the other way: laxer never rejects more
        assert not before.rejected


@settings(max_examples=200, deadline=None)
@given(thresholds=_thresholds, labels=_labels)
def test_the_extremes_decide_by_themselves(thresholds, labels) -> None:
    """Properties that need no restatement of the rule: ignoring every category approves
    anything; a threshold of 0 everywhere rejects any label; the triggers are labels given
    and reach their thresholds."""
    everything = {**dict.fromkeys(_CATEGORIES, None), **dict.fromkeys(PARENT.values(), None)}
    assert not decide(everything, labels).rejected
    assert decide(dict.fromkeys(_CATEGORIES, 0.0), labels).rejected is bool(labels)
    decision = decide(thresholds, labels)
    assert decision.rejected is bool(decision.triggers)
    given_names = {label.name for label in labels}
    for trigger in decision.triggers:
        assert trigger.label in given_names
        confidence = max(label.confidence for label in labels if label.name == trigger.label)
        assert confidence >= trigger.threshold - 1e-9
