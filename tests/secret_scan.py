"""A pytest plugin that fails the run when the sentinel secret shows up anywhere it must not.

The shared ``emulator`` fixture (``tests/conftest.py``) serves the demo cloud with
:data:`SENTINEL_SECRET` instead of the public demo secret, so every test that talks to it
handles a secret worth protecting. This plugin then looks for it, in three forms (plain,
percent-encoded, and the base64 of ``KEY:SECRET`` that HTTP Basic auth carries), plus every
upload signature the client computed during the session (``upload_api.sign`` is wrapped):

* per test phase: what pytest captured (stdout, stderr, log records), everything the CLI
  printed through ``click.echo`` (in-process runs redirect stdout, so pytest never sees
  it), every log record as a handler would format it (a library user's own handler,
  ``--debug``), every exception message shown (``str()`` of any ``PresetsError``), and
  whatever a test hands to :func:`record` (subprocess output, a saved plan...). A leak
  turns that phase into a failure;
* at the end of the session: every file under pytest's base temporary directory (plan
  files, YAML, logs, lock files, cloudinary-cli profiles...). SQLite databases
  (``*.sqlite`` and their ``-journal``/``-wal``/``-shm`` companions) are excluded: the
  emulator stores its accounts, secrets included, in them by design. A leak makes the
  session fail with the file's path.

The forms looked for include the escaped spellings outputs use (JSON, ``repr``, GitHub
workflow commands, Markdown), computed here independently of the library's own list.
Test inputs are not output: a file a test writes on purpose with the sentinel in it
(a definition that must be refused) has to avoid it; use another secret there.

Environment variables are not output: tests may pass ``CLOUDINARY_URL`` (secret included)
to the CLI or to a subprocess. Failure messages never quote the secret: the match is shown
as ``<SENTINEL>`` (or ``<BASIC>``, ``<SIGNATURE>``...) with a little context.

Registered from ``tests/conftest.py``; ``pytest -p secret_scan`` loads it on its own.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

#: The secret of the demo cloud in every test that uses the shared emulator. It contains
#: ``+`` and ``=`` so that its percent-encoded forms differ from it.
SENTINEL_SECRET = "S3ntinel+9c41e7=Do-Not-Leak"
#: The demo cloud's API key (not a secret; the emulator's documented demo key).
SENTINEL_KEY = "100000000000001"
#: What HTTP Basic auth sends for the sentinel account.
SENTINEL_BASIC = base64.b64encode(f"{SENTINEL_KEY}:{SENTINEL_SECRET}".encode()).decode()

#: Files that may hold the secret: the emulator's SQLite state (it stores its accounts).
EXCLUDED_SUFFIXES = (".sqlite", ".sqlite-journal", ".sqlite-wal", ".sqlite-shm")
_MAX_FILE_BYTES = 8 * 1024 * 1024
_CONTEXT = 40

_signatures: set[str] = set()
_signatures_lock = threading.Lock()
_pending: list[tuple[str, str]] = []  # (where, text) handed in during the current phase
_pending_lock = threading.Lock()
_session_leaks: list[str] = []


def forbidden() -> dict[str, str]:
    """Every string that must never appear, mapped to the label shown instead of it."""
    forms: dict[str, str] = {}
    for needle, label in (
        (SENTINEL_SECRET, "<SENTINEL>"),
        (quote(SENTINEL_SECRET, safe=""), "<SENTINEL percent-encoded>"),
        (quote_plus(SENTINEL_SECRET, safe=""), "<SENTINEL form-encoded>"),
        (json.dumps(SENTINEL_SECRET)[1:-1], "<SENTINEL JSON-escaped>"),
        (repr(SENTINEL_SECRET)[1:-1], "<SENTINEL repr>"),
        (SENTINEL_SECRET.replace("%", "%25"), "<SENTINEL workflow-command>"),
        (SENTINEL_SECRET.replace("|", "\\|"), "<SENTINEL markdown>"),
        (SENTINEL_BASIC, "<BASIC base64(KEY:SECRET)>"),
        (SENTINEL_BASIC.rstrip("="), "<BASIC base64(KEY:SECRET)>"),
    ):
        forms.setdefault(needle, label)
    with _signatures_lock:
        for signature in _signatures:
            forms.setdefault(signature, "<SIGNATURE>")
    return forms


def remember_signature(signature: str) -> None:
    """Add a computed signature to the forbidden strings (the wrapper of ``sign`` calls it)."""
    if isinstance(signature, str) and len(signature) >= 16:
        with _signatures_lock:
            _signatures.add(signature)


def signatures_seen() -> int:
    with _signatures_lock:
        return len(_signatures)


def record(text: str | bytes, where: str) -> None:
    """Hand the plugin some output to scan with the current test phase (e.g. a
    subprocess's stdout, or a file a test wrote outside the temporary directory)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    with _pending_lock:
        _pending.append((where, text))


def find_leaks(text: str, where: str) -> list[str]:
    """One line per forbidden form found in ``text``, with redacted context."""
    found = []
    forms = forbidden()
    for needle, label in forms.items():
        start = text.find(needle)
        if start < 0:
            continue
        excerpt = text[max(0, start - _CONTEXT) : start + len(needle) + _CONTEXT]
        for other, other_label in forms.items():
            excerpt = excerpt.replace(other, other_label)
        found.append(f"{where}: {label} found: ...{excerpt!r}...")
    return found


def find_leaks_in_bytes(data: bytes, where: str) -> list[str]:
    found = []
    for needle, label in forbidden().items():
        if needle.encode("utf-8") in data:
            found.append(f"{where}: {label} found")
    return found


def scan_tree(root: Path) -> list[str]:
    """Every leak in the files under ``root`` (SQLite databases excluded)."""
    leaks: list[str] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(EXCLUDED_SUFFIXES):
                continue
            path = Path(dirpath, name)
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                with path.open("rb") as handle:
                    data = handle.read(_MAX_FILE_BYTES)
            except OSError:
                continue
            leaks.extend(find_leaks_in_bytes(data, str(path)))
    return leaks


# --------------------------------------------------------------------------- hooks


def _drain() -> list[tuple[str, str]]:
    with _pending_lock:
        items = list(_pending)
        _pending.clear()
    return items


@pytest.fixture(autouse=True)
def _secret_scan_wiring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every computed signature, and everything the CLI prints with click.echo."""
    import click

    import cloudinary_presets.cloudinary.upload_api as upload_api

    real_sign = upload_api.sign

    def recording_sign(*args: Any, **kw: Any) -> str:
        signature = real_sign(*args, **kw)
        remember_signature(signature)
        return signature

    monkeypatch.setattr(upload_api, "sign", recording_sign)
    real_echo = click.echo

    def recording_echo(message: Any = None, *args: Any, **kw: Any) -> None:
        if message is not None:
            record(message if isinstance(message, (str, bytes)) else str(message), "click.echo")
        real_echo(message, *args, **kw)

    monkeypatch.setattr(click, "echo", recording_echo)

    from cloudinary_presets.errors import PresetsError

    real_str = PresetsError.__str__

    def recording_str(self: PresetsError) -> str:
        text = real_str(self)
        record(text, f"{type(self).__name__} message")
        return text

    monkeypatch.setattr(PresetsError, "__str__", recording_str)


class _RecordingHandler(logging.Handler):
    """Formats every record as a user's handler would, and hands it to the scan."""

    def emit(self, entry: logging.LogRecord) -> None:
        try:
            text = self.format(entry)
        except Exception:  # a record that cannot be formatted shows nothing
            return
        record(text, f"log record of {entry.name}")


@pytest.fixture(autouse=True)
def _secret_scan_logs() -> Iterator[None]:
    """Every record of the package's loggers, formatted, is scanned."""
    handler = _RecordingHandler(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("cloudinary_presets")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True, scope="session")
def _secret_scan_basetemp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Remember the session's base temporary directory for the final file scan."""
    _state["basetemp"] = tmp_path_factory.getbasetemp()


_state: dict[str, Any] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    # each phase's report repeats the sections of the phases before it: scan its own only
    texts = [
        (f"captured {title!r}", content)
        for title, content in report.sections
        if title.endswith(f" {call.when}")
    ]
    texts += [(f"{where} ({call.when})", text) for where, text in _drain()]
    leaks = [leak for where, text in texts for leak in find_leaks(text, where)]
    if leaks and not report.failed:
        report.outcome = "failed"
        report.longrepr = (
            "the sentinel secret (or its Basic-auth form, or a computed signature) leaked:\n  "
            + "\n  ".join(dict.fromkeys(leaks))
        )
    elif leaks:
        report.sections.append(("secret scan", "\n".join(dict.fromkeys(leaks))))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    basetemp = _state.get("basetemp")
    if basetemp is None or not Path(basetemp).is_dir():
        return
    leaks = scan_tree(Path(basetemp))
    if leaks:
        _session_leaks[:] = leaks
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _session_leaks:
        terminalreporter.section("secret scan: leaks in files", sep="=", red=True, bold=True)
        for leak in _session_leaks:
            terminalreporter.line(leak, red=True)
        terminalreporter.line(
            f"{len(_session_leaks)} leak(s) in files under the base temporary directory "
            "(SQLite databases are excluded: the emulator stores its accounts in them)",
            red=True,
        )
