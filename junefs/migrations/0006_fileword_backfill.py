"""Index the words of every existing file (streams: one batch of files at a time)."""

import sys

from django.db import migrations


def index_existing_files(apps, schema_editor):
    from junefs.word_index import backfill

    File = apps.get_model("junefs", "File")
    FileWord = apps.get_model("junefs", "FileWord")
    total = File.objects.count()
    done = 0

    def progress(count):
        nonlocal done
        before, done = done, done + count
        if done // 100_000 != before // 100_000 or done == total:
            sys.stdout.write(f"\n  word index: {done:,} of {total:,} files")
            sys.stdout.flush()

    backfill(File, FileWord, column=False, progress=progress if total > 100_000 else None)


class Migration(migrations.Migration):

    # Each batch commits on its own: a big library is not one huge transaction,
    # and a run that stopped can be run again (a batch replaces its own words).
    atomic = False

    dependencies = [
        ("junefs", "0005_fileword"),
    ]

    operations = [
        migrations.RunPython(index_existing_files, migrations.RunPython.noop, elidable=True),
    ]
