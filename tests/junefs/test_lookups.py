"""``__in_ids``: the same rows as ``__in``, with the ids written into the SQL."""

from __future__ import annotations

import pytest
from django.db.models import Q

from junefs.models import Channel, File
from tests.factories import make_channel
from tests.web.test_word_search import add

pytestmark = pytest.mark.django_db


@pytest.fixture
def folders() -> list[Channel]:
    folders = [make_channel(f"folder-{i}") for i in range(5)]
    for i, folder in enumerate(folders):
        for j in range(i + 1):
            add(folder, f"file {i} {j}")
    return folders


def ids(qs) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(qs.values_list("id", flat=True))


def test_the_same_files_as_in_for_any_list_filter_and_exclude(folders: list[Channel]) -> None:
    every = [f.pk for f in folders]
    for chosen in ([], every[:1], every[1:4], every, [*every, 10**9], every[2:3] * 3):
        assert ids(File.objects.filter(channel_id__in_ids=chosen)) == ids(
            File.objects.filter(channel_id__in=chosen)
        )
        assert ids(File.objects.exclude(channel_id__in_ids=chosen)) == ids(
            File.objects.exclude(channel_id__in=chosen)
        )
        assert ids(File.objects.filter(Q(channel_id__in_ids=chosen) | Q(name="file 0 0"))) == ids(
            File.objects.filter(Q(channel_id__in=chosen) | Q(name="file 0 0"))
        )


def test_an_empty_list_matches_nothing_and_its_exclusion_everything(folders: list[Channel]) -> None:
    assert File.objects.filter(channel_id__in_ids=[]).count() == 0
    assert File.objects.exclude(channel_id__in_ids=[]).count() == File.objects.count() == 15


def test_the_ids_are_in_the_sql_not_in_its_parameters(folders: list[Channel]) -> None:
    chosen = [folders[3].pk, folders[1].pk, folders[3].pk]
    sql, params = File.objects.filter(channel_id__in_ids=chosen).query.sql_with_params()
    assert f"IN ({folders[1].pk}, {folders[3].pk})" in sql
    assert params == ()


@pytest.mark.parametrize("hostile", ["1); DROP TABLE junefs_file; --", "1 OR 1=1", None, 1.5j])
def test_anything_but_integers_is_refused(hostile: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        File.objects.filter(channel_id__in_ids=[1, hostile]).exists()
