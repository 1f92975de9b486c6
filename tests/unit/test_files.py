"""files.py, the filesystem boundary: each rule on its own, on real files.

What the CLI does with these errors is in tests/reliability/test_files_boundary.py; here
each helper is held to its promise: regular files only (refused without opening, so a
FIFO nobody writes to never blocks), size caps, atomic writes that keep or set the right
mode, targets that are never devices, folders or dangling links, containment.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cloudinary_presets import files
from cloudinary_presets.errors import FileError
from cloudinary_presets.model.wording import looks_like_credential, shorten

pytestmark = pytest.mark.timeout(30)  # a FIFO opened by mistake would block forever


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _raises(call: object, *args: object, **kwargs: object) -> FileError:
    with pytest.raises(FileError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


# --------------------------------------------------------------------------- reading


def test_read_bytes_reads_a_regular_file_within_its_limit(here: Path) -> None:
    (here / "a.txt").write_bytes(b"12345")
    assert files.read_bytes(Path("a.txt"), limit=5) == b"12345"
    error = _raises(files.read_bytes, Path("a.txt"), limit=4)
    assert str(error) == "cannot read a.txt: it is 5 bytes; the limit is 4"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: os.mkfifo(p), "it is a FIFO (named pipe), not a regular file"),
        (lambda p: p.mkdir(), "it is a folder, not a regular file"),
        (lambda p: p.symlink_to("/dev/zero"), "it is a character device, not a regular file"),
        (lambda p: p.symlink_to(p.parent / "gone"), "it is a symbolic link to a missing file"),
        (lambda p: None, "no such file"),
    ],
    ids=["fifo", "folder", "device", "dangling", "missing"],
)
def test_only_regular_files_are_read(here: Path, make: object, reason: str) -> None:
    make(here / "thing")  # type: ignore[operator]
    for read in (
        lambda: files.read_bytes(Path("thing"), limit=100, doing="read the plan file"),
        lambda: files.read_text(Path("thing"), limit=100, doing="read the plan file"),
        lambda: files.open_binary(Path("thing"), doing="read the plan file"),
    ):
        with pytest.raises(FileError) as caught:
            read()
        assert str(caught.value) == f"cannot read the plan file thing: {reason}"
        assert caught.value.path == "thing"
        assert caught.value.reason == reason


def test_read_text_locates_a_bad_byte_and_drops_a_bom(here: Path) -> None:
    (here / "bom.txt").write_bytes(b"\xef\xbb\xbfhello")
    assert files.read_text(Path("bom.txt"), limit=100) == "hello"
    (here / "bad.txt").write_bytes("line one\ncafé \xff\n".encode("utf-8", "surrogateescape"))
    (here / "bad.txt").write_bytes(b"line one\ncaf\xc3\xa9 \xff\n")
    error = _raises(files.read_text, Path("bad.txt"), limit=100, hint="save it as UTF-8")
    assert str(error) == (
        "cannot read bad.txt:2:6: invalid UTF-8 byte 0xFF; the file must be UTF-8 text\n"
        "  hint: save it as UTF-8"
    )


def test_open_binary_streams_a_regular_file(here: Path) -> None:
    (here / "big.bin").write_bytes(b"x" * 100_000)
    with files.open_binary(Path("big.bin")) as handle:
        assert os.fstat(handle.fileno()).st_size == 100_000
        assert handle.read(10) == b"x" * 10
        assert os.get_blocking(handle.fileno())


# --------------------------------------------------------------------------- writing


def test_write_atomic_creates_with_the_usual_mode_and_keeps_an_existing_one(here: Path) -> None:
    umask = os.umask(0o027)
    try:
        files.write_atomic(Path("new.yaml"), "a: 1\n")
        assert stat.S_IMODE(os.stat("new.yaml").st_mode) == 0o640  # 0666 less the umask
    finally:
        os.umask(umask)
    os.chmod("new.yaml", 0o640)
    files.write_atomic(Path("new.yaml"), "a: 2\n")
    assert stat.S_IMODE(os.stat("new.yaml").st_mode) == 0o640
    assert Path("new.yaml").read_text() == "a: 2\n"
    files.write_atomic(Path("plan.json"), "{}\n", private=True)
    assert stat.S_IMODE(os.stat("plan.json").st_mode) == 0o600
    assert sorted(os.listdir(here)) == ["new.yaml", "plan.json"]  # no temporary file left


def test_write_atomic_takes_long_names(here: Path) -> None:
    name = "n" * 250 + ".yaml"
    files.write_atomic(Path(name), "x\n")
    assert Path(name).read_text() == "x\n"


def test_write_atomic_writes_through_a_link_to_a_regular_file(here: Path) -> None:
    (here / "real.json").write_text("old\n")
    (here / "link.json").symlink_to("real.json")
    files.write_atomic(Path("link.json"), "new\n", private=True)
    assert (here / "link.json").is_symlink()
    assert (here / "real.json").read_text() == "new\n"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: os.mkfifo(p), "it is a FIFO (named pipe), not a regular file"),
        (lambda p: p.mkdir(), "it is a folder, not a regular file"),
        (lambda p: p.symlink_to("/dev/null"), "it is a character device, not a regular file"),
        (lambda p: p.symlink_to(p.parent / "gone"), "it is a symbolic link to a missing file"),
    ],
    ids=["fifo", "folder", "device", "dangling"],
)
def test_write_atomic_never_replaces_what_is_not_a_regular_file(
    here: Path, make: object, reason: str
) -> None:
    make(here / "out")  # type: ignore[operator]
    before = os.lstat(here / "out")
    error = _raises(files.write_atomic, Path("out"), "x", doing="write the plan to")
    assert str(error) == f"cannot write the plan to out: {reason}"
    after = os.lstat(here / "out")
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not (here / "gone").exists()
    assert sorted(os.listdir(here)) == ["out"]


def test_devices_are_refused_by_name() -> None:
    error = _raises(files.write_target, Path("/dev/full"), doing="write the plan to")
    assert (
        str(error) == "cannot write the plan to /dev/full: it is a character device, not a "
        "regular file"
    )
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_missing_folder_is_named(here: Path) -> None:
    error = _raises(files.write_atomic, Path("nope/plan.json"), "x")
    assert str(error) == "cannot write nope/plan.json: the folder nope does not exist"
    error = _raises(files.append_text, Path("nope/summary.md"), "x")
    assert str(error) == "cannot append to nope/summary.md: the folder nope does not exist"


def test_append_text_creates_then_appends_and_refuses_a_fifo(here: Path) -> None:
    files.append_text(Path("summary.md"), "one\n")
    files.append_text(Path("summary.md"), "two ✓\n")
    assert Path("summary.md").read_text(encoding="utf-8") == "one\ntwo ✓\n"
    os.mkfifo(here / "pipe")
    error = _raises(files.append_text, Path("pipe"), "x")
    assert error.reason == "it is a FIFO (named pipe), not a regular file"


def test_make_dirs_names_the_file_in_the_way(here: Path) -> None:
    (here / "file").write_text("x")
    error = _raises(files.make_dirs, Path("file/a/b"), doing="create the schema folder")
    assert str(error) == (
        "cannot create the schema folder file/a/b: file is a file, not a folder\n"
        "  hint: remove or rename file"
    )
    files.make_dirs(Path("fine/a/b"))
    assert (here / "fine" / "a" / "b").is_dir()


def test_open_for_update_creates_the_folder_and_the_file(here: Path) -> None:
    with files.open_for_update(Path("state/apply.lock")) as handle:
        handle.write(b"held")
    assert (here / "state" / "apply.lock").read_bytes() == b"held"
    os.mkfifo(here / "state" / "pipe")
    with pytest.raises(FileError, match="it is a FIFO"), files.open_for_update(Path("state/pipe")):
        pass


# --------------------------------------------------------------------------- where


def test_inside_follows_links_and_refuses_what_leaves(here: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("token\n")
    root = here / "project"
    (root / "presets").mkdir(parents=True)
    (root / "presets" / "ok.yaml").write_text("name: ok\n")
    (root / "presets" / "alias.yaml").symlink_to(root / "presets" / "ok.yaml")
    (root / "presets" / "leak.yaml").symlink_to(outside)
    assert files.inside(root / "presets" / "alias.yaml", root) == root / "presets" / "ok.yaml"
    error = _raises(files.inside, root / "presets" / "leak.yaml", root)
    assert str(error).startswith(
        "refusing to read project/presets/leak.yaml: it is a symbolic link that leads outside "
        "the project (root: project); only files inside the project are read"
    )
    error = _raises(files.inside, outside, root)
    assert "it is a path outside the project" in str(error)
    assert "token" not in str(error)


def test_paths_are_shown_relative_and_printable(here: Path) -> None:
    assert files.shown(here / "a" / "b.yaml") == "a/b.yaml"
    assert files.shown(Path("/dev/full")) == "/dev/full"
    assert files.shown("../x") == "../x"
    name = os.fsdecode(b"caf\xe9.yaml")
    assert files.shown(name) == "caf\\xe9.yaml"
    assert not files.is_printable(name)
    assert files.is_printable("café.yaml")


# --------------------------------------------------------------------------- excerpts


@pytest.mark.parametrize(
    "value",
    [
        "https://deploy:ghp_abc@github.com",
        "ftp://user@host/x",
        "AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI",
        "token=Zx9qL2mN8pR4sT6vW1yB3cD5",
        "a676b67565c6767a6767d6767f676fe1",
        "cloudinary://123456789012345:abcdefGHIJKL0123456789mnop@demo",
    ],
)
def test_values_that_look_like_credentials_are_never_quoted(value: str) -> None:
    assert looks_like_credential(value)
    assert shorten(value) == f"<{len(value)} characters that look like a credential, not shown>"


@pytest.mark.parametrize(
    "value",
    [
        "c_fill,g_auto,h_600,w_600/webp",
        "summer_collection_2024_highlights",
        "https://example.com/hooks/upload",
        "apps/avatars/2024/profile-pictures",
        "deadbeef",
    ],
)
def test_ordinary_values_are_quoted(value: str) -> None:
    assert not looks_like_credential(value)
    assert value[:40] in shorten(value)


def test_long_values_are_cut_to_an_excerpt() -> None:
    assert shorten("x" * 40) == repr("x" * 40)
    assert shorten("y" * 41) == f"'{'y' * 40}...' (41 characters)"
    assert shorten(list(range(100))).endswith("(390 characters)")
    assert shorten(0.5) == "0.5"
