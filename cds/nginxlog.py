"""The fast path's audit: nginx's log of the requests it answered, read into AccessRecords.

On the fast path (:mod:`cds.views.decisions`) nginx sends cached files
without asking Django each time, so it writes the audit itself: one JSON line
per request it answered, in the ``sequenzia_cds_audit`` format of
``deploy/nginx/cds-fast-path-http.conf``::

    {"id": "$request_id", "time": "$msec", "took": "$request_time",
     "method": "$request_method", "status": "$status", "sent": "$body_bytes_sent",
     "range": "$http_range", "ip": "$remote_addr", "agent": "$http_user_agent",
     "audit": "$cds_audit"}

where ``audit`` is what Django put in the decision (who, which file, its
sha256 and size). :func:`ingest_nginx_audit_log` (Celery beat, every 10 s)
reads what was added since the last run, in batches, into AccessRecords with
``via="nginx-log"``. It is idempotent: every line carries nginx's request id,
stored unique, so a line read twice (a crash between the insert and saving
the position, two workers at once) is one record.

The position (inode, the first line's hash and the offset) is kept in the
database. A log rotated away (logrotate renames it to ``<name>.1`` and nginx
reopens on USR1: Debian's default) is read to its end before the new one is
started; a log truncated in place (``copytruncate``) is read again from the
top. Compressing ``.1`` must wait a rotation (``delaycompress``, also
Debian's default).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import transaction

from cds import stats
from cds.models import AccessRecord, NginxLogPosition
from cds.ranges import Unsatisfiable, parse_range

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
BATCH = 1000
VIA = "nginx-log"


@dataclass
class IngestReport:
    lines: int = 0
    records: int = 0
    skipped: int = 0


def parse_line(line: bytes) -> AccessRecord | None:
    """The access record one log line describes, or None if it is not one of ours.

    Anything before the JSON object is ignored: a syslog prefix, when several
    nodes send their lines to one file (deploy/README.md).
    """
    try:
        entry: dict[str, Any] = json.loads(line[line.find(b"{") :])
        audit = dict(parse_qsl(entry["audit"], keep_blank_values=True))
        status, sent = int(entry["status"]), int(entry["sent"])
        size = int(audit["size"])
        took = float(entry.get("took") or 0)
        started = datetime.fromtimestamp(float(entry["time"]) - took, UTC)
        request_id = str(entry["id"])[:32]
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        return None
    if not request_id:
        return None
    first = last = None
    length = size
    if status == 206:
        try:
            asked = parse_range(entry.get("range") or None, size)
        except Unsatisfiable:
            asked = None
        if asked is not None:
            first, last, length = asked.start, asked.end, asked.length
    error = ""
    if entry.get("method") == "GET" and status in (200, 206) and sent < length:
        error = "the client went away"
    return AccessRecord(
        at=started,
        user_id=int(audit["user"]) if audit.get("user", "").isdigit() else None,
        credential=audit.get("credential", "")[:100],
        kind=audit.get("kind", "")[:10],
        file_id=int(audit["file"]) if audit.get("file", "").isdigit() else None,
        sha256=audit.get("sha256", "")[:64],
        status=status,
        bytes_sent=sent,
        range_start=first,
        range_end=last,
        client_ip=_address(entry.get("ip")),
        user_agent=str(entry.get("agent") or "")[:200],
        via=VIA,
        duration_ms=min(int(took * 1000), 2**31 - 1),
        error=error,
        request_id=request_id,
    )


def _address(value: object) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None


def _head(handle: BinaryIO) -> str:
    """The sha256 of a log's first line ("" while it has none): its identity.

    Every line carries a unique request id, so a log truncated in place and
    written again has another first line, even once it has grown past the
    offset read before.
    """
    first = os.pread(handle.fileno(), 4096, 0).partition(b"\n")
    return hashlib.sha256(first[0]).hexdigest() if first[1] else ""


def _save(
    records: list[AccessRecord], position: NginxLogPosition, inode: int, head: str, end: int
) -> None:
    """Insert a batch (lines already read are skipped) and move the position, atomically."""
    from authware.models import User

    wanted = {r.user_id for r in records if r.user_id is not None}
    known = set(User.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for record in records:
        if record.user_id not in known:
            record.user_id = None  # deleted since; the credential keeps the name
    with transaction.atomic():
        AccessRecord.objects.bulk_create(records, ignore_conflicts=True)
        NginxLogPosition.objects.filter(pk=position.pk).update(inode=inode, head=head, offset=end)
    position.inode, position.head, position.offset = inode, head, end


def _read_from(
    path: Path, offset: int | None, position: NginxLogPosition, report: IngestReport, batch: int
) -> None:
    """Read whole lines of ``path`` from ``offset`` to its end into the audit.

    ``offset`` is None to go on from the saved position unless the file is
    not the one it was saved for (truncated in place): then from the top.
    """
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        inode, head = stat.st_ino, _head(handle)
        if offset is None:
            offset = position.offset
            if stat.st_size < offset or (position.head and head != position.head):
                offset = 0
        handle.seek(offset)
        pending = b""
        records: list[AccessRecord] = []
        while chunk := handle.read(READ_SIZE):
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()  # an unfinished line waits for the next run
            for line in lines:
                offset += len(line) + 1
                if not line.strip():
                    continue
                report.lines += 1
                record = parse_line(line)
                if record is None:
                    report.skipped += 1
                    log.warning("skipped a line of %s that is not a CDS record: %.120r", path, line)
                    continue
                records.append(record)
                if len(records) >= batch:
                    _save(records, position, inode, head, offset)
                    report.records += len(records)
                    records = []
        if records or (position.inode, position.head, position.offset) != (inode, head, offset):
            _save(records, position, inode, head, offset)
            report.records += len(records)


def ingest_nginx_audit_log(path: str | None = None, *, batch: int = BATCH) -> IngestReport:
    """Read the lines nginx added to its CDS audit log since the last run (see the module)."""
    report = IngestReport()
    name = path or settings.CDS_NGINX_AUDIT_LOG
    if not name:
        return report
    current = Path(name)
    try:
        stat = current.stat()
    except FileNotFoundError:
        return report
    position, _ = NginxLogPosition.objects.get_or_create(path=str(current))
    offset: int | None = None  # go on where the last run stopped
    if position.inode and position.inode != stat.st_ino:
        rotated = current.with_name(current.name + ".1")
        try:
            if rotated.stat().st_ino == position.inode:
                _read_from(rotated, position.offset, position, report, batch)
        except FileNotFoundError:
            log.warning("%s was rotated and its old file is gone: records may be missing", name)
        offset = 0
    _read_from(current, offset, position, report, batch)
    if report.records:
        stats.count("nginx_log_records", report.records)
    return report
