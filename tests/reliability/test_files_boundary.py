"""The filesystem boundary: local trouble is a one-line error, never a traceback or a hang.

Every trigger of issue 12 (sections 1, 2 and 6) and issue 10 (sections 4 and 8), run
through the real CLI: in-process where nothing can block, as a child process where a
hang, a real terminal encoding or file permissions are the point. Each test checks the
exit code, the one ``error:`` line (path named, reason, hint), and what is left on disk
and in the emulator (nothing written, no Admin API call where the error comes first).
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import child_env

from cli_runner import Result
from cloudinary_presets.operations import lock

pytestmark = [pytest.mark.files, pytest.mark.timeout(60)]

REPO = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
#: a credential as it sits in ~/.git-credentials: it must never reach any output
TOKEN = "ghp_Fil3sB0undaryT0ken9xQ2mZ7"
CREDENTIAL_LINE = f"https://deploy:{TOKEN}@github.com"


def one_error(result: Result, *fragments: str, code: int = 1) -> None:
    """Exit ``code``, no traceback, exactly one ``error:`` line, each fragment on stderr."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def child(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 30,
) -> Result:
    """``python -m cloudinary_presets ARGS`` in a child process with strict UTF-8 output."""
    environment = env or child_env("")
    if not environment.get("CLOUDINARY_URL"):
        environment.pop("CLOUDINARY_URL", None)
    environment.update({"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"})
    done = subprocess.run(
        [sys.executable, "-m", "cloudinary_presets", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        timeout=timeout,
        preexec_fn=preexec_fn,  # only prctl, before exec
    )
    return Result(
        done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )  # strict: the child's output is UTF-8


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project (three presets, no configuration) as the working directory."""
    import shutil

    root = tmp_path / "project"
    shutil.copytree(REPO / "presets", root / "presets")
    monkeypatch.chdir(root)
    return root


def _drop_dac_override() -> None:
    """In the child, before exec: give up root's power to ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@contextmanager
def read_only(*folders: Path) -> Iterator[Callable[[], None] | None]:
    """The folders made read-only; yields what a child needs to feel it (root or not)."""
    if os.geteuid() == 0:
        try:
            subprocess.run([sys.executable, "-c", ""], preexec_fn=_drop_dac_override, check=True)
        except (subprocess.SubprocessError, OSError):
            pytest.skip("root here cannot give up CAP_DAC_OVERRIDE: permissions would not apply")
    for folder in folders:
        folder.chmod(0o555)
    try:
        yield _drop_dac_override if os.geteuid() == 0 else None
    finally:
        for folder in folders:
            folder.chmod(0o755)


def _small_memory() -> None:
    """In the child, before exec: 1 GiB of address space, so a regression that reads
    /dev/zero fails with MemoryError instead of taking the machine's memory."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1024 * MIB, 1024 * MIB))


def _fifo(path: Path) -> Path:
    os.mkfifo(path)  # nobody ever writes to it: opening it for reading would block forever
    return path


# --------------------------------------------------------------------------- local state


def test_a_corrupt_emulator_database_is_an_error_with_a_hint(project: Path, cli: Any) -> None:
    state = project / ".presets"
    state.mkdir()
    (state / "emulator.sqlite").write_bytes(b"this is not an SQLite database\n" * 64)
    result = cli("plan", "--emulator")
    one_error(
        result,
        "error: cannot open the embedded emulator's database .presets/emulator.sqlite: file is "
        "not a database",
        "hint: it holds only the local emulator's presets: delete it to start afresh",
    )
    assert (state / "emulator.sqlite").read_bytes().startswith(b"this is not")


def test_presets_state_being_a_file_is_an_error_with_a_hint(project: Path, cli: Any) -> None:
    (project / ".presets").write_text("a file where the state folder goes\n")
    for args in (("plan", "--emulator"), ("apply", "--emulator", "--yes")):
        result = cli(*args)
        one_error(result, ".presets is a file, not a folder", "hint: remove or rename .presets")
    assert (project / ".presets").is_file()


def test_emulator_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = child(["emulator", "--port", str(port)], tmp_path)
    one_error(
        result,
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use",
        "hint: another program uses this port: pass another --port",
    )
    assert result.stdout == ""


def test_emulator_data_that_is_not_a_database_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("shopping list\n" * 100)
    result = child(["emulator", "--port", "0", "--data", "notes.txt"], tmp_path)
    one_error(
        result,
        "error: cannot open the database notes.txt: file is not a database",
        "hint: --data takes an SQLite file written by `presets emulator`",
    )
    assert (tmp_path / "notes.txt").read_text() == "shopping list\n" * 100


def test_emulator_data_and_labels_that_are_not_regular_files_are_refused_at_once(
    tmp_path: Path,
) -> None:
    _fifo(tmp_path / "pipe")
    (tmp_path / "blocker").write_text("x")
    cases = [
        (["--data", "pipe"], "cannot use the database pipe: it is a FIFO (named pipe)"),
        (["--data", "blocker/state.sqlite"], "blocker is a file, not a folder"),
        (["--labels", "pipe"], "cannot read the labels file pipe: it is a FIFO (named pipe)"),
        (["--labels", "/dev/zero"], "cannot read the labels file /dev/zero: it is a character"),
    ]
    for extra, message in cases:
        result = child(["emulator", "--port", "0", *extra], tmp_path, timeout=20)
        one_error(result, message)


@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
def test_a_step_summary_that_cannot_be_written_is_an_error(
    project: Path, cli: Any, where: str
) -> None:
    target = project if where == "a folder" else project / "missing" / "summary.md"
    result = cli("validate", env={"GITHUB_STEP_SUMMARY": str(target)})
    reason = "it is a folder, not a regular file" if where == "a folder" else "does not exist"
    one_error(result, "error: cannot append the job summary to", reason, "hint: GITHUB_STEP")
    assert not (project / "missing").exists()


def test_the_step_summary_is_appended_to(project: Path, cli: Any) -> None:
    summary = project / "summary.md"
    summary.write_text("# earlier step\n")
    result = cli("validate", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert "3 file(s)" in text or "valid" in text


# --------------------------------------------------------------------------- encodings


def test_a_plan_file_that_is_not_utf8_is_located(project: Path, cli: Any) -> None:
    (project / "plan.json").write_bytes(b'{"format_version": 2,\n "summary": "caf\xe9"}\n')
    result = cli("apply", "plan.json")
    one_error(
        result,
        "error: cannot read the plan file plan.json:2:17: invalid UTF-8 byte 0xE9",
        "hint: give the file `presets plan --out` wrote",
    )


def test_a_preset_file_name_that_is_not_utf8_is_named_not_a_traceback(
    project: Path, emulator: Any
) -> None:
    name = os.fsencode(project / "presets") + b"/caf\xe9.yaml"
    with open(name, "wb") as handle:
        handle.write(b"name: cafe\n")
    env = child_env(emulator.cloudinary_url("demo"))
    shown = "presets/caf\\xe9.yaml"
    plan = child(["plan", "--format", "json", "--out", "plan.json"], project, env)
    assert plan.exit_code == 1, plan.output
    assert "Traceback" not in plan.output
    assert f"{shown}: error: the file name is not valid UTF-8; rename it" in plan.stderr
    assert not (project / "plan.json").exists()
    validate = child(["validate", "--format", "json"], project, env)
    assert validate.exit_code == 1, validate.output
    problems = json.loads(validate.stdout)["problems"]
    assert [p["file"] for p in problems] == [shown]
    assert emulator.stats()["admin_calls"] == 0


# --------------------------------------------------------------------------- permissions


def test_apply_in_a_read_only_checkout_is_an_error_and_writes_nothing(
    project: Path, emulator: Any
) -> None:
    env = child_env(emulator.cloudinary_url("demo"))
    with read_only(project) as as_reader:
        result = child(["apply", "--yes"], project, env, preexec_fn=as_reader)
    one_error(
        result,
        "error: cannot create the folder .presets: Permission denied",
        "hint: apply keeps its lock in .presets/ under the project root",
    )
    stats = emulator.stats()
    assert stats["admin_calls"] == 0
    assert stats["writes"] == 0


def test_import_into_a_read_only_presets_folder_writes_nothing(
    project: Path, emulator: Any
) -> None:
    emulator.seed_presets("demo", [{"name": "legacy", "folder": "old"}])
    env = child_env(emulator.cloudinary_url("demo"))
    before = sorted(p.name for p in (project / "presets").iterdir())
    with read_only(project / "presets") as as_reader:
        result = child(["import", "legacy"], project, env, preexec_fn=as_reader)
    one_error(
        result,
        "error: cannot write presets/legacy.yaml: Permission denied",
        "files imported before this one: none",
    )
    assert sorted(p.name for p in (project / "presets").iterdir()) == before


def test_schema_dir_under_a_file_is_an_error(tmp_path: Path, cli: Any, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("not a folder\n")
    result = cli("schema", "--dir", "file/sub")
    one_error(
        result,
        "error: cannot create the schema folder file/sub: file is a file, not a folder",
        "hint: remove or rename file",
    )
    assert (tmp_path / "file").read_text() == "not a folder\n"


def test_apply_is_refused_where_there_is_no_os_lock(
    project: Path, remote_cli: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "fcntl", None)  # what Windows looks like to lock.py
    result = remote_cli("apply", "--yes")
    one_error(
        result,
        "error: apply is not supported on this system: it has no OS file lock",
        "hint: run apply on Linux or macOS",
    )
    assert emulator.stats()["writes"] == 0
    assert not (project / ".presets").exists()


# --------------------------------------------------------------------------- special files


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_plan_file_that_is_not_a_regular_file_is_refused_at_once(
    project: Path, kind: str
) -> None:
    path = str(_fifo(project / "plan.json")) if kind == "fifo" else "/dev/zero"
    result = child(["apply", path], project, preexec_fn=_small_memory, timeout=20)
    what = "a FIFO (named pipe)" if kind == "fifo" else "a character device"
    one_error(result, "error: cannot read the plan file", f"it is {what}, not a regular file")


@pytest.mark.parametrize("command", ["plan", "simulate"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_labels_file_that_is_not_a_regular_file_is_refused_at_once(
    project: Path, kind: str, command: str
) -> None:
    path = str(_fifo(project / "labels.jsonl")) if kind == "fifo" else "/dev/zero"
    args = (
        ["plan", "--emulator", "--labels", path]
        if command == "plan"
        else ["moderation", "simulate", "--emulator", "--preset", "avatar", "--labels", path]
    )
    result = child(args, project, preexec_fn=_small_memory, timeout=20)
    one_error(result, "error: cannot read the labels file", "not a regular file")
    assert not (project / ".presets").exists()  # refused before the target was opened


def test_a_folder_as_plan_or_labels_file_is_a_usage_error(project: Path, cli: Any) -> None:
    for args in (("apply", "presets"), ("plan", "--emulator", "--labels", "presets")):
        result = cli(*args)
        assert result.exit_code == 64, result.output
        assert "is a directory" in result.stderr


def test_files_to_upload_must_be_regular_files(project: Path, emulator: Any) -> None:
    _fifo(project / "pipe.jpg")
    result = child(
        ["upload", "--preset", "avatar", "pipe.jpg", "/dev/zero", "presets"],
        project,
        child_env(emulator.cloudinary_url("demo")),
        preexec_fn=_small_memory,
        timeout=20,
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name, what in (
        ("pipe.jpg", "a FIFO (named pipe)"),
        ("/dev/zero", "a character device"),
        ("presets", "a folder"),
    ):
        assert f"{name}: FAILED: cannot upload {name}: it is {what}, not a regular file" in (
            result.stderr
        )
    assert emulator.stats()["uploads"] == 0


@pytest.mark.parametrize("what", ["plan", "labels"])
def test_plan_and_labels_files_have_a_size_cap(project: Path, cli: Any, what: str) -> None:
    path = project / f"big.{what}"
    with open(path, "wb") as handle:
        handle.truncate(64 * MIB + 1)  # sparse: the size is seen, nothing is read
    args = ("apply", str(path)) if what == "plan" else ("plan", "--emulator", "--labels", str(path))
    result = cli(*args)
    one_error(result, f"it is {64 * MIB + 1} bytes; the limit is {64 * MIB} (64 MiB)")


# --------------------------------------------------------------------------- --out


def _device_like_dev_full(path: Path) -> Path:
    """A character device node like /dev/full, of the test's own: if a regression replaced
    it, the machine's /dev/full would still be a device (a FIFO where mknod is not allowed)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    except PermissionError:
        os.mkfifo(path)
    return path


def test_plan_out_never_replaces_a_device(project: Path, cli: Any) -> None:
    device = _device_like_dev_full(project.parent / "full")
    kind = "a character device" if stat.S_ISCHR(device.lstat().st_mode) else "a FIFO (named pipe)"
    result = cli("plan", "--emulator", "--out", str(device))
    one_error(result, f"error: cannot write the plan to {device}: it is {kind}, not a regular")
    assert not stat.S_ISREG(device.lstat().st_mode)
    assert not (project / ".presets").exists()  # refused before any work


def test_plan_out_refuses_a_dangling_link_and_follows_a_good_one(project: Path, cli: Any) -> None:
    (project / "dangling.json").symlink_to(project / "nowhere" / "plan.json")
    result = cli("plan", "--emulator", "--out", "dangling.json")
    one_error(result, "cannot write the plan to dangling.json: it is a symbolic link to a missing")
    assert (project / "dangling.json").is_symlink()
    assert not (project / "nowhere").exists()
    (project / "plans").mkdir()
    (project / "plans" / "real.json").write_text("old\n")
    (project / "linked.json").symlink_to(project / "plans" / "real.json")
    result = cli("plan", "--emulator", "--out", "linked.json")
    assert result.exit_code == 0, result.output
    assert (project / "linked.json").is_symlink()
    saved = json.loads((project / "plans" / "real.json").read_text())
    assert saved["format_version"] == 2
    assert stat.S_IMODE((project / "plans" / "real.json").stat().st_mode) == 0o600


# --------------------------------------------------------------------------- near misses


def test_a_configuration_with_the_wrong_extension_is_an_error(
    project: Path, remote_cli: Any, emulator: Any
) -> None:
    (project / "cloudinary-presets.yml").write_text('protect: ["*"]\nprune: true\n')
    for command in ("validate", "plan"):
        result = remote_cli(command)
        assert result.exit_code == 1, result.output
        assert (
            "cloudinary-presets.yml: error: not read: the configuration file is named "
            "cloudinary-presets.yaml; rename this file (until then its settings, protect and "
            "safety among them, do not apply)" in result.output
        )
    assert emulator.stats()["admin_calls"] == 0


def test_a_near_miss_beside_the_configuration_is_a_warning(project: Path, cli: Any) -> None:
    (project / "cloudinary-presets.yaml").write_text("prune: false\n")
    (project / "Cloudinary-Presets.yml").write_text("prune: true\n")
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert (
        "Cloudinary-Presets.yml: warning: not read: the configuration file is named "
        "cloudinary-presets.yaml; merge this file into it, or delete it" in result.stdout
    )
    assert "1 warning(s)" in result.stdout


def test_a_dangling_configuration_link_is_an_error(
    project: Path, remote_cli: Any, emulator: Any
) -> None:
    (project / "cloudinary-presets.yaml").symlink_to(project / "config" / "presets.yaml")
    for command in ("validate", "plan"):
        result = remote_cli(command)
        assert result.exit_code == 1, result.output
        assert (
            "cloudinary-presets.yaml: error: cannot read the file: it is a symbolic link to a "
            "missing file" in result.stderr
        )
    assert emulator.stats()["admin_calls"] == 0


def test_preset_files_that_would_be_skipped_are_named(
    project: Path, remote_cli: Any, emulator: Any
) -> None:
    (project / "presets" / "banner.YAML").write_text("name: banner\n")
    (project / "presets" / "thumbs.Yml").write_text("name: thumbs\n")
    (project / "shared").mkdir()
    (project / "shared" / "docs.yaml").write_text("name: docs\n")
    (project / "presets" / "shared").symlink_to(project / "shared")
    (project / "presets" / ".hidden.yaml").write_text("name: hidden\n")  # dot-files: skipped
    for command in ("validate", "plan"):
        result = remote_cli(command)
        assert result.exit_code == 1, result.output
        output = result.output
        for name in ("banner.YAML", "thumbs.Yml"):
            assert (
                f"presets/{name}: error: not read as a preset: preset files end in .yaml or "
                ".yml (lower case); rename it" in output
            )
        assert (
            "presets/shared: error: a symbolic link to a folder is not followed, so the presets "
            "in it are not read" in output
        )
        assert "hidden" not in output
    assert emulator.stats()["admin_calls"] == 0


# --------------------------------------------------------------------------- containment


@pytest.fixture
def credentials_file(tmp_path: Path) -> Path:
    """A ~/.git-credentials outside the project."""
    path = tmp_path / "home" / ".git-credentials"
    path.parent.mkdir(exist_ok=True)
    path.write_text(CREDENTIAL_LINE + "\n")
    return path


def test_a_link_leaving_the_project_is_refused_by_name(
    project: Path, remote_cli: Any, emulator: Any, credentials_file: Path
) -> None:
    (project / "presets" / "leak.yaml").symlink_to(credentials_file)
    for args in (("validate", "--format", "github"), ("validate",), ("plan",)):
        result = remote_cli(*args)
        assert result.exit_code == 1, result.output
        assert "presets/leak.yaml" in result.output
        assert "symbolic link that leads outside the project" in result.output
        assert TOKEN not in result.output
        assert "github.com" not in result.output
    assert emulator.stats()["admin_calls"] == 0


def test_the_configuration_may_not_leave_the_project(
    project: Path, cli: Any, credentials_file: Path
) -> None:
    (project / "cloudinary-presets.yaml").symlink_to(credentials_file)
    result = cli("validate")
    assert result.exit_code == 1, result.output
    assert (
        "cloudinary-presets.yaml: error: refusing to read the file: it is a symbolic link that "
        "leads outside the project" in result.stderr
    )
    assert TOKEN not in result.output


def test_a_presets_dir_outside_the_project_prints_no_content(
    project: Path, remote_cli: Any, emulator: Any
) -> None:
    for target in ("/etc/passwd", "/etc"):
        result = remote_cli("plan", "--presets-dir", target)
        one_error(result, "it is a path outside the project (root: .)", "hint: copy it into")
        assert "root:x" not in result.output
    assert emulator.stats()["admin_calls"] == 0


def test_a_configured_presets_dir_outside_the_project_is_refused(
    project: Path, remote_cli: Any, emulator: Any, credentials_file: Path
) -> None:
    (project / "cloudinary-presets.yaml").write_text(f"presets_dir: {credentials_file.parent}\n")
    for command in ("validate", "plan"):
        result = remote_cli(command)
        one_error(result, "it is a path outside the project (root: .)")
        assert TOKEN not in result.output
    (project / "cloudinary-presets.yaml").write_text("presets_dir: linked\n")
    (project / "linked").symlink_to(credentials_file.parent, target_is_directory=True)
    result = remote_cli("plan")
    one_error(result, "refusing to read linked: it is a symbolic link that leads outside")
    assert emulator.stats()["admin_calls"] == 0


def test_validate_of_a_file_that_is_not_a_preset_shows_its_shape_only(
    project: Path, cli: Any, credentials_file: Path
) -> None:
    result = cli("validate", str(credentials_file))  # named on purpose: read, not echoed
    assert result.exit_code == 1, result.output
    assert f"the file is a single string of {len(CREDENTIAL_LINE)} character(s)" in result.stdout
    assert TOKEN not in result.output
    passwd = cli("validate", "/etc/passwd")
    assert passwd.exit_code == 1, passwd.output
    assert "root:x" not in passwd.output
    assert "/bin/" not in passwd.output


def test_messages_quote_short_excerpts_and_never_a_credential(project: Path, cli: Any) -> None:
    long_tag = "a-very-long-tag-" + "x" * 300
    (project / "presets" / "leaky.yaml").write_text(
        "name: leaky\n"
        "settings:\n"
        f"  notification_url: ftp://deploy:{TOKEN}@hooks.example.com/x\n"
        f"  tags: [' {TOKEN}']\n"
        f"  allowed_formats: [{long_tag}]\n"
    )
    result = cli("validate")
    assert result.exit_code == 1, result.output
    assert TOKEN not in result.output
    assert "that look like a credential, not shown>" in result.output
    assert "'a-very-long-tag-xxxxxxxxxxxxxxxxxxxxxxxx...' (316 characters)" in result.output
    assert "x" * 41 not in result.output
