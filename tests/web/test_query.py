"""The gallery query over a database: filters, access, sorts and keyset pages."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from authware.models import Grant, User
from junefs.models import Channel, File, random_key
from sequenzia.models import Favourite
from sequenzia.query import GalleryQuery, QueryError, fetch_page, filter_files, neighbours
from tests.factories import make_channel

BASE = datetime(2024, 6, 1, tzinfo=UTC)


def request_for(user: User) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    request.auth_token = None  # type: ignore[attr-defined]
    return request


def make_files(channel: Channel, count: int, start: int = 0, **fields: Any) -> list[File]:
    rng = random.Random(start)
    rows = []
    for i in range(start, start + count):
        width, height = rng.choice([(1920, 1080), (1080, 1920), (800, 800), (4000, 3000)])
        values: dict[str, Any] = {
            "channel": channel,
            "name": f"file-{i:04d}.{rng.choice(['jpg', 'png', 'mp4'])}",
            "size": rng.randint(1000, 50_000_000),
            "sha256": f"{i:064x}",
            "mime": "image/jpeg",
            "kind": "image",
            "width": width,
            "height": height,
            "color_r": rng.randint(0, 255),
            "color_g": rng.randint(0, 255),
            "color_b": rng.randint(0, 255),
            "is_dark": rng.random() < 0.5,
            "backend": "local",
            "part_size": 1,
            "part_count": 1,
            # Every third file shares its timestamp with the next: ties need the id.
            "created_at": BASE - timedelta(hours=i // 3 * 3),
            "shuffle": random_key(),
        }
        values.update(fields)
        rows.append(File(**values))
    return File.objects.bulk_create(rows)


@pytest.fixture
def setup(db: None) -> dict[str, Any]:
    admin = User.objects.create_user("alice", rank=User.Rank.ADMIN)
    member = User.objects.create_user("bob")
    pictures = make_channel("pictures")
    walls = make_channel("wallpapers")
    hidden = make_channel("hidden-stuff")
    adult = make_channel("adult", nsfw=True)
    make_files(pictures, 40, 0)
    make_files(walls, 30, 100)
    make_files(hidden, 10, 200)
    make_files(adult, 5, 300)
    Grant.objects.create(channel=pictures, user=member, perm="read")
    Grant.objects.create(channel=adult, user=member, perm="read")
    return {
        "admin": admin,
        "member": member,
        "pictures": pictures,
        "walls": walls,
        "hidden": hidden,
        "adult": adult,
    }


def all_pages(request: HttpRequest, query: GalleryQuery, size: int = 7, **kw: Any) -> list[File]:
    qs = filter_files(request, query, **kw)
    seen: list[File] = []
    cursor = None
    for _ in range(100):
        page = fetch_page(qs, query, cursor, size)
        seen.extend(page.files)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
    raise AssertionError("pagination did not end")


def q(**params: Any) -> GalleryQuery:
    return GalleryQuery.from_params(params)


SORT_KEYS = {
    "date": lambda f: (f.created_at, f.pk),
    "name": lambda f: (f.name, f.pk),
    "size": lambda f: (f.size, f.pk),
}


@pytest.mark.parametrize("sort", ["date", "name", "size"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_keyset_pages_cover_everything_once_in_order(
    setup: dict[str, Any], sort: str, order: str
) -> None:
    request = request_for(setup["admin"])
    files = all_pages(request, q(sort=sort, order=order, nsfw="show"))
    expected = sorted(File.objects.all(), key=SORT_KEYS[sort], reverse=order == "desc")
    assert [f.pk for f in files] == [f.pk for f in expected]


def test_random_order_is_seeded_stable_and_complete(setup: dict[str, Any]) -> None:
    request = request_for(setup["admin"])
    first = [f.pk for f in all_pages(request, q(sort="random", seed="12345", nsfw="show"))]
    again = [f.pk for f in all_pages(request, q(sort="random", seed="12345", nsfw="show"), size=11)]
    other = [f.pk for f in all_pages(request, q(sort="random", seed="999999999", nsfw="show"))]
    assert first == again
    assert sorted(first) == sorted(File.objects.values_list("id", flat=True))
    assert len(set(first)) == len(first)
    assert first != other
    assert sorted(first) != first  # not simply id order


def test_favourites_sort_by_favourited_date(setup: dict[str, Any]) -> None:
    member = setup["member"]
    files = list(File.objects.filter(channel=setup["pictures"]).order_by("id")[:9])
    now = timezone.now()
    for i, file in enumerate(files):
        Favourite.objects.create(user=member, file=file, created_at=now - timedelta(minutes=i % 4))
    request = request_for(member)
    got = all_pages(request, q(sort="fav"), size=2, fav_user_id=member.pk)
    favs = Favourite.objects.filter(user=member).order_by("-created_at", "-id")
    assert [f.pk for f in got] == [fav.file_id for fav in favs]
    assert all_pages(request, q(sort="fav"), fav_user_id=None) == []


@pytest.mark.parametrize("sort", ["date", "name", "random", "size"])
def test_neighbours_follow_the_page_order(setup: dict[str, Any], sort: str) -> None:
    request = request_for(setup["admin"])
    query = q(sort=sort, seed="777")
    files = all_pages(request, query, size=50)
    qs = filter_files(request, query)
    for before, here, after in zip(files, files[1:], files[2:], strict=False):
        assert neighbours(qs, query, here) == (before, after)
    assert neighbours(qs, query, files[0])[0] is None
    assert neighbours(qs, query, files[-1])[1] is None


def test_members_see_only_their_folders(setup: dict[str, Any]) -> None:
    request = request_for(setup["member"])
    channels = {f.channel_id for f in all_pages(request, q(nsfw="show"), size=50)}
    assert channels == {setup["pictures"].pk, setup["adult"].pk}
    walls = setup["walls"].pk
    assert all_pages(request, q(folder=str(walls))) == []
    outsider = User.objects.create_user("charlie")
    assert all_pages(request_for(outsider), q(nsfw="show")) == []


def test_nsfw_hidden_by_default_shown_or_only(setup: dict[str, Any]) -> None:
    request = request_for(setup["admin"])
    adult = setup["adult"].pk
    assert adult not in {f.channel_id for f in all_pages(request, q(), size=50)}
    assert adult in {f.channel_id for f in all_pages(request, q(nsfw="show"), size=50)}
    assert {f.channel_id for f in all_pages(request, q(nsfw="only"))} == {adult}
    # Asking for the folder itself shows it.
    assert {f.channel_id for f in all_pages(request, q(folder=str(adult)))} == {adult}


def test_hidden_folders_leave_the_gallery_unless_asked_for(setup: dict[str, Any]) -> None:
    request = request_for(setup["admin"])
    hidden = setup["hidden"].pk
    got = all_pages(request, q(), size=50, hidden={hidden})
    assert hidden not in {f.channel_id for f in got}
    assert len(all_pages(request, q(folder=str(hidden)), hidden={hidden})) == 10


def count(setup: dict[str, Any], **params: Any) -> int:
    request = request_for(setup["admin"])
    return filter_files(request, q(nsfw="show", **params)).count()


def test_filters(setup: dict[str, Any]) -> None:
    files = File.objects.all()
    assert count(setup, orient="landscape") == files.filter(width__gt=1080, height__lt=3001).count()
    assert count(setup, orient="portrait") == files.filter(width=1080).count()
    assert count(setup, orient="square") == files.filter(width=800).count()
    assert count(setup, ratio_min="1.3", ratio_max="1.4") == files.filter(width=4000).count()
    assert count(setup, min_width="3000", min_height="2000") == files.filter(width=4000).count()
    assert count(setup, tone="dark") == files.filter(is_dark=True).count()
    assert count(setup, size_min="10M") == files.filter(size__gte=10 * 1024**2).count()
    assert count(setup, size_max="10M") == files.filter(size__lte=10 * 1024**2).count()
    days = count(setup, days="1")
    assert days == 0  # every file is from 2024
    assert (
        count(setup, **{"from": "2024-05-31", "to": "2024-06-01"})
        == files.filter(created_at__gte=datetime(2024, 5, 31, tzinfo=UTC)).count()
    )
    near = count(setup, color="#808080", tol="60")
    expected = files.filter(
        color_r__range=(68, 188), color_g__range=(68, 188), color_b__range=(68, 188)
    ).count()
    assert near == expected
    first_three = list(files.order_by("id").values_list("id", flat=True)[:3])
    File.objects.filter(pk__in=first_three).update(kind="video")
    assert count(setup, type="video") == 3
    assert count(setup, type="image") == files.count() - 3


def test_search_terms(setup: dict[str, Any]) -> None:
    files = File.objects.all()
    first = files.order_by("id").first()
    assert first is not None
    File.objects.filter(pk=first.pk).update(description="a red Sunset")
    assert count(setup, q="Sunset") == 1
    assert count(setup, q="-Sunset") == files.count() - 1
    assert count(setup, q="ext:mp4") == files.filter(name__endswith=".mp4").count()
    assert count(setup, q="-ext:mp4") == files.exclude(name__endswith=".mp4").count()
    assert count(setup, q="name:file-00") == files.filter(name__startswith="file-00").count()
    assert count(setup, q="folder:wallp") == 30
    assert count(setup, q="-folder:wallp") == files.count() - 30
    assert count(setup, q=f"id:{first.pk}") == 1
    assert count(setup, q="width:>=4000 type:image") == files.filter(width=4000).count()
    assert count(setup, q="ratio:1..1") == files.filter(width=800).count()
    assert count(setup, q="date:2025..") == 0
    assert count(setup, q="date:2024") == files.count()


def test_a_tampered_or_stale_cursor_is_a_clear_error(setup: dict[str, Any]) -> None:
    request = request_for(setup["admin"])
    query = q()
    qs = filter_files(request, query)
    page = fetch_page(qs, query, None, 5)
    assert page.next_cursor
    with pytest.raises(QueryError, match="start again"):
        fetch_page(qs, q(sort="name"), page.next_cursor, 5)
    with pytest.raises(QueryError, match="start again"):
        fetch_page(qs, query, "not-a-cursor!!", 5)
