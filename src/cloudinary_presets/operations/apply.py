"""Carry out a plan: creates and updates, then deletes; bounded, quota-aware, verified.

There is no rollback (like Terraform and octoDNS): the remote is the state, so after a
failure the next plan shows exactly the remaining work. Every outcome is recorded as it
happens; the report says what was done, what failed (with Cloudinary's message) and
what was not attempted. After the writes, what was written is read back (one list pass,
or one GET per written preset when that is fewer calls) and what Cloudinary stored is
compared with what was sent: an add-on that is not enabled
silently drops ``moderation``, for example, and that must be said, not discovered as a
perpetual diff. Ctrl-C (:mod:`~cloudinary_presets.operations.interruption`) stops new
writes and lets those in flight finish; a second one stops waiting for them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cloudinary_presets.cloudinary.remote import RemotePreset, RemotePresets
from cloudinary_presets.cloudinary.stored_form import sent_form
from cloudinary_presets.definitions.loader import gc_paused
from cloudinary_presets.errors import (
    ApiError,
    ApplyFailed,
    ApplyInterrupted,
    NotFound,
    PlanError,
    PresetsError,
)
from cloudinary_presets.model.changes import WHOLE_PRESET, Mismatch
from cloudinary_presets.model.preset import Preset, preset_changes
from cloudinary_presets.model.wording import name_list
from cloudinary_presets.operations.interruption import Interruption
from cloudinary_presets.planning.plan import Action, Change, Plan

#: How often the write loop looks at the Ctrl-C flags while writes are in flight.
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Event:
    """Progress of one change: ``start``, ``done`` or ``failed`` (with Cloudinary's
    message); or of the whole apply after Ctrl-C (no change): ``stopping`` (in-flight
    writes finish, none starts) and ``abandoned`` (no more waiting for them)."""

    kind: str
    change: Change | None = None
    message: str = ""


@dataclass
class ApplyReport:
    done: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, str]] = field(default_factory=list)
    not_attempted: list[Change] = field(default_factory=list)
    #: writes sent but not waited for (a second Ctrl-C): they may or may not have landed
    in_flight: list[Change] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    mismatches: dict[str, list[Mismatch]] = field(default_factory=dict)
    verify_error: str = ""  # the verifying re-read failed: the writes are done but unverified
    interrupted: bool = False
    seconds: float = 0.0
    calls: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.failed
            or self.not_attempted
            or self.in_flight
            or self.mismatches
            or self.verify_error
        )

    def summary(self) -> str:
        total = len(self.done) + len(self.failed) + len(self.not_attempted) + len(self.in_flight)
        text = (
            f"applied {len(self.done)}/{total} change(s) in {self.seconds:.1f}s "
            f"({self.calls} Admin API calls)"
        )
        if self.failed:
            text += f"; {len(self.failed)} failed"
        if self.in_flight:
            text += f"; {len(self.in_flight)} in flight, outcome unknown"
        if self.not_attempted:
            text += f"; {len(self.not_attempted)} not attempted"
        return text


def parallelism_for(requested: int, remaining: int | None) -> int:
    """Slow down as the hourly quota runs low: a big apply must not hit the wall at full speed."""
    if remaining is None:
        return requested
    if remaining < 25:
        return 1
    if remaining < 100:
        return min(requested, 2)
    return requested


def _desired(change: Change) -> Preset:
    if change.after is None:  # a plan read from a file has no presets: apply re-plans first
        raise PlanError(f"{change.remote_name}: the change carries no desired preset")
    return change.after


def _write(remote: RemotePresets, change: Change) -> bool:
    if change.action is Action.CREATE:
        return remote.create(change.remote_name, _desired(change), change.after_fingerprint)
    if change.action is Action.UPDATE:
        remote.update(change.remote_name, _desired(change), change.clear)
        return False
    remote.delete(change.remote_name)
    return False


class _Writers:
    """Writer threads for one phase. They are daemon threads: after a second Ctrl-C the
    process exits without waiting for the writes still in flight (the report says so)."""

    def __init__(self, size: int, remote: RemotePresets) -> None:
        self._remote = remote
        self._tasks: queue.Queue[Change | None] = queue.Queue()
        self.finished: queue.Queue[tuple[Change, bool, BaseException | None]] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"apply-{n}", daemon=True) for n in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (change := self._tasks.get()) is not None:
            try:
                self.finished.put((change, _write(self._remote, change), None))
            except BaseException as error:  # recorded as the change's outcome
                self.finished.put((change, False, error))

    def submit(self, change: Change) -> None:
        self._tasks.put(change)

    def close(self) -> None:
        for _ in self._threads:
            self._tasks.put(None)


def _run_phase(
    changes: Sequence[Change],
    remote: RemotePresets,
    report: ApplyReport,
    *,
    parallelism: int,
    continue_on_error: bool,
    on_event: Callable[[Event], None],
    interruption: Interruption,
) -> None:
    pending = list(changes)
    in_flight: list[Change] = []
    writers = _Writers(max(1, min(parallelism, len(pending))), remote)
    noticed = ""  # what of Ctrl-C was already said: "", "stopping", "abandoned"
    halted = False  # a failure without --continue-on-error: no new writes either
    try:
        while pending or in_flight:
            noticed = _notice(interruption, noticed, in_flight, on_event)
            if noticed == "abandoned":
                break
            limit = parallelism_for(parallelism, remote.transport.quota.remaining)
            while pending and len(in_flight) < limit and not (halted or noticed):
                change = pending.pop(0)
                on_event(Event("start", change))
                in_flight.append(change)
                writers.submit(change)
            if not in_flight:
                break
            try:
                change, reconciled, error = writers.finished.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            except KeyboardInterrupt:  # no handler routes Ctrl-C here: act as press() would
                _press(interruption)
                continue
            in_flight.remove(change)
            _record(report, change, reconciled, error, on_event)
            halted = halted or (error is not None and not continue_on_error)
    finally:
        writers.close()
    if noticed:
        report.interrupted = True
    report.in_flight.extend(in_flight)
    report.not_attempted.extend(pending)


def _notice(
    interruption: Interruption,
    noticed: str,
    in_flight: list[Change],
    on_event: Callable[[Event], None],
) -> str:
    """Say once that Ctrl-C was pressed (and once that it was pressed again)."""
    if interruption.abandoned.is_set():
        if noticed != "abandoned":
            on_event(Event("abandoned", message=f"{len(in_flight)} write(s) still in flight"))
        return "abandoned"
    if interruption.stopping.is_set() and not noticed:
        on_event(Event("stopping", message=f"{len(in_flight)} write(s) in flight"))
        return "stopping"
    return noticed


def _press(interruption: Interruption) -> None:
    with interruption.during_writes():
        interruption.press()


def _record(
    report: ApplyReport,
    change: Change,
    reconciled: bool,
    error: BaseException | None,
    on_event: Callable[[Event], None],
) -> None:
    if error is None:
        report.done.append(change)
        if reconciled:
            report.reconciled.append(change.remote_name)
        on_event(Event("done", change))
        return
    message = str(error) if isinstance(error, PresetsError) else repr(error)
    report.failed.append((change, message))
    on_event(Event("failed", change, message))


def _read_back(
    plan_writes: Sequence[Change], remote: RemotePresets, ignore: Sequence[str], list_pages: int
) -> Mapping[str, RemotePreset | None]:
    """What the remote holds now under each written name: one GET per written preset
    when that is fewer calls than a list pass (``list_pages``), else one list pass."""
    if len(plan_writes) >= list_pages:
        presets = remote.snapshot(ignore).presets
        return {c.remote_name: presets.get(c.remote_name) for c in plan_writes}
    found: dict[str, RemotePreset | None] = {}
    for change in plan_writes:
        try:
            found[change.remote_name] = remote.get(change.remote_name)
        except NotFound:
            found[change.remote_name] = None
    return found


def verify(
    plan_writes: Sequence[Change],
    remote: RemotePresets,
    ignore: Sequence[str],
    *,
    list_pages: int = 1,
) -> dict[str, list[Mismatch]]:
    """Re-read what was written and report, per preset, what Cloudinary stored differently
    (the calls: :meth:`Plan.apply_calls <cloudinary_presets.planning.plan.Plan.apply_calls>`)."""
    now = _read_back(plan_writes, remote, ignore, list_pages)
    mismatches: dict[str, list[Mismatch]] = {}
    for change in plan_writes:
        current = now[change.remote_name]
        if change.action is Action.DELETE:
            if current is not None:
                mismatches[change.remote_name] = [
                    Mismatch(path=WHOLE_PRESET, stored="present", note="still exists after delete")
                ]
            continue
        if current is None:
            mismatches[change.remote_name] = [
                Mismatch(path=WHOLE_PRESET, sent="the preset", note="not found after write")
            ]
            continue
        if current.holds(sent_form(_desired(change), change.remote_name)):
            continue  # stored byte for byte what was sent: nothing to decode or diff
        if current.fingerprint == change.after_fingerprint:
            continue  # stored what was sent, spelled otherwise: nothing to diff
        differences = [Mismatch.of(f) for f in preset_changes(current.preset, _desired(change))]
        if differences:
            mismatches[change.remote_name] = differences
    return mismatches


def apply_plan(
    plan: Plan,
    remote: RemotePresets,
    *,
    parallelism: int = 4,
    continue_on_error: bool = False,
    ignore: Sequence[str] = (),
    on_event: Callable[[Event], None] = lambda event: None,
    interruption: Interruption | None = None,
) -> ApplyReport:
    """Apply the plan's writes; raise ApplyFailed (carrying the report) if anything went wrong.

    The writes come from the plan's typed changes: a plan built in this process (a plan
    read from a file holds only redacted values and fingerprints, and is re-planned first).
    ``interruption`` is what the caller's Ctrl-C handler presses; without one, a
    :class:`KeyboardInterrupt` while writes are in flight counts as a press. An
    interrupted apply raises :class:`ApplyInterrupted` (exit status 130).
    """
    started = time.monotonic()
    calls_before = remote.transport.calls.total
    report = ApplyReport()
    interruption = interruption or Interruption()
    writes = plan.writes
    first = [c for c in writes if c.action in (Action.CREATE, Action.UPDATE)]
    deletes = [c for c in writes if c.action is Action.DELETE]
    options = {
        "parallelism": parallelism,
        "continue_on_error": continue_on_error,
        "on_event": on_event,
        "interruption": interruption,
    }
    with interruption.during_writes():
        _run_phase(first, remote, report, **options)  # type: ignore[arg-type]
        if (report.failed and not continue_on_error) or report.interrupted:
            report.not_attempted.extend(deletes)
        else:
            _run_phase(deletes, remote, report, **options)  # type: ignore[arg-type]
    if report.done and not report.interrupted:
        try:
            with gc_paused():  # decoding the listing makes long-lived objects, no cycles
                report.mismatches = verify(report.done, remote, ignore, list_pages=plan.list_pages)
        except ApiError as error:  # keep the report: what was written must still be said
            report.verify_error = str(error)
        except KeyboardInterrupt:  # the writes are done: say what they were
            report.interrupted = True
            report.verify_error = "interrupted before the re-read finished"
    report.seconds = time.monotonic() - started
    report.calls = remote.transport.calls.total - calls_before
    if report.interrupted:
        raise ApplyInterrupted("interrupted: " + _failure_message(report), report)
    if not report.ok:
        raise ApplyFailed(_failure_message(report), report)
    return report


#: a summary names this many presets per line, then counts the rest
NAMED = 20


def _named(label: str, changes: Sequence[Change]) -> list[str]:
    """One line per kind of write, the first names and a count past them:
    ``  not attempted: 195 create(s): a, b, ... and 175 more``."""
    lines = []
    for action in Action:
        names = [c.remote_name for c in changes if c.action is action]
        if names:
            shown = name_list(names, NAMED)
            lines.append(f"  {label}: {len(names)} {action.value}(s): {shown}")
    return lines


def _failure_message(report: ApplyReport) -> str:
    """The summary, then every preset by outcome (an interrupted apply names the written
    ones too: progress lines may not have shown them all)."""
    lines = [report.summary()]
    if report.interrupted:
        lines.extend(_named("written", report.done))
    for change, message in report.failed:
        lines.append(f"  failed: {change.action.value} {change.remote_name}: {message}")
    lines.extend(_named("in flight, outcome unknown", report.in_flight))
    lines.extend(_named("not attempted", report.not_attempted))
    if report.verify_error:
        lines.append(f"  could not verify what Cloudinary stored: {report.verify_error}")
    for name, fields in report.mismatches.items():
        lines.append(f"  {name}: Cloudinary stored something other than what was sent:")
        lines.extend(f"    {m.describe()}" for m in fields)
    if report.mismatches:
        lines.append(
            "  (a setting that needs an add-on the environment has not enabled, such as "
            "moderation, is dropped silently by Cloudinary)"
        )
    return "\n".join(lines)
