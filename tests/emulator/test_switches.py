"""Switches for unverified readings: PUT replace vs merge, moderation timing and delay.

Each switch is on the constructor, in the control API (``/_emulator/settings``) and on
``presets emulator``; ``reset()`` restores the constructor's values.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudinary_presets.emulator import Emulator


def stored(emu: Emulator, name: str = "p") -> dict[str, object]:
    [preset] = [p for p in emu.presets("demo") if p["name"] == name]
    return preset["settings"]  # type: ignore[return-value]


def test_replace_is_the_default(emu: Emulator, client) -> None:
    body = {"name": "p", "folder": "f", "tags": "a", "live": True, "overwrite": False}
    assert client.admin("POST", "/upload_presets", json=body).status_code == 200
    client.admin("PUT", "/upload_presets/p", json={"tags": "b", "folder": ""})
    assert stored(emu) == {"tags": "b", "live": True}  # ``live`` kept when absent
    client.admin("PUT", "/upload_presets/p", json={"tags": "c", "live": False})
    assert stored(emu) == {"tags": "c", "live": False}


def test_merge_keeps_what_is_not_sent_and_empty_clears(make_client) -> None:
    with Emulator(put_semantics="merge") as emu:
        client = make_client(emu)
        body = {"name": "p", "folder": "f", "tags": "a", "overwrite": False, "x_custom": 1}
        client.admin("POST", "/upload_presets", json=body)
        client.admin("PUT", "/upload_presets/p", json={"tags": "b", "unsigned": True})
        assert stored(emu) == {"folder": "f", "tags": "b", "overwrite": False, "x_custom": 1}
        assert emu.presets("demo")[0]["unsigned"] is True
        # "", null and [] clear a setting; the SDK drops "" itself, so this is raw JSON
        client.admin(
            "PUT",
            "/upload_presets/p",
            json={"folder": "", "overwrite": None, "tags": [], "x_custom": ""},
        )
        assert stored(emu) == {}
        assert emu.presets("demo")[0]["unsigned"] is True  # not a setting: never cleared
        form = client.admin("PUT", "/upload_presets/p", data={"folder": "g", "tags": ""})
        assert form.status_code == 200
        assert stored(emu) == {"folder": "g"}


def test_the_same_update_under_both_readings(emu: Emulator, client) -> None:
    """What a client must get right: send every setting, clear removed ones explicitly."""
    results = {}
    for semantics in ("replace", "merge"):
        emu.reset()
        emu.configure(put_semantics=semantics)
        client.admin("POST", "/upload_presets", json={"name": "p", "folder": "f", "tags": "a"})
        client.admin("PUT", "/upload_presets/p", json={"tags": "b", "folder": ""})
        results[semantics] = stored(emu)
    assert results == {"replace": {"tags": "b"}, "merge": {"tags": "b"}}
    emu.configure(put_semantics="merge")
    client.admin("PUT", "/upload_presets/p", json={"folder": "x"})  # tags not sent: kept
    assert stored(emu) == {"tags": "b", "folder": "x"}


def test_settings_over_the_control_api(emu: Emulator, client) -> None:
    assert client.control("GET", "/settings").json() == {
        "put_semantics": "replace",
        "moderation_timing": "async",
        "moderation_delay": 0.05,
    }
    changed = client.control(
        "POST", "/settings", json={"put_semantics": "merge", "moderation_delay": 2}
    )
    assert changed.json() == {
        "put_semantics": "merge",
        "moderation_timing": "async",
        "moderation_delay": 2.0,
    }
    assert emu.settings() == changed.json()
    for body, message in [
        ({"put_semantics": "patch"}, "put_semantics must be one of replace, merge"),
        ({"moderation_timing": "later"}, "moderation_timing must be one of async, sync"),
        ({"moderation_delay": -1}, "moderation_delay must be from 0 to 3600 seconds"),
        ({"moderation_delay": "1"}, "'moderation_delay' must be a number"),
        ({"moderation_timing": 1}, "'moderation_timing' must be a string"),
        ({"color": "red"}, "unknown setting(s) color"),
    ]:
        refused = client.control("POST", "/settings", json=body)
        assert refused.status_code == 400, body
        assert message in refused.json()["error"]["message"]
    assert emu.settings() == changed.json()  # a refused change changes nothing
    algorithm = client.control(
        "POST", "/signature_algorithm", json={"cloud": "demo", "algorithm": "sha256"}
    )
    assert algorithm.json() == {"cloud": "demo", "algorithm": "sha256"}
    bad = client.control("POST", "/signature_algorithm", json={"cloud": "demo", "algorithm": "md5"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"put_semantics": "patch"}, "put_semantics must be one of"),
        ({"moderation_timing": "eventually"}, "moderation_timing must be one of"),
        ({"moderation_delay": -0.1}, "moderation_delay must be from 0"),
        ({"moderation_delay": float("nan")}, "moderation_delay must be from 0"),
    ],
)
def test_constructor_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator(**kwargs)


def test_presets_emulator_options(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, object]] = []

    def serve(self: Emulator) -> None:  # instead of blocking: record the switches
        seen.append(self.settings())
        self.stop()

    monkeypatch.setattr(Emulator, "serve_forever", serve)
    result = cli(
        "emulator",
        "--port", "0",
        "--put-semantics", "merge",
        "--moderation-timing", "sync",
        "--moderation-delay", "0.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("listening on http://127.0.0.1:")
    assert seen == [
        {"put_semantics": "merge", "moderation_timing": "sync", "moderation_delay": 0.5}
    ]
    defaults = cli("emulator", "--port", "0")
    assert defaults.exit_code == 0
    assert seen[-1] == {
        "put_semantics": "replace",
        "moderation_timing": "async",
        "moderation_delay": 0.05,
    }
    refused = cli("emulator", "--put-semantics", "patch")
    assert refused.exit_code == 64
    assert "'patch' is not one of 'replace', 'merge'" in refused.stderr
