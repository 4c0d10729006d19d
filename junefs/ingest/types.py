"""The data ingest passes between its steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

from junefs import media
from junefs.backends import Backend
from junefs.models import Channel, File
from junefs.sniff import Sniffed
from junefs.spanning import SpanPlan
from junefs.store import ContentStore, StoredEntry

if TYPE_CHECKING:
    from authware.models import User

UploadMode = Literal["queue", "inline", "none"]
#: Image formats Pillow decodes itself: failing to read one means the file is bad.
PILLOW_NATIVE = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"}


@dataclass
class IngestRequest:
    stream: BinaryIO
    name: str
    channel: Channel
    created_at: datetime | None = None
    uploader: User | None = None
    description: str = ""
    upload: UploadMode = "queue"


@dataclass
class IngestContext:
    request: IngestRequest
    store: ContentStore
    backend: Backend
    part_size: int
    staged: StoredEntry | None = None
    plan: SpanPlan | None = None
    sniffed: Sniffed | None = None
    name: str = ""
    facts: media.VisualFacts | None = None
    duration: float | None = None
    dimensions: tuple[int | None, int | None] = (None, None)
    preview: str = File.Preview.NONE
    preview_note: str = ""
    thumbnail: StoredEntry | None = None
    existing: File | None = None
    sibling: File | None = None
    file: File | None = None
    created_objects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IngestResult:
    file: File
    duplicate: bool


class Step(Protocol):
    name: str

    def run(self, ctx: IngestContext) -> bool: ...
