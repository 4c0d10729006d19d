"""The word index follows every change to a file: create, rename, move, edits, bulk, delete."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from junefs.discord_io.mirror import apply_message_delete, apply_message_edit, record_message
from junefs.discord_io.records import AttachmentRecord, MessageRecord
from junefs.models import Channel, File, FileWord
from junefs.operations import delete_file, move_file, rename_file
from junefs.word_index import backfill, reindex_files
from junefs.words import index_words, joined
from tests.factories import ingest_bytes, jpeg_bytes, make_channel

pytestmark = pytest.mark.django_db

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def indexed(file: File) -> set[tuple[str, int, datetime]]:
    return set(
        FileWord.objects.filter(file_id=file.pk).values_list("word", "channel_id", "created_at")
    )


def expected(file: File) -> set[tuple[str, int, datetime]]:
    """What the index should hold for the file as the database has it now."""
    row = File.objects.get(pk=file.pk)
    return {(w, row.channel_id, row.created_at) for w in index_words(row.name, row.description)}


def assert_in_step(*files: File) -> None:
    """The index rows and the file's own search_words match its name and description."""
    for file in files:
        assert indexed(file) == expected(file), file.name
        row = File.objects.get(pk=file.pk)
        assert row.search_words == joined(index_words(row.name, row.description)), row.name


def make_file(channel: Channel, name: str, n: int = 0, **fields: Any) -> File:
    values: dict[str, Any] = {
        "channel": channel,
        "name": name,
        "size": 10,
        "sha256": f"{n:064x}",
        "mime": "image/jpeg",
        "kind": "image",
        "backend": "local",
        "part_size": 10,
        "part_count": 1,
        "created_at": WHEN,
    }
    values.update(fields)
    return File.objects.create(**values)


def test_ingest_indexes_name_and_description(channel: Channel) -> None:
    file = ingest_bytes(
        jpeg_bytes(40, 30), channel, "Sunset_Beach.jpg", upload="none", description="golden hour"
    ).file
    assert {w for w, _, _ in indexed(file)} == {"sunset", "beach", "golden", "hour"}
    assert_in_step(file)


def test_rename_move_and_delete(channel: Channel) -> None:
    other = make_channel("other")
    file = ingest_bytes(jpeg_bytes(40, 30), channel, "old-name.jpg", upload="none").file
    rename_file(file, "brand new.jpg")
    assert {w for w, _, _ in indexed(file)} == {"brand", "new"}
    move_file(file, other)
    assert {c for _, c, _ in indexed(file)} == {other.pk}
    assert_in_step(file)
    delete_file(file)
    assert not FileWord.objects.exists()


def test_save_with_update_fields_and_partly_loaded_instances(channel: Channel) -> None:
    other = make_channel("other")
    file = make_file(channel, "first.jpg", description="alpha")
    file.description = "beta gamma"
    file.save(update_fields=["description"])
    assert_in_step(file)
    file.created_at = WHEN - timedelta(days=3)
    file.save(update_fields=["created_at"])
    assert {t for _, _, t in indexed(file)} == {WHEN - timedelta(days=3)}
    before = indexed(file)
    file.rotation = 90
    file.save(update_fields=["rotation"])  # nothing indexed changed
    assert indexed(file) == before
    partial = File.objects.only("id", "channel").get(pk=file.pk)
    partial.channel = other
    partial.save()  # saves only the loaded fields
    assert_in_step(file)
    full = File.objects.get(pk=file.pk)
    full.name = "second.jpg"
    full.save()
    assert_in_step(full)
    assert "second" in {w for w, _, _ in indexed(full)}


def test_queryset_update_and_bulk_update(channel: Channel) -> None:
    other = make_channel("other")
    files = [make_file(channel, f"file-{i}.jpg", i) for i in range(5)]
    assert File.objects.filter(pk__in=[f.pk for f in files[:2]]).update(description="rainy") == 2
    File.objects.filter(pk=files[2].pk).update(channel=other, created_at=WHEN + timedelta(1))
    # A conditional update that matches nothing changes nothing, words included.
    assert File.objects.filter(pk=files[3].pk, state="complete").update(name="x.jpg") == 0
    files[4].name, files[3].description = "renamed.jpg", "snowy"
    File.objects.bulk_update([files[4], files[3]], ["name", "description"])
    assert_in_step(*files)
    assert FileWord.objects.filter(word="rainy").count() == 2
    assert FileWord.objects.filter(word="x").count() == 0


def test_bulk_create_indexes_new_rows_and_conflicts(channel: Channel) -> None:
    made = File.objects.bulk_create(
        [
            File(
                channel=channel,
                name=f"bulk-{i}.png",
                description="from a script",
                size=1,
                sha256=f"{i:064x}",
                mime="image/png",
                kind="image",
                backend="local",
                part_size=1,
                part_count=1,
                created_at=WHEN,
            )
            for i in range(3)
        ]
    )
    assert_in_step(*made)
    again = File(
        channel=channel,
        name="different.png",
        size=1,
        sha256=f"{0:064x}",
        mime="image/png",
        kind="image",
        backend="local",
        part_size=1,
        part_count=1,
    )
    File.objects.bulk_create([again], ignore_conflicts=True)  # the row exists: unchanged
    assert_in_step(*made)
    assert not FileWord.objects.filter(word="different").exists()


