"""``presets doctor``: where the credentials come from, whether Cloudinary answers, what is
configured."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from cloudinary_presets.cli.options import (
    enable_debug,
    format_options,
    project_root,
    target_options,
)
from cloudinary_presets.cli.output import OUT
from cloudinary_presets.errors import EXIT_ERROR


@click.command()
@target_options
@format_options("text", "json", "markdown", what="the checks")
def doctor(fmt: str, **opts: Any) -> None:
    """Check the set-up: configuration, definitions, credentials, Cloudinary, quota.

    Says where the credentials come from (never the secret), the cloud, whether it
    answers (one ping), the Admin API quota and its reset, the environments and presets
    folder found, and warns about the emulator and moderation add-ons that are likely
    missing. Changes nothing and starts no emulator. Exit 1 when a check failed.
    """
    from cloudinary_presets.operations.doctor import diagnose
    from cloudinary_presets.renderers.doctor import render_doctor_markdown, render_doctor_text

    if opts.get("debug"):
        enable_debug()
    result = diagnose(
        root=project_root(opts.get("root")),
        environ=os.environ,
        home=Path.home(),
        presets_dir=opts.get("presets_dir"),
        environment=opts.get("env_name"),
        url=opts.get("url"),
        profile=opts.get("profile"),
        force_emulator=bool(opts.get("use_emulator")),
    )
    data = result.to_dict()
    if fmt == "json":
        OUT.echo(json.dumps(data, indent=2))
    elif fmt == "markdown":
        OUT.echo(render_doctor_markdown(data).rstrip("\n"))
    else:
        OUT.echo(render_doctor_text(data, style=OUT.style))
    if result.failed:
        raise SystemExit(EXIT_ERROR)
