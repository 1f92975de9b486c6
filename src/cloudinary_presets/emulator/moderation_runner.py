"""Moderation over time: when automatic decisions land, reviewer decisions, notifications.

Why a runner: Cloudinary's current documentation describes moderation as asynchronous
(the upload answers ``pending``/``queued``; decisions arrive later, by notification and in
the Admin API's resource details), older documentation shows decisions in the upload
response. The runner does either (``moderation_timing``), keeps each asset's chain in the
database so a reviewer's approval can let the next moderator run, and sends the signed
``notification_url`` notifications.

Automatic decisions are due ``moderation_delay`` seconds after the upload; a daemon
thread applies them when due, and every Admin API read applies due ones first
(:meth:`settle`), so a read after the delay always sees them, however busy the thread.
One lock serialises every transition.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from cloudinary_presets.emulator import moderation_flow as flow
from cloudinary_presets.emulator.clock import iso_time
from cloudinary_presets.emulator.moderation import Moderator, parse_moderation
from cloudinary_presets.emulator.notifications import Notification, Notifier
from cloudinary_presets.emulator.settings import Settings
from cloudinary_presets.emulator.store import CloudRecord, ModerationState, Store

log = logging.getLogger(__name__)

#: the fields of an asset that a moderation notification repeats.
_ASSET_FIELDS = (
    "asset_id",
    "public_id",
    "version",
    "resource_type",
    "type",
    "url",
    "secure_url",
)


def with_entries(info: Mapping[str, object], entries: list[dict[str, object]]) -> dict[str, object]:
    """An asset's info with new moderation entries, its overall status and placeholder."""
    updated = dict(info)
    updated["moderation"] = entries
    updated["moderation_status"] = flow.overall(entries)
    updated["placeholder"] = updated["moderation_status"] == "rejected"
    return updated


def chain_of(text: str) -> list[Moderator]:
    return parse_moderation(text) if text else []


