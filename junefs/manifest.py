"""The text Sequenzia writes on Discord, so the index can be rebuilt from Discord alone.

Two kinds of messages carry it:

* a **part message** (in a parts channel): one attachment, the part's bytes,
  and one content line naming what it is a part of::

      sequenzia-part v1 file=<file sha256> index=<i> of=<n> offset=<o> size=<s> sha256=<part sha256>

  Parts belong to content (the file's sha256), not to a File row: files with
  the same bytes in several folders share them.

* a **parent message** (in the file's folder channel): the thumbnail or
  preview as an attachment, plus a ``manifest.json`` attachment listing every
  part's ids, and this content::

      <file name>
      sequenzia-file v1 id=<file id> size=<bytes> parts=<n> sha256=<file sha256>

  The name is on a line of its own (names are cleaned at ingest: no line
  breaks); the machine-readable line is always the last one.

Messages people post in folder channels carry none of this; the mirror tells
them apart by these lines, not by who posted them.

A folder channel the backend creates carries a last topic line naming the
folder it was made for (``sequenzia-folder v1 id=<folder id>``), so the
mirror adopts that folder even if it hears of the channel before the
backend has recorded its id.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

PART_TAG = "sequenzia-part v1"
FOLDER_TAG = "sequenzia-folder v1"
_FOLDER_LINE = re.compile(rf"^{FOLDER_TAG} id=(?P<folder_id>\d+)$")
#: Discord's limits on a text channel's topic and name.
MAX_TOPIC = 1024
MAX_CHANNEL_NAME = 100
FILE_TAG = "sequenzia-file v1"
MANIFEST_NAME = "manifest.json"
_HEX64 = r"[0-9a-f]{64}"
_PART_LINE = re.compile(
    rf"^{PART_TAG} file=(?P<file_sha256>{_HEX64}) index=(?P<index>\d+) of=(?P<count>\d+) "
    rf"offset=(?P<offset>\d+) size=(?P<size>\d+) sha256=(?P<sha256>{_HEX64})$"
)
_FILE_LINE = re.compile(
    rf"^{FILE_TAG} id=(?P<file_id>\d+) size=(?P<size>\d+) parts=(?P<parts>\d+) "
    rf"sha256=(?P<sha256>{_HEX64})$"
)
#: Discord's limit on message content.
MAX_CONTENT = 2000


@dataclass(frozen=True)
class PartLine:
    file_sha256: str
    index: int
    count: int
    offset: int
    size: int
    sha256: str


@dataclass(frozen=True)
class FileLine:
    name: str
    file_id: int
    size: int
    parts: int
    sha256: str


@dataclass(frozen=True)
class ManifestPart:
    index: int
    offset: int
    size: int
    sha256: str
    channel_id: int
    message_id: int
    attachment_id: int


def render_part(line: PartLine) -> str:
    return (
        f"{PART_TAG} file={line.file_sha256} index={line.index} of={line.count} "
        f"offset={line.offset} size={line.size} sha256={line.sha256}"
    )


def parse_part(content: str) -> PartLine | None:
    match = _PART_LINE.match(content.strip())
    if match is None:
        return None
    g = match.groupdict()
    return PartLine(
        g["file_sha256"],
        int(g["index"]),
        int(g["count"]),
        int(g["offset"]),
        int(g["size"]),
        g["sha256"],
    )


def render_file(line: FileLine) -> str:
    tail = f"{FILE_TAG} id={line.file_id} size={line.size} parts={line.parts} sha256={line.sha256}"
    room = MAX_CONTENT - len(tail) - 1
    name = line.name if len(line.name) <= room else line.name[: room - 1] + "…"
    return f"{name}\n{tail}"


def parse_file(content: str) -> FileLine | None:
    name, _, tail = content.strip().rpartition("\n")
    match = _FILE_LINE.match(tail.strip())
    if match is None:
        return None
    g = match.groupdict()
    return FileLine(name.strip(), int(g["file_id"]), int(g["size"]), int(g["parts"]), g["sha256"])


def render_manifest(file_line: FileLine, parts: list[ManifestPart]) -> bytes:
    """The ``manifest.json`` attached to a parent message."""
    body = {"version": 1, "file": asdict(file_line), "parts": [asdict(p) for p in parts]}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def parse_manifest(data: bytes) -> tuple[FileLine, list[ManifestPart]]:
    """Read a ``manifest.json``; ValueError when it is not one."""
    try:
        body = json.loads(data)
        if body.get("version") != 1:
            raise ValueError("unknown manifest version")
        file_line = FileLine(**body["file"])
        parts = [ManifestPart(**p) for p in body["parts"]]
    except (KeyError, TypeError, json.JSONDecodeError, AttributeError) as exc:
        raise ValueError(f"not a Sequenzia manifest: {exc}") from None
    if [p.index for p in parts] != list(range(len(parts))) or len(parts) != file_line.parts:
        raise ValueError("manifest parts are not 0..n-1")
    return file_line, parts


def render_folder_topic(folder_id: int, description: str = "") -> str:
    """A channel topic: the folder's description, then the line naming the folder."""
    tail = f"{FOLDER_TAG} id={folder_id}"
    room = MAX_TOPIC - len(tail) - 1
    description = description.strip()
    if len(description) > room:
        description = description[: room - 1] + "…"
    return f"{description}\n{tail}" if description else tail


def parse_folder_topic(topic: str) -> tuple[int | None, str]:
    """(the folder id the channel was made for, or None; the topic without that line)."""
    head, _, last = (topic or "").strip().rpartition("\n")
    match = _FOLDER_LINE.match(last.strip())
    if match is None:
        return None, (topic or "").strip()
    return int(match["folder_id"]), head.strip()


def channel_name_for(folder_name: str, folder_id: int) -> str:
    """The Discord text-channel name for a folder: lowercase words joined by dashes."""
    name = re.sub(r"[^\w-]+", "-", folder_name.lower()).strip("-")[:MAX_CHANNEL_NAME]
    return name or f"folder-{folder_id}"
