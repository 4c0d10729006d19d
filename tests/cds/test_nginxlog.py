"""Reading the fast path's nginx log into the audit (cds.nginxlog), without nginx."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from cds.models import AccessRecord, NginxLogPosition
from cds.nginxlog import ingest_nginx_audit_log, parse_line
from cds.tasks import ingest_nginx_audit_log_task

SIZE = 5000


def line(
    number: int, *, status: int = 200, sent: int = SIZE, user: object = "", **fields: object
) -> str:
    entry = {
        "id": f"{number:032x}",
        "time": f"{1_800_000_000 + number}.250",
        "took": "0.250",
        "method": "GET",
        "status": str(status),
        "sent": str(sent),
        "range": "",
        "ip": "192.0.2.7",
        "agent": 'curl "quoted"',
        "audit": urlencode(
            {
                "kind": "file",
                "file": 7,
                "sha256": "ab" * 32,
                "size": SIZE,
                "user": user,
                "credential": "user:bob",
            }
        ),
    }
    entry.update({k: str(v) for k, v in fields.items()})
    return json.dumps(entry) + "\n"


def test_a_line_is_a_record(admin_user):  # type: ignore[no-untyped-def]
    record = parse_line(line(1, user=admin_user.pk).encode())
    assert record is not None
    assert (record.status, record.bytes_sent, record.range_start, record.error) == (
        200,
        SIZE,
        None,
        "",
    )
    assert record.at.timestamp() == 1_800_000_001.0  # when it started: time - took
    assert (record.duration_ms, record.via, record.request_id) == (250, "nginx-log", f"{1:032x}")
    assert (record.kind, record.file_id, record.sha256) == ("file", 7, "ab" * 32)
    assert (record.user_id, record.credential) == (admin_user.pk, "user:bob")
    assert (record.client_ip, record.user_agent) == ("192.0.2.7", 'curl "quoted"')


def test_ranges_short_bodies_and_lines_that_are_not_ours():  # type: ignore[no-untyped-def]
    ranged = parse_line(line(2, status=206, sent=100, range="bytes=100-199").encode())
    assert ranged is not None and (ranged.range_start, ranged.range_end, ranged.error) == (
        100,
        199,
        "",
    )
    tail = parse_line(line(3, status=206, sent=10, range="bytes=-10").encode())
    assert tail is not None and (tail.range_start, tail.range_end) == (SIZE - 10, SIZE - 1)
    cut = parse_line(line(4, sent=10).encode())
    assert cut is not None and cut.error == "the client went away"
    head = parse_line(line(5, sent=0, method="HEAD").encode())
    assert head is not None and head.error == ""
    relayed = parse_line(b"Dec  2 10:00:00 node2 sequenzia_cds: " + line(8).encode())
    assert relayed is not None and relayed.request_id == f"{8:032x}"  # through syslog
    for junk in (b"", b"not json", b"{}", line(6, id="").encode(), line(7, status="x").encode()):
        assert parse_line(junk) is None


@pytest.fixture
def log(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.CDS_NGINX_AUDIT_LOG = str(tmp_path / "cds-audit.log")
    return tmp_path / "cds-audit.log"


def ids() -> list[int]:
    return sorted(int(r, 16) for r in AccessRecord.objects.values_list("request_id", flat=True))


def test_each_line_is_read_once_also_across_rotation_and_truncation(log: Path, db):  # type: ignore[no-untyped-def]
    assert ingest_nginx_audit_log().lines == 0  # no log yet
    log.write_text(line(1) + line(2) + line(3)[:40])  # the third is being written
    assert ingest_nginx_audit_log().records == 2
    with log.open("a") as out:
        out.write(line(3)[40:] + line(4))
    report = ingest_nginx_audit_log(batch=1)
    assert (report.lines, report.records) == (2, 2) and ids() == [1, 2, 3, 4]
    assert ingest_nginx_audit_log().lines == 0

    with log.open("a") as out:
        out.write(line(5))
    log.rename(log.with_name("cds-audit.log.1"))  # logrotate; nginx reopens a new file
    log.write_text(line(6))
    assert ingest_nginx_audit_log().records == 2 and ids() == [1, 2, 3, 4, 5, 6]

    log.write_text(line(7))  # copytruncate: the same file, shorter
    assert ingest_nginx_audit_log().records == 1 and ids() == [1, 2, 3, 4, 5, 6, 7]

    NginxLogPosition.objects.all().delete()  # the position is lost: lines are read again...
    log.write_text(line(1) + line(7) + line(8))
    assert ingest_nginx_audit_log().lines == 3
    assert ids() == [1, 2, 3, 4, 5, 6, 7, 8]  # ...and still recorded once


def test_bad_lines_are_skipped_and_deleted_users_forgotten(log: Path, db, admin_user):  # type: ignore[no-untyped-def]
    log.write_text("garbage\n" + line(1, user=admin_user.pk) + line(2, user=987654))
    assert ingest_nginx_audit_log_task() == {"lines": 3, "records": 2, "skipped": 1}
    users = dict(AccessRecord.objects.values_list("request_id", "user_id"))
    assert users == {f"{1:032x}": admin_user.pk, f"{2:032x}": None}


def test_nothing_to_do_without_a_log(settings, db):  # type: ignore[no-untyped-def]
    settings.CDS_NGINX_AUDIT_LOG = ""
    assert ingest_nginx_audit_log_task() == {"lines": 0, "records": 0, "skipped": 0}
