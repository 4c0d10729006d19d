"""Keep the word index (:class:`~junefs.models.FileWord`) in step with files, and rebuild it.

:class:`~junefs.models.File` calls in here from ``save()`` and from its
queryset's ``bulk_create``, ``update`` and ``bulk_update``, inside the same
transaction as the change, so a search sees a file's words exactly when it
sees the file. :func:`backfill` (re)builds the index for every file in
batches, never holding more than one batch in memory: the migration that
adds the index runs it, and so does ``manage.py junefs words``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import Model, Q

from junefs.models import File, FileWord
from junefs.words import index_words, joined

BATCH = 500


def _rows(
    model: type[Model], file_id: int, channel_id: int, created_at: datetime, words: Iterable[str]
) -> list[Any]:
    return [
        model(word=word, file_id=file_id, channel_id=channel_id, created_at=created_at)
        for word in words
    ]


def index_saved_file(file: File, *, new: bool, words: bool = True) -> None:
    """After ``file.save()``: its words (``words``), or only their folder and date."""
    if new:
        FileWord.objects.bulk_create(
            _rows(
                FileWord,
                file.pk,
                file.channel_id,
                file.created_at,
                index_words(file.name, file.description),
            )
        )
    elif words:
        _sync(
            {
                file.pk: (
                    file.channel_id,
                    file.created_at,
                    file.name,
                    file.description,
                    file.search_words,
                )
            }
        )
    else:
        FileWord.objects.filter(file_id=file.pk).filter(
            ~Q(channel_id=file.channel_id) | ~Q(created_at=file.created_at)
        ).update(channel_id=file.channel_id, created_at=file.created_at)


def index_new_files(files: list[File], *, conflicts: bool = False) -> None:
    """After ``File.objects.bulk_create``. With ``conflicts`` (ignore_conflicts or
    update_conflicts) some rows may be old ones: those are compared, not assumed new."""
    known = [f for f in files if f.pk is not None]
    missing = [f for f in files if f.pk is None]
    if conflicts:
        reindex_files([f.pk for f in known])
    else:
        rows = []
        for file in known:
            words = index_words(file.name, file.description)
            rows += _rows(FileWord, file.pk, file.channel_id, file.created_at, words)
        FileWord.objects.bulk_create(rows, batch_size=1000)
    if missing:
        # The database gave no ids back: find the rows by their unique (folder, bytes).
        lookup = Q()
        for file in missing:
            lookup |= Q(channel_id=file.channel_id, sha256=file.sha256)
        reindex_files(list(File.objects.filter(lookup).values_list("pk", flat=True)))


def reindex_files(file_ids: Iterable[int]) -> None:
    """Bring these files' words (index and ``search_words``), folder and date up to date."""
    ids = sorted(set(file_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = File.objects.filter(pk__in=chunk).values_list(
            "pk", "channel_id", "created_at", "name", "description", "search_words"
        )
        _sync({pk: rest for pk, *rest in rows})


def _sync(files: dict[int, Any]) -> None:
    """files: id → (channel_id, created_at, name, description, search_words).
    Changes only what differs."""
    have: dict[int, dict[str, tuple[int, int, datetime]]] = defaultdict(dict)
    existing = FileWord.objects.filter(file_id__in=list(files)).values_list(
        "pk", "file_id", "word", "channel_id", "created_at"
    )
    for pk, file_id, word, channel_id, created_at in existing:
        have[file_id][word] = (pk, channel_id, created_at)
    doomed: list[int] = []
    new: list[FileWord] = []
    moved: list[int] = []
    texts: dict[int, str] = {}
    for file_id, (channel_id, created_at, name, description, text) in files.items():
        old = have.get(file_id, {})
        wanted = index_words(name, description)
        if joined(wanted) != text:
            texts[file_id] = joined(wanted)
        keep = set(wanted)
        doomed += [pk for word, (pk, _, _) in old.items() if word not in keep]
        new += _rows(FileWord, file_id, channel_id, created_at, (w for w in wanted if w not in old))
        if any((c, t) != (channel_id, created_at) for _, c, t in old.values()):
            moved.append(file_id)
    if doomed:
        FileWord.objects.filter(pk__in=doomed).delete()
    FileWord.objects.bulk_create(new, batch_size=1000)
    for file_id in moved:
        channel_id, created_at = files[file_id][:2]
        FileWord.objects.filter(file_id=file_id).update(
            channel_id=channel_id, created_at=created_at
        )
    for file_id, text in texts.items():
        File.objects.filter(pk=file_id).update(search_words=text)


def backfill(
    file_model: type[Model] = File,
    word_model: type[Model] = FileWord,
    *,
    words: bool = True,
    column: bool = True,
    batch_size: int = 2000,
    fresh: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """(Re)build every file's words, one batch of files at a time; returns (files, words).

    ``words``: the FileWord rows; ``column``: ``File.search_words``. Takes the models
    as arguments so a migration can pass its historical ones. Each batch is its own
    transaction and replaces that batch's words, so a run that stopped half way can
    simply be run again. ``fresh``: the index is known to be empty (skips the delete).
    Rows go in as plain multi-row INSERTs and UPDATEs: building model instances would
    cost five times the tokenising.
    """
    files_seen = words_made = 0
    last = 0
    manager: Any = file_model._default_manager
    words_manager: Any = word_model._default_manager
    connection = connections[words_manager.db]
    quote = connection.ops.quote_name
    column_of = {field.name: str(field.column) for field in word_model._meta.concrete_fields}
    columns = ", ".join(
        quote(column_of[name]) for name in ("word", "file", "channel", "created_at")
    )
    # Names from the models, quoted; the values are parameters.
    insert = f"INSERT INTO {quote(word_model._meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608
    update = (
        f"UPDATE {quote(file_model._meta.db_table)} "  # noqa: S608
        f"SET {quote('search_words')} = %s WHERE {quote('id')} = %s"
    )
    adapt = connection.ops.adapt_datetimefield_value
    fields = ["pk", "channel_id", "created_at", "name", "description"]
    while True:
        batch = list(
            manager.filter(pk__gt=last)
            .order_by("pk")
            .values_list(*fields, *(["search_words"] if column else []))[:batch_size]
        )
        if not batch:
            return files_seen, words_made
        rows: list[tuple[Any, ...]] = []
        texts: list[tuple[str, int]] = []
        for file_id, channel_id, created_at, name, description, *text in batch:
            found = index_words(name, description)
            when = adapt(created_at)
            rows += [(word, file_id, channel_id, when) for word in found]
            if column and joined(found) != text[0]:
                texts.append((joined(found), file_id))
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if words and not fresh:
                first, end = batch[0][0], batch[-1][0]
                words_manager.filter(file_id__gte=first, file_id__lte=end).delete()
            for start in range(0, len(rows) if words else 0, 1000):
                cursor.executemany(insert, rows[start : start + 1000])
            if texts:
                cursor.executemany(update, texts)
        last = batch[-1][0]
        files_seen += len(batch)
        words_made += len(rows) if words else 0
        if progress is not None:
            progress(len(batch))
