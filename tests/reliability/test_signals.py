"""Ctrl-C means what the docs say: exit 130 in every phase, and during the writes a
summary that names every preset written, failed, in flight and not attempted.

Each test runs ``python -m cloudinary_presets`` as a real child process against the
emulator in this process, waits (by the emulator's request counters, or the child's
output) until the phase it wants, and sends real SIGINTs. The emulator holds requests
back with injected latency, so writes are still in flight when the signal lands.
"""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import child_env

from secret_scan import record

PRESETS = [f"p-{i:02d}" for i in range(1, 13)]
CREATE = "POST /upload_presets"
LIST = "GET /upload_presets"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Twelve presets, none on the remote yet: an apply creates all twelve."""
    root = tmp_path / "project"
    (root / "presets").mkdir(parents=True)
    for name in PRESETS:
        (root / "presets" / f"{name}.yaml").write_text(
            f"name: {name}\nsettings:\n  folder: {name}\n", encoding="utf-8"
        )
    return root


def spawn(root: Path, emulator: Any, *args: str, stdin: Any = subprocess.DEVNULL) -> Any:
    return subprocess.Popen(
        [sys.executable, "-m", "cloudinary_presets", *args],
        cwd=root,
        env=child_env(emulator.cloudinary_url("demo")),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def requests(emulator: Any, key: str) -> int:
    return int(emulator.stats()["requests"][key])


def finish(proc: Any, timeout: float = 30) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    record(out + err, "signal test output")
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def stored(emulator: Any) -> set[str]:
    return {p["name"] for p in emulator.presets("demo")}


def named(stderr: str, label: str) -> set[str]:
    """The presets the summary lists under ``label`` (``written``, ``not attempted``...):
    ``  not attempted: 8 create(s): p05, p06, ...`` (all named: fewer than twenty here)."""
    lines = re.findall(rf"^  {label}: \d+ create\(s\): (.+)$", stderr, re.MULTILINE)
    assert not any(" more" in line for line in lines), lines
    return {name for line in lines for name in line.split(", ")}


# --------------------------------------------------------------------------- during writes


def creates_delayed(emulator: Any, latency_ms: int) -> None:
    """Every create waits ``latency_ms`` in the emulator before it is processed."""
    emulator.set_faults([{"kind": "latency", "method": "POST", "path": "/v1_1/*/upload_presets",
                          "latency_ms": latency_ms}])  # fmt: skip


def apply_with_four_in_flight(project: Path, emulator: Any, latency_ms: int) -> Any:
    """``apply --yes --parallelism 4``, returned once four creates have reached the emulator
    (and wait there ``latency_ms``)."""
    creates_delayed(emulator, latency_ms)
    proc = spawn(project, emulator, "apply", "--yes", "--parallelism", "4")
    wait_for(lambda: requests(emulator, CREATE) == 4, "four creates in flight")
    return proc


def test_one_ctrl_c_lets_in_flight_writes_finish_and_names_them(
    project: Path, emulator: Any
) -> None:
    proc = apply_with_four_in_flight(project, emulator, 700)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130
    assert "Traceback" not in err
    assert "interrupted: no new writes; waiting for the 4 write(s) in flight to finish" in err
    # the four in flight were waited for, and named; nothing else was started
    written = named(err, "written")
    assert len(written) == 4
    assert written == stored(emulator)
    assert requests(emulator, CREATE) == 4
    assert named(err, "not attempted") == set(PRESETS) - written
    assert re.search(r"^error: interrupted: applied 4/12 change\(s\) in .*; 8 not attempted$",
                     err, re.MULTILINE)  # fmt: skip
    assert "hint: run `presets plan` to see exactly the remaining work" in err


def test_a_second_ctrl_c_stops_waiting_and_still_prints_the_summary(
    project: Path, emulator: Any
) -> None:
    proc = apply_with_four_in_flight(project, emulator, 4000)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the first press is noticed
    proc.send_signal(signal.SIGINT)
    second = time.monotonic()
    code, _, err = finish(proc)
    assert time.monotonic() - second < 2.0  # not the 4 s the writes still need
    assert code == 130
    assert "Traceback" not in err
    assert "interrupted again: not waiting any longer (4 write(s) still in flight)" in err
    in_flight = named(err, "in flight, outcome unknown")
    assert len(in_flight) == 4
    assert named(err, "written") == set()
    assert named(err, "not attempted") == set(PRESETS) - in_flight
    assert "4 in flight, outcome unknown; 8 not attempted" in err
    # the server still completes what it had received: "outcome unknown" was honest
    wait_for(lambda: stored(emulator) == in_flight, "the in-flight creates to land", 10)


def interrupt_listing(project: Path, emulator: Any, nth: int) -> tuple[int, str]:
    """``apply --yes`` with the ``nth`` listing held back 4 s; Ctrl-C while it waits."""
    emulator.set_faults([{"kind": "latency", "method": "GET", "path": "/v1_1/*/upload_presets",
                          "nth": [nth], "latency_ms": 4000}])  # fmt: skip
    proc = spawn(project, emulator, "apply", "--yes")
    wait_for(lambda: requests(emulator, LIST) == nth, f"listing {nth}")
    time.sleep(0.1)  # the child is waiting for the answer (see the prompt test)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc, timeout=3)
    return code, err


def test_ctrl_c_during_the_verifying_re_read_names_what_was_written(
    project: Path, emulator: Any
) -> None:
    code, err = interrupt_listing(project, emulator, 2)  # the re-read after the writes
    assert code == 130
    assert "Traceback" not in err
    assert named(err, "written") == set(PRESETS) == stored(emulator)
    assert "could not verify what Cloudinary stored: interrupted before the re-read finished" in err


# --------------------------------------------------------------------------- other phases


def test_ctrl_c_while_listing_exits_130_and_writes_nothing(project: Path, emulator: Any) -> None:
    code, err = interrupt_listing(project, emulator, 1)
    assert code == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err
    assert requests(emulator, CREATE) == 0


def test_ctrl_c_while_reading_definitions_exits_130(project: Path, emulator: Any) -> None:
    for i in range(4000):  # enough files that reading them takes a while
        (project / "presets" / f"more-{i:04d}.yaml").write_text(
            f"name: more-{i:04d}\nsettings:\n  folder: x{i}\n  tags: [a, b]\n", encoding="utf-8"
        )
    proc = spawn(project, emulator, "plan")
    assert proc.stdout.readline().startswith(b"Target: ")  # printed just before reading them
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc, timeout=10)
    assert code == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err
    assert requests(emulator, LIST) == 0  # interrupted before the listing


def test_ctrl_c_at_the_confirmation_prompt_exits_130(project: Path, emulator: Any) -> None:
    controller, terminal = pty.openpty()  # a terminal on stdin: apply asks
    try:
        proc = spawn(project, emulator, "apply", stdin=terminal)
        seen = b""
        deadline = time.monotonic() + 20
        while b"Only 'yes' is accepted" not in seen:
            assert time.monotonic() < deadline, seen
            seen += os.read(proc.stdout.fileno(), 4096)
        # let it block reading the answer: a signal that lands in the instant between the
        # prompt and the read() is only handled when the read returns (a CPython race a
        # person at a keyboard cannot hit)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        code, _, err = finish(proc)
    finally:
        os.close(controller)
        os.close(terminal)
    assert code == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    assert stored(emulator) == set()


# --------------------------------------------------------------------------- uploads


def _png(tmp_path: Path, name: str, size: int = 0) -> Path:
    """A tiny valid PNG header padded to ``size`` bytes (sparse)."""
    path = tmp_path / name
    head = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00"
    )
    with path.open("wb") as handle:
        handle.write(head + name.encode())
        if size:
            handle.truncate(size)
    return path


@pytest.fixture
def uploadable(project: Path, emulator: Any) -> Path:
    """The project with a signed, unrestricted preset applied."""
    (project / "presets" / "files.yaml").write_text(
        "name: files\nsettings:\n  use_filename: true\n  unique_filename: false\n",
        encoding="utf-8",
    )
    applied = spawn(project, emulator, "apply", "--yes")
    assert finish(applied)[0] == 0
    return project


def test_ctrl_c_during_uploads_starts_no_new_file_and_names_each(
    uploadable: Path, emulator: Any, tmp_path: Path
) -> None:
    files = [_png(tmp_path, f"f{i}.png") for i in range(4)]
    emulator.set_faults([{"kind": "latency", "method": "POST", "path": "/v1_1/*/*/upload",
                          "latency_ms": 800}])  # fmt: skip
    proc = spawn(uploadable, emulator, "upload", *map(str, files), "--preset", "files",
                 "--parallelism", "1")  # fmt: skip
    wait_for(lambda: requests(emulator, "POST /{resource_type}/upload") == 1, "the first upload")
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130
    assert "Traceback" not in err
    assert f"  uploaded: {files[0]} -> f0" in err
    for path in files[1:]:
        assert f"  not uploaded: {path}" in err
    assert "interrupted: 1/4 uploaded, 0 failed, 3 not uploaded" in err
    assert requests(emulator, "POST /{resource_type}/upload") == 1
    assert [a["public_id"] for a in emulator.assets("demo")] == ["f0"]


# --------------------------------------------------------------------------- the library


def _library_apply(project: Path, emulator: Any, interruption: Any, on_start: Any) -> Any:
    from cloudinary_presets.definitions.project import Project
    from cloudinary_presets.operations.target import open_target
    from cloudinary_presets.operations.workflow import apply_interactive

    root = Project.open(project)
    environ = {"CLOUDINARY_URL": emulator.cloudinary_url("demo")}
    started = []

    def on_event(event: Any) -> None:
        if event.kind == "start":
            started.append(event.change.remote_name)
            on_start(len(started))

    with open_target(root=project, environ=environ, home=project) as target:
        return apply_interactive(
            root, root.environment(None), target, environ, confirm=lambda plan: True,
            parallelism=4, on_event=on_event, interruption=interruption,
        )  # fmt: skip


def test_the_library_press_once_then_twice(project: Path, emulator: Any) -> None:
    """What the CLI's handler does, called directly: the first press stops new writes,
    the second stops waiting; outside the writes a press interrupts."""
    from cloudinary_presets.errors import ApplyInterrupted
    from cloudinary_presets.operations.interruption import Interruption

    interruption = Interruption()
    with pytest.raises(KeyboardInterrupt):
        interruption.press()  # not writing: an ordinary interrupt
    creates_delayed(emulator, 1500)

    def on_start(count: int) -> None:
        if count == 4:
            interruption.press()
            interruption.press()

    with pytest.raises(ApplyInterrupted) as caught:
        _library_apply(project, emulator, interruption, on_start)
    report = caught.value.report
    assert caught.value.exit_code == 130
    assert len(report.in_flight) == 4
    assert len(report.not_attempted) == 8
    assert report.done == []
    with pytest.raises(KeyboardInterrupt):
        interruption.press()  # the writes are over


@pytest.fixture
def python_ctrl_c() -> Iterator[None]:
    """Python's own Ctrl-C handler, whatever the test run inherited: a run started in the
    background (``cmd &``) inherits SIGINT ignored, and then ``_thread.interrupt_main``
    does nothing at all."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_without_a_handler_a_keyboard_interrupt_still_lets_writes_finish(
    project: Path, emulator: Any, python_ctrl_c: None
) -> None:
    """A library caller with Python's default Ctrl-C: the KeyboardInterrupt that lands while
    the apply waits for its writes counts as a press."""
    import _thread
    import threading

    from cloudinary_presets.errors import ApplyInterrupted

    creates_delayed(emulator, 600)

    def on_start(count: int) -> None:
        if count == 4:
            threading.Timer(0.2, _thread.interrupt_main).start()

    with pytest.raises(ApplyInterrupted) as caught:
        _library_apply(project, emulator, None, on_start)
    report = caught.value.report
    assert len(report.done) == 4
    assert {c.remote_name for c in report.done} == stored(emulator)
    assert len(report.not_attempted) == 8