def test_deleting_a_queryset_drops_its_words(channel: Channel) -> None:
    keep = make_file(channel, "keep.jpg", 1)
    make_file(channel, "drop.jpg", 2)
    File.objects.filter(name="drop.jpg").delete()
    assert set(FileWord.objects.values_list("word", flat=True)) == {"keep"}
    assert_in_step(keep)


def test_raw_sql_is_mended_by_reindex(channel: Channel) -> None:
    file = make_file(channel, "before.jpg")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE junefs_file SET name = %s WHERE id = %s", ["after.jpg", file.pk])
    assert indexed(file) != expected(file)
    reindex_files([file.pk])
    assert_in_step(file)


def _mirror_channel() -> Channel:
    return make_channel("mirrored", discord_channel_id=555)


def _message(content: str, *attachments: AttachmentRecord, message_id: int = 900) -> MessageRecord:
    return MessageRecord(message_id, 555, None, 7, content, WHEN, attachments)


def test_discord_mirror_create_edit_and_delete() -> None:
    _mirror_channel()
    photo = AttachmentRecord(901, "Harbour.jpg", 100, "https://cdn.example/a?ex=1&is=1&hm=1")
    other = AttachmentRecord(902, "boat.jpg", 100, "https://cdn.example/b?ex=1&is=1&hm=1")
    record_message(_message("first light", photo, other))
    files = list(File.objects.order_by("discord_attachment_id"))
    assert {w for w, _, _ in indexed(files[0])} == {"harbour", "first", "light"}
    apply_message_edit(_message("evening tide", photo, other))
    assert_in_step(*files)
    assert FileWord.objects.filter(word="tide").count() == 2
    assert not FileWord.objects.filter(word="light").exists()
    apply_message_edit(_message("evening tide", photo))  # one attachment removed
    assert not FileWord.objects.filter(word="boat").exists()
    apply_message_delete([900])
    assert not FileWord.objects.exists()


class _FormFields(HTMLParser):
    """The fields of the admin's change form, as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self.inside = False
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id", "").endswith("_form")
        if tag == "option" and self.select and "selected" in a:
            self.data.setdefault(self.select, []).append(a.get("value", ""))
        if not self.inside or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
            elif kind not in ("submit", "button", "file"):
                self.data.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            self.select = name
        elif tag == "textarea":
            self.textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea][-1] += data.removeprefix("\n")


def test_admin_edits_follow(admin_client: Any, channel: Channel) -> None:
    other = make_channel("other")
    file = ingest_bytes(jpeg_bytes(40, 30), channel, "admin-edit.jpg", upload="none").file
    url = reverse("admin:junefs_file_change", args=[file.pk])
    form = _FormFields()
    form.feed(admin_client.get(url).content.decode())
    data = {k: v[0] if len(v) == 1 else v for k, v in form.data.items()}
    data.update(
        name="edited in admin.jpg",
        description="a lighthouse",
        channel=str(other.pk),
        created_at_0="2020-02-03",
        created_at_1="04:05:06",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.errors for f in response.context["inline_admin_formsets"][0].formset],
    )
    file.refresh_from_db()
    assert file.channel_id == other.pk
    assert {w for w, _, _ in indexed(file)} == {"edited", "in", "admin", "a", "lighthouse"}
    assert_in_step(file)


def test_backfill_streams_in_batches_and_can_run_again(channel: Channel) -> None:
    files = [make_file(channel, f"photo {i}.jpg", i, description=f"tag{i % 3}") for i in range(25)]
    FileWord.objects.all().delete()
    seen: list[int] = []
    assert backfill(batch_size=7, progress=seen.append)[0] == 25
    assert seen == [7, 7, 7, 4]
    assert_in_step(*files)
    FileWord.objects.filter(word="photo").delete()  # half broken: run it again
    File.objects.filter(pk=files[0].pk).update(search_words="")  # broken by hand
    with connection.cursor() as cursor:
        cursor.execute("UPDATE junefs_file SET search_words = '' WHERE id = %s", [files[1].pk])
    backfill(batch_size=10)
    assert_in_step(*files)


def test_the_migration_and_the_command_backfill(channel: Channel) -> None:
    from importlib import import_module

    files = [make_file(channel, f"m{i}.jpg", i) for i in range(3)]
    FileWord.objects.all().delete()
    migration = import_module("junefs.migrations.0006_fileword_backfill")
    migration.index_existing_files(apps, None)
    assert_in_step(*files)
    FileWord.objects.all().delete()
    out = io.StringIO()
    call_command("junefs", "words", stdout=out)
    assert "3 file(s)" in out.getvalue()
    assert_in_step(*files)
    File.objects.filter(pk=files[0].pk).update(name="changed.jpg")
    call_command("junefs", "words", str(files[0].pk), stdout=out)
    assert_in_step(*files)
