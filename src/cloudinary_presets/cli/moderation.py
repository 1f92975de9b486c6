"""``presets moderation``: simulate thresholds, list the review queue, approve or reject."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudinary_presets.cli.options import PRESET_OPTION, Session, format_options, target_options
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.errors import EXIT_ERROR

if TYPE_CHECKING:
    from cloudinary_presets.model.moderation_state import ModerationState
    from cloudinary_presets.operations.moderation_queue import (
        DecisionOutcome,
        DecisionReport,
        QueueItem,
    )
    from cloudinary_presets.operations.uploader import Uploader

#: the queues Cloudinary keeps: every moderator kind, and the legacy metascan
QUEUE_KINDS = (
    "manual",
    "aws_rek",
    "aws_rek_video",
    "webpurify",
    "perception_point",
    "google_video_moderation",
    "duplicate",
    "metascan",
)
QUEUE_STATUSES = ("pending", "approved", "rejected", "queued", "aborted")

_resource_type_option = click.option(
    "--resource-type",
    type=click.Choice(["image", "video", "raw"]),
    default="image",
    show_default=True,
    help="The assets' resource type (Cloudinary keeps one queue per type).",
)


@click.group()
def moderation() -> None:
    """Moderation: see what thresholds decide, review the queue, decide."""


@moderation.command("simulate")
@PRESET_OPTION
@click.option(
    "--labels",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="JSON lines: Cloudinary moderation_labels, upload responses, or Rekognition "
    "DetectModerationLabels output.",
)
@format_options("text", "json", "markdown", what="the comparison")
@target_options
def simulate(preset_name: str, labels: Path, fmt: str, **opts: Any) -> None:
    """Decide labelled samples under the definition and under the remote's current preset.

    Shows how many samples each side approves and rejects, which flip, and the categories
    that cause it: what a threshold change would do before it is applied.
    """
    from cloudinary_presets.operations.simulate import read_samples
    from cloudinary_presets.operations.workflow import simulate_preset

    samples = read_samples(labels)
    session = Session(opts, machine_output=fmt != "text")
    try:
        result = simulate_preset(
            session.project, session.spec, session.target, os.environ, preset_name, samples
        )
    finally:
        session.close()
    if fmt == "json":
        OUT.echo(json.dumps(result.to_dict(), indent=2))
        return
    if fmt == "markdown":
        from cloudinary_presets.renderers.runtime import render_simulation_markdown

        text = render_simulation_markdown(
            result.to_dict(),
            newly_rejected=result.impact.newly_rejected,
            newly_approved=result.impact.newly_approved,
        )
        OUT.echo(text.rstrip("\n"))
        return
    remote = "remote" if result.remote_exists else "remote (preset not created yet)"
    OUT.echo(f"Preset {result.preset.remote_name}: definition vs {remote}")
    OUT.echo(result.impact.summary(before_label="remote", after_label="definition"))
    if result.impact.newly_rejected:
        OUT.echo("  newly rejected samples: " + ", ".join(result.impact.newly_rejected[:10]))
    if result.impact.newly_approved:
        OUT.echo("  newly approved samples: " + ", ".join(result.impact.newly_approved[:10]))


def _uploader(session: Session) -> Uploader:
    from cloudinary_presets.operations.uploader import Uploader

    return Uploader(session.project, session.spec, session.target, os.environ)


def queue_line(item: QueueItem) -> str:
    """``public_id  uploaded at  preset  URL`` (``-`` for what is unknown)."""
    when = item.uploaded_at.strftime("%Y-%m-%d %H:%M:%S") if item.uploaded_at else "-"
    return f"{item.public_id}  {when}  {item.preset or '-'}  {item.url}"


@moderation.command("queue")
@click.option(
    "--kind",
    type=click.Choice(QUEUE_KINDS),
    default="manual",
    show_default=True,
    help="Which moderator's queue (manual: waiting for a person).",
)
@click.option(
    "--status",
    type=click.Choice(QUEUE_STATUSES),
    default="pending",
    show_default=True,
    help="Which assets of the queue, by their moderation status.",
)
@_resource_type_option
@format_options("text", "json", "markdown", what="the queue")
@target_options
def queue(kind: str, status: str, resource_type: str, fmt: str, **opts: Any) -> None:
    """List the assets in a moderation queue, oldest first: public id, uploaded at, preset
    (inferred from the folder), URL. One Admin API call per 500 assets."""
    session = Session(opts, machine_output=fmt != "text")
    items = []
    try:
        for item in _uploader(session).moderation_queue(
            kind=kind, status=status, resource_type=resource_type
        ):
            items.append(item)
            if fmt == "text":
                OUT.echo(queue_line(item))
    finally:
        session.close()
    if fmt == "json":
        OUT.echo(json.dumps([i.to_dict() for i in items], indent=2))
    elif fmt == "markdown":
        from cloudinary_presets.renderers.runtime import render_queue_markdown

        data = [i.to_dict() for i in items]
        OUT.echo(render_queue_markdown(data, f"{kind} ({status}, {resource_type})").rstrip("\n"))
    where = f"the {kind} queue ({status}, {resource_type})"
    OUT.err(f"{len(items)} asset(s) in {where}" if items else f"{where} is empty")


def _verdict_text(state: ModerationState) -> str:
    steps = ", ".join(f"{s.kind} {s.status}" for s in state.steps)
    return f"moderation: {steps}  verdict: {state.describe()}"


def decision_line(outcome: DecisionOutcome) -> str:
    if outcome.state is None:
        why = outcome.error or "not attempted: the Admin API quota ran out"
        return OUT.style(f"{outcome.public_id}: FAILED: {why}", fg="red")
    return f"{outcome.decision} {outcome.public_id}  {_verdict_text(outcome.state)}"


def _decision_command(name: str, help_text: str) -> click.Command:
    """``presets moderation approve|reject PUBLIC_ID...``: one library call, each outcome
    printed as it comes, exit 1 if any failed."""

    @moderation.command(name, help=help_text)
    @click.argument("public_ids", nargs=-1, required=True)
    @_resource_type_option
    @format_options("text", "json", what="the outcomes")
    @target_options
    def command(public_ids: tuple[str, ...], resource_type: str, fmt: str, **opts: Any) -> None:
        session = Session(opts, machine_output=fmt == "json")

        def show(outcome: DecisionOutcome) -> None:
            if fmt == "text" or not outcome.ok:
                (OUT.echo if outcome.ok else OUT.err)(decision_line(outcome))

        try:
            decide = getattr(_uploader(session), name)
            report: DecisionReport = decide(
                list(public_ids), resource_type=resource_type, on_result=show
            )
        finally:
            session.close()
        if fmt == "json":
            OUT.echo(json.dumps(report.to_list(), indent=2))
        OUT.err(report.summary())
        if not report.ok:
            raise SystemExit(EXIT_ERROR)

    return command


approve = _decision_command(
    "approve",
    "Approve assets waiting for manual review (one Admin API call each; exit 1 if any failed).",
)
reject = _decision_command(
    "reject", "Reject assets (one Admin API call each; exit 1 if any failed)."
)
