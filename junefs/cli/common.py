"""Helpers shared by the junefs subcommands."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management import CommandError
from tqdm import tqdm

from junefs.models import Channel, File


def progress(total: int, description: str, unit: str = "B") -> tqdm:  # type: ignore[type-arg]
    """A progress bar on stderr, shown only when stderr is a terminal (total 0: unknown)."""
    return tqdm(
        total=total or None,
        desc=description,
        unit=unit,
        unit_scale=unit == "B",
        unit_divisor=1024 if unit == "B" else 1000,
        file=sys.stderr,
        disable=None if sys.stderr.isatty() else True,
        leave=False,
    )


def find_channel(name: str, server: str | None = None) -> Channel:
    """A folder by name (or id); a clear error when there is none or several."""
    channels = Channel.objects.select_related("server")
    if server:
        channels = channels.filter(server__name=server)
    matches = list(channels.filter(pk=int(name))) if name.isdigit() else []
    matches = matches or list(channels.filter(name=name))
    if not matches:
        raise CommandError(
            f"no channel named {name!r}; create it with: manage.py junefs channels create {name}"
        )
    if len(matches) > 1:
        servers = ", ".join(c.server.name for c in matches)
        raise CommandError(f"channel {name!r} exists on several servers ({servers}); use --server")
    return matches[0]


def find_file(file_id: str) -> File:
    if not file_id.isdigit():
        raise CommandError(f"not a file id: {file_id!r}")
    file = File.objects.select_related("channel").filter(pk=int(file_id)).first()
    if file is None:
        raise CommandError(f"no file with id {file_id}")
    return file


def json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