class ModerationRunner:
    """Moderation transitions for one emulator (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float],
        settings: Callable[[], Settings],
        notifier: Notifier,
        signature_algorithm: Callable[[str], str],
    ) -> None:
        self.lock = threading.RLock()
        self._store = store
        self._clock = clock
        self._settings = settings
        self._notifier = notifier
        self._algorithm = signature_algorithm
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # ------------------------------------------------------------------ upload time

    def initial(self, chain: Sequence[Moderator], digest: str, now: float) -> flow.Step:
        """The entries an upload answers with (decided already under ``sync`` timing)."""
        if self._settings().moderation_timing == "sync":
            return flow.start(chain, self._store.labels(digest), iso_time(now))
        return flow.queue(chain)

    def track(
        self,
        record: CloudRecord,
        key: tuple[str, str],
        result: Mapping[str, object],
        chain_text: str,
        step: flow.Step | None,
        notification_url: str,
    ) -> None:
        """After an upload stored its asset (under :attr:`lock`): notify the upload, keep
        the chain, schedule its automatic moderators, notify decisions already made."""
        cloud = record.account.name
        now = self._clock()
        if notification_url:
            payload = {"notification_type": "upload", **result}
            self._send(record, notification_url, payload, now)
        if step is None:
            self._store.drop_moderation(cloud, *key)
            return
        due = self._due(step, now)
        version = result.get("version")
        self._store.put_moderation(
            ModerationState(cloud, *key, int(str(version)), chain_text, notification_url, due)
        )
        self._notify_decisions(record, result, step, notification_url, now)
        if due is not None:
            self._wake()

    def _due(self, step: flow.Step, now: float) -> float | None:
        if not step.runnable:
            return None
        return now + self._settings().moderation_delay

    # ------------------------------------------------------------------ later

    def settle(self) -> None:
        """Apply every automatic decision that is due (called before Admin API reads)."""
        with self.lock:
            now = self._clock()
            for state in self._store.due_moderations(now):
                try:
                    self._run_due(state, now)
                except Exception:  # a row that cannot run must not block the others
                    log.exception("emulator: moderation of %s failed; dropped", state.public_id)
                    self._store.drop_moderation(state.cloud, state.resource_type, state.public_id)

    def _run_due(self, state: ModerationState, now: float) -> None:
        record = self._store.cloud(state.cloud)
        asset = self._store.asset(
            state.cloud, state.resource_type, state.public_id, with_content=False
        )
        if record is None or asset is None or asset.info.get("version") != state.version:
            self._store.drop_moderation(state.cloud, state.resource_type, state.public_id)
            return
        entries = _entries(asset.info)
        step = flow.advance(
            chain_of(state.chain), entries, self._store.labels(asset.sha256), iso_time(now)
        )
        info = with_entries(asset.info, step.entries)
        self._store.update_asset_info(state.cloud, state.resource_type, state.public_id, info)
        self._store.put_moderation(replace(state, due=None))
        self._notify_decisions(record, info, step, state.notification_url, now)

    def decide(
        self,
        record: CloudRecord,
        key: tuple[str, str],
        status: str,
        notification_url: str,
    ) -> dict[str, object] | None:
        """A reviewer's ``approved``/``rejected`` (Admin API ``update``); the asset's new
        info, or None when there is no such asset. ValueError for another status."""
        cloud = record.account.name
        with self.lock:
            self.settle()
            now = self._clock()
            asset = self._store.asset(cloud, *key, with_content=False)
            if asset is None:
                return None
            state = self._store.moderation(cloud, *key)
            if state is not None and state.version != asset.info.get("version"):
                state = None
            chain = chain_of(state.chain) if state else []
            step = flow.decide_manual(chain, _entries(asset.info), status, iso_time(now))
            if step.runnable and self._settings().moderation_timing == "sync":
                more = flow.advance(
                    chain, step.entries, self._store.labels(asset.sha256), iso_time(now)
                )
                step = flow.Step(more.entries, step.decided + more.decided)
            info = with_entries(asset.info, step.entries)
            self._store.update_asset_info(cloud, *key, info)
            url = notification_url or (state.notification_url if state else "")
            version = int(str(asset.info.get("version")))
            due = self._due(step, now)
            if state is not None and state.due is not None:  # still scheduled: keep it
                due = state.due if due is None else min(due, state.due)
            self._store.put_moderation(
                ModerationState(cloud, *key, version, state.chain if state else "", url, due)
            )
            self._notify_decisions(record, info, step, url, now)
        if due is not None:
            self._wake()
        return info

    # ------------------------------------------------------------------ notifications

    def _notify_decisions(
        self,
        record: CloudRecord,
        info: Mapping[str, object],
        step: flow.Step,
        url: str,
        now: float,
    ) -> None:
        if not url:
            return
        for index in step.decided:
            entry = step.entries[index]
            payload: dict[str, object] = {"notification_type": "moderation"}
            payload.update({k: info[k] for k in _ASSET_FIELDS if k in info})
            payload.update(
                {
                    "moderation_kind": entry.get("kind"),
                    "moderation_status": entry.get("status"),
                    "moderation_response": entry.get("response"),
                    "moderation_updated_at": entry.get("updated_at"),
                    "moderation": step.entries,
                }
            )
            self._send(record, url, payload, now)

    def _send(self, record: CloudRecord, url: str, payload: dict[str, object], now: float) -> None:
        account = record.account
        self._notifier.send(
            Notification(url, payload, int(now), account.api_secret, self._algorithm(account.name))
        )

    # ------------------------------------------------------------------ the thread

    def start(self) -> None:
        with self._wakeup:
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._loop, name="emulator-moderation", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=10)

    def _wake(self) -> None:
        with self._wakeup:
            self._wakeup.notify_all()

    def _loop(self) -> None:
        while True:
            with self._wakeup:
                if self._stopping:
                    return
                due = self._store.next_moderation_due()
                wait = None if due is None else due - self._clock()
                if wait is None or wait > 0:
                    self._wakeup.wait(wait)
                    continue
            try:
                self.settle()
            except Exception:  # the thread must survive a bad row; reads settle too
                log.exception("emulator: applying due moderation decisions failed")


def _entries(info: Mapping[str, object]) -> list[dict[str, object]]:
    value = info.get("moderation")
    if not isinstance(value, list):
        return []
    return [dict(entry) for entry in value if isinstance(entry, dict)]
