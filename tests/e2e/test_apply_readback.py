"""How `apply` reads back what it wrote: one list pass, or one GET per written preset
when that is fewer calls (a few writes among thousands of presets). Calls are counted by
the emulator; the verdicts are the same either way."""

from __future__ import annotations

from e2e_helpers import plan_json, requests, simple, stored

from cloudinary_presets.cloudinary.cloudinary_url import parse_cloudinary_url
from cloudinary_presets.cloudinary.remote import RemotePresets
from cloudinary_presets.cloudinary.transport import Transport
from cloudinary_presets.model.changes import WHOLE_PRESET, Mismatch
from cloudinary_presets.model.preset import Preset
from cloudinary_presets.operations.apply import verify
from cloudinary_presets.planning.plan import Action, Change

#: 1,600 presets no definition manages: a list pass takes 4 pages
BULK = [{"name": f"bulk-{i:04d}", "tags": "x"} for i in range(1600)]


def test_a_few_writes_among_many_presets_are_read_back_one_by_one(
    project_dir, remote_cli, emulator
):
    emulator.seed_presets("demo", BULK)
    plan = plan_json(remote_cli)
    assert plan["api"]["list_calls"] == 4
    assert plan["api"]["apply_calls"] == 3 + 3  # the 3 writes, then 3 GETs (fewer than 4 pages)
    before = requests(emulator)

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 0, result.output
    after = requests(emulator)
    calls = {key: after[key] - before[key] for key in after if after[key] != before[key]}
    assert calls == {
        "GET /upload_presets": 4,  # the plan's listing
        "POST /upload_presets": 3,
        "GET /upload_presets/{name}": 3,  # reading back the 3 written presets
    }
    assert "(6 Admin API calls)" in result.stdout  # the writes and the read-back
    assert remote_cli("plan", "--detailed-exitcode").exit_code == 0


def test_what_a_get_reads_back_is_judged_like_a_listing(project_dir, remote_cli, emulator):
    emulator.seed_presets("demo", BULK)
    emulator.set_addons("demo", enabled=[])  # no Rekognition: moderation is silently dropped

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 1, result.output
    err = result.stderr.splitlines()
    assert "  avatar: Cloudinary stored something other than what was sent:" in err
    assert "    settings.moderation: sent 'aws_rek', stored None" in err
    assert not any("product-images" in line for line in err)
    assert "moderation" not in stored(emulator, "avatar")["settings"]
    assert requests(emulator)["GET /upload_presets/{name}"] == 3


def test_a_written_preset_that_a_get_does_not_find_is_reported(project_dir, remote_cli, emulator):
    emulator.seed_presets("demo", BULK)
    emulator.set_faults(
        [{"kind": "status", "status": 404, "method": "GET", "path": "*/upload_presets/avatar"}]
    )

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 1, result.output
    assert "  avatar: Cloudinary stored something other than what was sent:" in result.stderr
    assert "not found after write" in result.stderr


def test_as_many_writes_as_list_pages_are_read_back_with_one_list_pass(
    project_dir, remote_cli, emulator
):
    emulator.seed_presets("demo", BULK)
    simple(project_dir, ["extra"])  # 4 writes, 4 pages: a list pass is no more calls
    before = requests(emulator)

    result = remote_cli("apply", "--yes")

    assert result.exit_code == 0, result.output
    after = requests(emulator)
    calls = {key: after[key] - before[key] for key in after if after[key] != before[key]}
    assert calls == {"GET /upload_presets": 4 + 4, "POST /upload_presets": 4}


def _changes(action: Action, *names: str) -> list[Change]:
    preset = Preset.model_validate({"name": "x", "settings": {"folder": "f"}})
    return [
        Change(action=action, name=n, remote_name=n, after=preset.model_copy(update={"name": n}))
        for n in names
    ]


def test_verification_of_a_delete_says_when_the_preset_is_still_there(emulator, cloudinary_url):
    emulator.seed_presets("demo", [{"name": "kept", "folder": "f"}])
    transport = Transport(parse_cloudinary_url(cloudinary_url, "test"))
    before = requests(emulator)
    mismatches = verify(_changes(Action.DELETE, "kept"), RemotePresets(transport), ())
    after = requests(emulator)
    assert after["GET /upload_presets"] - before["GET /upload_presets"] == 1  # one list pass
    assert verify(_changes(Action.DELETE, "gone"), RemotePresets(transport), ()) == {}
    emulator.seed_presets("demo", [{"name": "kept2", "folder": "f"}])
    three = [
        *_changes(Action.DELETE, "kept"),
        *_changes(Action.CREATE, "missing"),
        *_changes(Action.DELETE, "kept2"),
    ]
    assert verify(three, RemotePresets(transport), ()) == {
        "kept": mismatches["kept"],
        "missing": [Mismatch(path=WHOLE_PRESET, sent="the preset", note="not found after write")],
        "kept2": mismatches["kept"],
    }
    transport.close()
    assert mismatches == {
        "kept": [Mismatch(path=WHOLE_PRESET, stored="present", note="still exists after delete")]
    }
    assert [m.describe() for m in mismatches["kept"]] == ["(preset): still exists after delete"]


def test_a_write_stored_in_another_spelling_is_not_a_mismatch(emulator, cloudinary_url):
    """Tags echoed in another order are what was sent; the changes after it are still judged."""
    emulator.seed_presets("demo", [{"name": "spelled", "tags": "b,a"}])
    preset = Preset.model_validate({"name": "spelled", "settings": {"tags": ["a", "b"]}})
    spelled = Change(
        action=Action.UPDATE,
        name="spelled",
        remote_name="spelled",
        after=preset,
        after_fingerprint=preset.fingerprint(),
    )
    transport = Transport(parse_cloudinary_url(cloudinary_url, "test"))
    mismatches = verify(
        [spelled, *_changes(Action.CREATE, "missing")], RemotePresets(transport), ()
    )
    transport.close()
    assert list(mismatches) == ["missing"]
