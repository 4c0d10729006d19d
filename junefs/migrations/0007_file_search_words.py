"""File.search_words: each file's words on its own row (streams: one batch of files at a time).

Every row of junefs_file grows by its words: on a big table InnoDB splits pages
as the backfill writes them (the bench's million files went from 284 to 573 MB
of data); ``OPTIMIZE TABLE junefs_file`` afterwards packs it again (18 s there).
"""

import sys

import junefs.models
from django.db import migrations


def fill_search_words(apps, schema_editor):
    from junefs.word_index import backfill

    File = apps.get_model("junefs", "File")
    FileWord = apps.get_model("junefs", "FileWord")
    total = File.objects.count()
    done = 0

    def progress(count):
        nonlocal done
        before, done = done, done + count
        if done // 100_000 != before // 100_000 or done == total:
            sys.stdout.write(f"\n  search words: {done:,} of {total:,} files")
            sys.stdout.flush()

    backfill(File, FileWord, words=False, progress=progress if total > 100_000 else None)


class Migration(migrations.Migration):

    # Each batch commits on its own (see 0006).
    atomic = False

    dependencies = [
        ("junefs", "0006_fileword_backfill"),
    ]

    operations = [
        migrations.AddField(
            model_name="file",
            name="search_words",
            field=junefs.models.WordsField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                help_text="The words of the name and description (junefs.words), space around "
                "each: a search checks a row with LIKE '% word%', as cheap as a substring and as "
                "exact as the word index (FileWord). Kept in step with them by save() and File's "
                "queryset.",
            ),
        ),
        migrations.RunPython(fill_search_words, migrations.RunPython.noop, elidable=True),
    ]