def test_the_library_upload_batch_stops_on_keyboard_interrupt(
    uploadable: Path, emulator: Any, tmp_path: Path, python_ctrl_c: None
) -> None:
    import _thread
    import threading

    from cloudinary_presets.errors import UploadsInterrupted
    from cloudinary_presets.operations.upload_batch import upload_files
    from cloudinary_presets.operations.uploader import Uploader

    files = [str(_png(tmp_path, f"g{i}.png")) for i in range(4)]
    emulator.set_faults([{"kind": "latency", "method": "POST", "path": "/v1_1/*/*/upload",
                          "latency_ms": 600}])  # fmt: skip

    def interrupt_during_the_first_upload() -> None:
        wait_for(lambda: requests(emulator, "POST /{resource_type}/upload") == 1, "an upload")
        _thread.interrupt_main()

    threading.Thread(target=interrupt_during_the_first_upload, daemon=True).start()
    with (
        Uploader.from_env(
            {"CLOUDINARY_URL": emulator.cloudinary_url("demo")}, root=uploadable
        ) as up,
        pytest.raises(UploadsInterrupted) as caught,
    ):
        upload_files(up, files, preset="files", parallelism=1)
    assert caught.value.exit_code == 130
    assert (
        str(caught.value).splitlines()[0] == "interrupted: 1/4 uploaded, 0 failed, 3 not uploaded"
    )
    assert [a["public_id"] for a in emulator.assets("demo")] == ["g0"]
