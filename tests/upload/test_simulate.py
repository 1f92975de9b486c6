"""The moderation simulator: reading labelled samples, comparing two definitions, and
the ``moderation simulate`` and ``plan --labels`` commands against the emulator.

The expected numbers for ``examples/moderation/labels.jsonl`` were worked by hand from
the file (see test_the_example_sample_file_worked_by_hand): under the example
``ugc-moderated`` preset (explicit_nudity 0.7, suggestive ignored, violence 0.8,
graphic_violence_or_gore 0.5, the rest at the default 0.5) 9 of 25 are rejected; with
explicit_nudity at 0.5, five more are (three children of explicit_nudity that fall back
to it, and two top-level labels at 0.50 and 0.604).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from upload_helpers import FLIPS_AT_05, LABELS, REJECTED_AT_07, set_explicit_nudity

from cloudinary_presets.errors import DefinitionError, FileError
from cloudinary_presets.model.moderation import Moderation, parse_moderation
from cloudinary_presets.model.moderation_rule import Label
from cloudinary_presets.operations.simulate import (
    Impact,
    Sample,
    compare,
    read_samples,
    rekognition_thresholds,
)

UGC = (
    "aws_rek:explicit_nudity:0.7:graphic_violence_or_gore:0.5:suggestive:ignore:violence:0.8|manual"
)
UGC_STRICT = UGC.replace("explicit_nudity:0.7", "explicit_nudity:0.5")

NEWLY_REJECTED_BY = (
    "  newly rejected by: explicit_nudity (5), nudity (2), illustrated_explicit_nudity (1), "
    "sexual_activity (1)"
)


def remote_moderation(emulator: Any) -> object:
    [preset] = [p for p in emulator.presets("demo") if p["name"] == "ugc-moderated"]
    return preset["settings"]["moderation"]


def moderation(text: str) -> Moderation:
    parsed = parse_moderation(text, None)
    assert parsed is not None
    return parsed


# --------------------------------------------------------------------------- the sample file


def test_the_example_sample_file_worked_by_hand() -> None:
    samples = read_samples(LABELS)
    assert len(samples) == 25
    assert len({s.name for s in samples}) == 25, "every line is named by its id, file or public_id"
    lines = [json.loads(line) for line in LABELS.read_text().splitlines()]
    shapes = {
        "cloudinary": sum("moderation_labels" in line for line in lines),
        "rekognition": sum("ModerationLabels" in line for line in lines),
        "upload response": sum("moderation" in line for line in lines),
    }
    assert all(count >= 5 for count in shapes.values()), shapes
    thresholds = rekognition_thresholds(moderation(UGC))
    assert thresholds == {
        "explicit_nudity": 0.7,
        "graphic_violence_or_gore": 0.5,
        "suggestive": None,
        "violence": 0.8,
    }
    from cloudinary_presets.model.moderation_rule import decide

    rejected = {s.name for s in samples if decide(thresholds, s.labels).rejected}
    assert rejected == REJECTED_AT_07
    strict = rekognition_thresholds(moderation(UGC_STRICT))
    assert strict is not None
    rejected_strict = {s.name for s in samples if decide(strict, s.labels).rejected}
    assert rejected_strict == REJECTED_AT_07 | set(FLIPS_AT_05)


def test_three_shapes_give_the_same_labels(tmp_path: Path) -> None:
    cloudinary = {"name": "Nudity", "parent_name": "Explicit Nudity", "confidence": 64.2}
    rekognition = {"Name": "Nudity", "ParentName": "Explicit Nudity", "Confidence": 64.2}
    lines = [
        {"id": "a", "moderation_labels": [cloudinary]},
        {"file": "b.jpg", "ModerationLabels": [rekognition], "ModerationModelVersion": "6.1"},
        {"public_id": "ugc/c", "moderation": [
            {"kind": "aws_rek", "status": "approved",
             "response": {"moderation_labels": [cloudinary]}},
            {"kind": "manual", "status": "pending"},
        ]},
        {"moderation_labels": []},
    ]  # fmt: skip
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    samples = read_samples(path)
    assert [s.name for s in samples] == ["a", "b.jpg", "ugc/c", "line 4"]
    expected = (Label("nudity", "explicit_nudity", pytest.approx(0.642)),)
    assert [samples[0].labels, samples[2].labels] == [expected] * 2
    # Rekognition's output names its model: the label knows its taxonomy
    assert samples[1].labels == (
        Label("nudity", "explicit_nudity", pytest.approx(0.642), version="v6"),
    )
    assert {s.labels[0].lineage for s in samples[:3]} == {("nudity", "explicit_nudity")}
    assert samples[3].labels == ()


def test_model_7_results_decide_through_three_levels(tmp_path: Path) -> None:
    """A DetectModerationLabels answer of model 7 and a Cloudinary response that says
    ``moderation_model_version: "7.0"``: top-level entries judge third-level labels."""
    rekognition = {
        "ModerationModelVersion": "7.0",
        "ModerationLabels": [
            {"Name": "Exposed Male Nipple", "ParentName": "Non-Explicit Nudity",
             "Confidence": 91.0, "TaxonomyLevel": 3},
            {"Name": "Non-Explicit Nudity", "ParentName": NX, "Confidence": 91.0,
             "TaxonomyLevel": 2},
            {"Name": NX, "ParentName": "", "Confidence": 91.0, "TaxonomyLevel": 1},
        ],
    }  # fmt: skip
    cloudinary = {
        "public_id": "beach",
        "moderation": [{"kind": "aws_rek", "status": "approved", "response": {
            "moderation_model_version": "7.0",
            "moderation_labels": [
                {"name": "Explicit Nudity", "parent_name": "", "confidence": 55.0},
            ]}}],
    }  # fmt: skip
    path = tmp_path / "v7.jsonl"
    path.write_text(json.dumps({"id": "chest", **rekognition}) + "\n" + json.dumps(cloudinary))
    samples = read_samples(path)
    # "Explicit Nudity" with no parent would be top level under model 6.1; 7.0 says otherwise
    assert samples[1].labels[0].lineage == ("explicit_nudity", "explicit")
    before = parse_moderation({"aws_rek": {"explicit": 0.5, NX_KEY: 0.9}})
    after = parse_moderation(
        {"aws_rek": {"explicit": 0.6, NX_KEY: 0.8, "exposed_male_nipple": "ignore"}}
    )
    impact = compare(before, after, samples)
    assert (impact.before_rejected, impact.after_rejected) == (2, 1)
    assert impact.newly_approved == ["beach"]  # explicit 0.5 -> 0.6 approves 55 %
    # the chest stays rejected: its L2 and L1 labels meet the new 0.8 (the L3 is ignored)
    assert impact.newly_rejected == []


NX = "Non-Explicit Nudity of Intimate parts and Kissing"
NX_KEY = "non_explicit_nudity_of_intimate_parts_and_kissing"


def test_bad_lines_are_all_reported_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"id": "ok", "moderation_labels": [{"name": "Suggestive", "confidence": 90}]}',
                "",  # 2: blank lines are skipped
                "# a comment line is skipped",  # 3
                '{"id": "broken", "moderation_labels": [',  # 4
                '["not", "an", "object"]',  # 5
                '{"id": "nothing", "labels": []}',  # 6
                '{"id": "pct", "moderation_labels": [{"name": "Suggestive", "confidence": 950}]}',
                '{"id": "noname", "ModerationLabels": [{"Confidence": 50}]}',  # 8
                '{"id": "strings", "moderation_labels": ["Explicit Nudity"]}',  # 9
                '{"public_id": "ugc/manual-only", "moderation": [{"kind": "manual"}]}',  # 10
                '{"public_id": "ugc/p", "moderation": [{"kind": "aws_rek", "status": "pending"}]}',
                '{"id": "huge", "moderation_labels": [], "n": ' + "9" * 5000 + "}",  # 12
                "[" * 100_000 + "]" * 100_000,  # 13
            ]
        )
        + "\n"
    )
    with pytest.raises(DefinitionError) as caught:
        read_samples(path)
    rendered = [p.render() for p in caught.value.problems]
    where = [str(p.location) for p in caught.value.problems]
    assert [w.rsplit(":", 2)[1] for w in where] == [
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
        "11",
        "12",
        "13",
    ]
    assert rendered[0].startswith(f"{path}:4:")
    assert "not JSON" in rendered[0]
    assert "each line must be a JSON object" in rendered[1]
    assert "no moderation labels here" in rendered[2]
    assert "confidence 950 is outside 0..100" in rendered[3]
    assert "label has no 'name'" in rendered[4]
    assert "must be an object" in rendered[5]
    assert "no moderation labels here" in rendered[6]
    assert "no moderation labels here" in rendered[7]
    assert "not usable JSON: Exceeds the limit (4300" in rendered[8]
    assert "not usable JSON" in rendered[9]
    assert str(caught.value).startswith(f"10 problem(s) in {path}")


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"cannot read the labels file .*: no such file"):
        read_samples(tmp_path / "missing.jsonl")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FileError, match=r"binary.jsonl:1:1: invalid UTF-8 byte 0xFF"):
        read_samples(binary)


# --------------------------------------------------------------------------- compare


def test_compare_counts_flips_and_categories() -> None:
    samples = read_samples(LABELS)
    impact = compare(moderation(UGC), moderation(UGC_STRICT), samples)
    assert (impact.samples, impact.before_rejected, impact.after_rejected) == (25, 9, 14)
    assert impact.newly_rejected == FLIPS_AT_05  # in file order
    assert impact.newly_approved == []
    assert dict(impact.rejecting_categories) == {
        "explicit_nudity": 5, "nudity": 2, "illustrated_explicit_nudity": 1, "sexual_activity": 1,
    }  # fmt: skip
    assert not impact.approving_categories
    data = impact.to_dict()
    assert data["before"] == {"approved": 16, "rejected": 9, "moderated": True}
    assert data["after"] == {"approved": 11, "rejected": 14, "moderated": True}
    assert (data["newly_rejected"], data["newly_approved"]) == (5, 0)
    assert data["summary"].splitlines() == [
        "on 25 labelled sample(s):",
        "  remote: 16 approved, 9 rejected",
        "  definition: 11 approved, 14 rejected",
        "  flips: 5 approved -> rejected, 0 rejected -> approved",
        NEWLY_REJECTED_BY,
    ]


def test_compare_the_other_way_round_approves_the_same_samples() -> None:
    samples = read_samples(LABELS)
    impact = compare(moderation(UGC_STRICT), moderation(UGC), samples)
    assert impact.newly_approved == FLIPS_AT_05
    assert impact.newly_rejected == []
    assert impact.approving_categories["explicit_nudity"] == 5
    assert "newly approved in: explicit_nudity (5)" in impact.summary()


def test_compare_with_a_side_not_moderated_by_rekognition() -> None:
    samples = read_samples(LABELS)
    impact = compare(None, moderation("aws_rek"), samples)
    assert not impact.before_moderated
    assert impact.after_moderated
    # the default 0.5 for every category: suggestive is no longer ignored
    assert impact.before_rejected == 0
    assert impact.after_rejected == len(impact.newly_rejected) == 20
    assert impact.rejecting_categories["suggestive"] == 6
    assert "remote: not moderated by Rekognition (25 approved)" in impact.summary()
    manual_only = compare(moderation("manual"), moderation("manual"), samples)
    assert manual_only.to_dict()["before"]["moderated"] is False
    assert (manual_only.before_rejected, manual_only.after_rejected) == (0, 0)


def test_no_samples_no_flips() -> None:
    impact = compare(moderation(UGC), moderation(UGC_STRICT), [])
    assert impact == Impact(before_moderated=True, after_moderated=True)


# --------------------------------------------------------------------------- commands


def _make_stricter(project_dir: Path) -> None:
    set_explicit_nudity(project_dir, "0.5")


def test_simulate_command_reports_definition_vs_remote(applied, remote_cli, project_dir) -> None:
    same = remote_cli(
        "moderation", "simulate", "--preset", "ugc-moderated", "--labels", str(LABELS)
    )
    assert same.exit_code == 0, same.output
    assert "flips: 0 approved -> rejected, 0 rejected -> approved" in same.stdout
    _make_stricter(project_dir)
    result = remote_cli(
        "moderation", "simulate", "--preset", "ugc-moderated", "--labels", str(LABELS)
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Target: cloud 'demo'")
    assert lines[1:] == [
        "Preset ugc-moderated: definition vs remote",
        "on 25 labelled sample(s):",
        "  remote: 16 approved, 9 rejected",
        "  definition: 11 approved, 14 rejected",
        "  flips: 5 approved -> rejected, 0 rejected -> approved",
        NEWLY_REJECTED_BY,
        "  newly rejected samples: " + ", ".join(FLIPS_AT_05),
    ]
    # the simulation reads the remote (one Admin call) and writes nothing
    assert remote_moderation(applied) == UGC


def test_simulate_command_json(applied, remote_cli, project_dir) -> None:
    _make_stricter(project_dir)
    result = remote_cli(
        "moderation", "simulate", "--preset", "ugc-moderated", "--labels", str(LABELS), "--json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stdout is only the JSON
    assert data["preset"] == "ugc-moderated"
    assert data["remote_exists"] is True
    assert data["before"] == {"approved": 16, "rejected": 9, "moderated": True}
    assert data["after"] == {"approved": 11, "rejected": 14, "moderated": True}
    assert (data["newly_rejected"], data["newly_approved"]) == (5, 0)
    assert data["categories_causing_rejections"]["explicit_nudity"] == 5
    assert result.stderr.startswith("Target: cloud 'demo'")


def test_simulate_command_before_the_preset_exists(project_dir, remote_cli, emulator) -> None:
    result = remote_cli(
        "moderation", "simulate", "--preset", "ugc-moderated", "--labels", str(LABELS)
    )
    assert result.exit_code == 0, result.output
    assert "Preset ugc-moderated: definition vs remote (preset not created yet)" in result.stdout
    assert "remote: not moderated by Rekognition (25 approved)" in result.stdout
    assert "definition: 16 approved, 9 rejected" in result.stdout
    assert emulator.presets("demo") == []


def test_simulate_command_errors(applied, remote_cli, tmp_path) -> None:
    unknown = remote_cli(
        "moderation", "simulate", "--preset", "ugc-moderatd", "--labels", str(LABELS)
    )
    assert unknown.exit_code == 64
    assert "no preset named 'ugc-moderatd'" in unknown.stderr
    assert "did you mean `ugc-moderated`?" in unknown.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "moderation_labels": [{"name": "Suggestive", "confidence": 50}]}\nnot json\n'
    )
    broken = remote_cli("moderation", "simulate", "--preset", "ugc-moderated", "--labels", str(bad))
    assert broken.exit_code == 1
    assert f"1 problem(s) in {bad}" in broken.stderr
    assert f"{bad}:2:1: error: not JSON" in broken.stderr


def test_plan_with_labels_shows_the_impact_of_a_moderation_change(
    applied, remote_cli, project_dir
) -> None:
    _make_stricter(project_dir)
    # an unrelated change to another preset gets no impact section
    avatar = project_dir / "presets" / "product-images.yaml"
    avatar.write_text(avatar.read_text().replace("tags: [product]", "tags: [product, catalogue]"))
    text = remote_cli("plan", "--labels", str(LABELS))
    assert text.exit_code == 0, text.output
    out = text.stdout
    block = out[out.index("~ update ugc-moderated") :]
    block = block[: block.index("\n\n")]
    assert "    settings.moderation:\n        ~ aws_rek.explicit_nudity: 0.7 -> 0.5" in block
    assert block.splitlines()[-5:] == [
        "    on 25 labelled sample(s):",
        "      remote: 16 approved, 9 rejected",
        "      definition: 11 approved, 14 rejected",
        "      flips: 5 approved -> rejected, 0 rejected -> approved",
        "    " + NEWLY_REJECTED_BY,
    ]
    products = out[out.index("~ update product-images") :]
    products = products[: products.index("\n\n")]
    assert "labelled sample" not in products
    assert out.count("labelled sample") == 1

    markdown = remote_cli("plan", "--labels", str(LABELS), "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    md = markdown.stdout
    assert md.count("**Moderation impact** (on the sample labels):") == 1
    section = md[md.index("**Moderation impact**") :]
    assert "    flips: 5 approved -> rejected, 0 rejected -> approved" in section
    assert "    definition: 11 approved, 14 rejected" in section
    # the impact sits inside the ugc-moderated details block
    assert md.rindex("ugc-moderated", 0, md.index("**Moderation impact**")) > md.rindex(
        "product-images", 0, md.index("**Moderation impact**")
    )

    as_json = remote_cli("plan", "--labels", str(LABELS), "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    impact = json.loads(as_json.stdout)["moderation_impact"]
    assert list(impact) == ["ugc-moderated"]
    assert impact["ugc-moderated"]["after"]["rejected"] == 14
    # planning wrote nothing
    assert remote_moderation(applied) == UGC


def test_plan_with_bad_labels_fails_before_any_request(applied, remote_cli, tmp_path) -> None:
    before = applied.stats()["admin_calls"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "x", "moderation_labels": [{"name": "Suggestive", "confidence": "high"}]}\n'
    )
    result = remote_cli("plan", "--labels", str(bad))
    assert result.exit_code == 1
    assert (
        f"{bad}:1:1: error: label 'Suggestive': 'confidence' must be a number from 0 to 100"
        in result.stderr
    )
    assert applied.stats()["admin_calls"] == before


def test_a_confidence_on_a_0_to_1_scale_is_refused_not_read_as_a_percentage(tmp_path):
    from cloudinary_presets.errors import DefinitionError
    from cloudinary_presets.operations.simulate import read_samples

    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"id": "a", "moderation_labels": [{"name": "Explicit Nudity", "confidence": 0.94}]}\n'
    )
    with pytest.raises(DefinitionError) as caught:
        read_samples(path)
    assert caught.value.problems[0].render() == (
        f"{path}:1:1: error: label 'explicit_nudity': confidence 0.94 looks like a 0-1 value; "
        "Rekognition and Cloudinary report confidence from 0 to 100"
    )


def test_category_counts_print_most_frequent_first_then_by_name() -> None:
    # ties must not follow set iteration order (it changes with PYTHONHASHSEED)
    labels = [Label("drinking", "alcohol", 0.9), Label("alcohol", "", 0.9)]
    samples = [Sample("a", tuple(labels)), Sample("b", (Label("weapons", "violence", 0.9),))]
    impact = compare(None, parse_moderation("aws_rek"), samples)
    assert impact.to_dict()["categories_causing_rejections"] == {
        "alcohol": 1,
        "drinking": 1,
        "weapons": 1,
    }
    assert list(impact.to_dict()["categories_causing_rejections"]) == [
        "alcohol",
        "drinking",
        "weapons",
    ]
    assert "newly rejected by: alcohol (1), drinking (1), weapons (1)" in impact.summary()
