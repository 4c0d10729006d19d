"""Words in the search box: prefixes, exclusions, phrases, through folders, filters,
sorts, pages and access, answered from the word index."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from authware.models import Grant, User
from junefs.models import Channel, File, FileWord, random_key
from junefs.words import index_words, query_words
from sequenzia.query import filter_files, neighbours, paging
from sequenzia.query import words as search_words
from sequenzia.query.words import MAX_LANES
from tests.factories import make_channel
from tests.web.conftest import World, client_for
from tests.web.test_query import all_pages, q, request_for

BASE = datetime(2024, 6, 1, tzinfo=UTC)
_serial = iter(range(1, 10**6))
STRATEGIES = ("rare", "common")


@pytest.fixture(params=STRATEGIES)
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with every word taken as rare (pages read its files by id), then as
    common (date pages from the index's lanes, in small chunks; others walk the sort)."""
    if request.param == "common":
        monkeypatch.setattr(search_words, "RARE", 0)
        monkeypatch.setattr(paging, "MAX_CHUNK", 5)
    return str(request.param)


def add(channel: Channel, name: str, description: str = "", **fields: Any) -> File:
    n = next(_serial)
    values: dict[str, Any] = {
        "channel": channel,
        "name": name,
        "description": description,
        "size": 1000 + n,
        "sha256": f"{n:064x}",
        "mime": "image/jpeg",
        "kind": "image",
        "width": 100,
        "height": 100,
        "backend": "local",
        "part_size": 1,
        "part_count": 1,
        "created_at": BASE - timedelta(hours=n),
    }
    values.update(fields)
    return File.objects.create(**values)


@pytest.fixture
def library(db: None) -> dict[str, Any]:
    admin = User.objects.create_user("alice", rank=User.Rank.ADMIN)
    member = User.objects.create_user("bob")
    photos = make_channel("photos")
    secret = make_channel("secret")
    Grant.objects.create(channel=photos, user=member, perm="read")
    files = {
        "sunset": add(photos, "sunset-beach.jpg"),
        "sunrise": add(photos, "Sunrise.jpg", "over the lake"),
        "sunday": add(photos, "Sunday_Market.png", kind="other"),
        "img": add(photos, "IMG_20230411_0012345.jpg"),
        "holiday": add(photos, "myHolidayPhoto.jpg"),
        "golden": add(photos, "harbour.jpg", "Golden hour at the harbour"),
        "hour": add(photos, "hour.jpg", "the hour was golden"),
        "resume": add(photos, "résumé.pdf"),
        "tokyo": add(photos, "東京タワー.jpg"),
        "emoji": add(photos, "🌅🌅.png"),
        "secret": add(secret, "secret-sunset.jpg", "the plan"),
    }
    return {"admin": admin, "member": member, "photos": photos, "secret": secret, **files}


def found(library: dict[str, Any], text: str, who: str = "admin", **params: Any) -> set[str]:
    request = request_for(library[who])
    names = {f.pk: key for key, f in library.items() if isinstance(f, File)}
    return {names[f.pk] for f in all_pages(request, q(q=text, **params), size=3)}


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("sun", {"sunset", "sunrise", "sunday", "secret"}),  # a prefix
        ("sunset", {"sunset", "secret"}),
        ("SUNSET", {"sunset", "secret"}),
        ("set", set()),  # the middle of a word is not a word
        ("sun beach", {"sunset"}),  # every word
        ("sun -beach", {"sunrise", "sunday", "secret"}),
        ("sun -secret -plan", {"sunset", "sunrise", "sunday"}),
        ("-sun -golden -hour", {"img", "holiday", "resume", "tokyo", "emoji"}),
        ("img_2023", {"img"}),  # cut like the name: img and 2023…
        ("DSC IMG", set()),
        ("0012345", {"img"}),
        ("myholiday", {"holiday"}),  # the whole run is indexed too
        ("holiday photo", {"holiday"}),
        ('"golden hour"', {"golden"}),  # whole words, in this order, as typed
        ("golden hour", {"golden", "hour"}),
        ('"hour golden"', set()),
        ('-"golden hour" hour', {"hour"}),
        ('"sun"', set()),  # one quoted word is that whole word
        ('"sunset"', {"sunset", "secret"}),
        ("lake", {"sunrise"}),  # the description
        ("jpg", set()),  # the extension is not a word (ext: is for that)
        ("résumé", {"resume"}),
        ("RÉSUMÉ", {"resume"}),
        ("resume", set()),  # accents are kept
        ("東京", {"tokyo"}),
        ("🌅", {"emoji"}),  # nothing to index: a substring, as before
        ("zzz", set()),
        ("sun name:beach", {"sunset"}),  # name: keeps its substring meaning
        ("sun type:image", {"sunset", "sunrise", "secret"}),
    ],
)
def test_what_words_find(library: dict[str, Any], strategy: str, text: str, keys: set[str]) -> None:
    assert found(library, text) == keys


@pytest.mark.parametrize("sort", ["date", "name", "size", "random"])
def test_every_sort_sees_the_same_files(library: dict[str, Any], strategy: str, sort: str) -> None:
    assert found(library, "sun", sort=sort, seed="5") == {"sunset", "sunrise", "sunday", "secret"}
    assert found(library, "zzz", sort=sort, seed="5") == set()
    assert found(library, "sun -beach", sort=sort, seed="5", order="asc") == {
        "sunrise",
        "sunday",
        "secret",
    }


def test_words_never_reveal_a_folder_one_cannot_read(
    library: dict[str, Any], strategy: str
) -> None:
    assert found(library, "sunset", "member") == {"sunset"}
    assert found(library, "plan", "member") == set()
    assert found(library, "plan", "member", folder=str(library["secret"].pk)) == set()
    outsider = User.objects.create_user("charlie")
    assert found({**library, "charlie": outsider}, "sun", "charlie") == set()
    # Even a stale copy of the folder in the index cannot show it: the file's own folder decides.
    FileWord.objects.filter(file=library["secret"]).update(channel_id=library["photos"].pk)
    assert found(library, "plan", "member") == set()
    assert found(library, "sunset", "member") == {"sunset"}


def test_a_moved_file_is_found_in_its_new_folder(library: dict[str, Any]) -> None:
    from junefs.operations import move_file

    move_file(library["secret"], library["photos"])
    assert found(library, "plan", "member") == {"secret"}
    assert found(library, "plan", "admin", folder=str(library["secret"].pk)) == set()


# --- Many files: every combination against a plain Python reading of the same rules --------

WORDS = ["sun", "sunset", "sunsets", "sunny", "sunday", "beach", "lake", "snow", "cat"]


@pytest.fixture
def many(db: None) -> dict[str, Any]:
    admin = User.objects.create_user("alice", rank=User.Rank.ADMIN)
    member = User.objects.create_user("bob")
    folders = [make_channel(f"folder-{i}") for i in range(4)]
    Grant.objects.create(channel=folders[0], user=member, perm="read")
    Grant.objects.create(channel=folders[1], user=member, perm="read")
    rng = random.Random(7)
    rows = []
    for i in range(240):
        words = rng.sample(WORDS, rng.randint(0, 3))
        rows.append(
            File(
                channel=rng.choice(folders),
                name=f"{'-'.join(words[:1]) or 'file'}_{i:04d}.jpg",
                description=" ".join(words[1:]),
                size=rng.randint(1, 10**6),
                sha256=f"{i:064x}",
                mime="image/jpeg",
                kind=rng.choice(["image", "video"]),
                width=100,
                height=100,
                backend="local",
                part_size=1,
                part_count=1,
                # Runs of equal dates: the keyset needs the id as well.
                created_at=BASE - timedelta(minutes=i // 4 * 5),
                shuffle=random_key(),
            )
        )
    File.objects.bulk_create(rows)
    return {"admin": admin, "member": member, "folders": folders}


def matches(file: File, text: str) -> bool:
    """The search rules for plain words and -words, read straight off the tokeniser."""
    words = index_words(file.name, file.description)
    for term in text.split():
        negated, term = term.startswith("-"), term.lstrip("-")
        hit = all(any(w.startswith(t) for w in words) for t in query_words(term))
        if hit == negated:
            return False
    return True


ORDER = {
    "date": lambda f: (f.created_at, f.pk),
    "name": lambda f: (f.name, f.pk),
    "size": lambda f: (f.size, f.pk),
}


@pytest.mark.parametrize("text", ["sun", "sunset", "sun beach", "sun -sunset", "-sun", "s", "cat"])
@pytest.mark.parametrize(("sort", "order"), [("date", "desc"), ("date", "asc"), ("name", "asc")])
def test_pages_in_order_against_the_rules(
    many: dict[str, Any], strategy: str, text: str, sort: str, order: str
) -> None:
    request = request_for(many["admin"])
    got = all_pages(request, q(q=text, sort=sort, order=order), size=7)
    expected = sorted(
        (f for f in File.objects.all() if matches(f, text)),
        key=ORDER[sort],
        reverse=order == "desc",
    )
    assert [f.pk for f in got] == [f.pk for f in expected]


@pytest.mark.parametrize("who", ["admin", "member"])
def test_folders_filters_and_random_order_with_words(
    many: dict[str, Any], strategy: str, who: str
) -> None:
    request = request_for(many[who])
    folder = many["folders"][1]
    readable = set(File.objects.values_list("channel_id", flat=True).distinct())
    if who == "member":
        readable = {many["folders"][0].pk, folder.pk}
    for params in (
        {"q": "sun", "folder": str(folder.pk)},
        {"q": "sun", "type": "video"},
        {"q": "sun beach", "type": "video", "folder": str(folder.pk)},
        {"q": "sun", "sort": "random", "seed": "99"},
        {"q": "sun", "sort": "size", "order": "desc"},
    ):
        got = all_pages(request, q(**params), size=5)
        expected = {
            f.pk
            for f in File.objects.all()
            if matches(f, params["q"])
            and f.channel_id in readable
            and ("folder" not in params or f.channel_id == folder.pk)
            and ("type" not in params or f.kind == params["type"])
        }
        assert len(got) == len({f.pk for f in got}), params
        assert {f.pk for f in got} == expected, params


def test_neighbours_with_words(many: dict[str, Any], strategy: str) -> None:
    request = request_for(many["admin"])
    query = q(q="sun")
    files = all_pages(request, query, size=50)
    qs = filter_files(request, query)
    for before, here, after in zip(files, files[1:], files[2:], strict=False):
        assert neighbours(qs, query, here) == (before, after)


def queries(request: Any, text: str, **params: Any) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        all_pages(request, q(q=text, **params), size=7)
    return [s["sql"].replace("`", '"') for s in ctx.captured_queries]


def test_a_rare_word_reads_its_files_by_id(many: dict[str, Any]) -> None:
    """Sorted by anything but the date (lanes give that order), a rare word's files
    are read by id."""
    request = request_for(many["admin"])
    cat = set(FileWord.objects.filter(word="cat").values_list("file_id", flat=True))
    pages = [sql for sql in queries(request, "cat", sort="name") if "LIMIT 8" in sql]
    assert pages and all('"junefs_file"."id" IN (' in sql for sql in pages)
    assert all(str(min(cat)) in sql for sql in pages)


def lane_scans(sqls: list[str]) -> list[str]:
    """Scans of the word index in date order (not the probes that look words up)."""
    return [
        sql
        for sql in sqls
        if sql.startswith('SELECT "junefs_fileword"."created_at"') and "ORDER BY" in sql
    ]


def test_a_common_word_walks_lanes_on_the_date_order(
    many: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_words, "RARE", 0)
    request = request_for(many["admin"])
    scans = lane_scans(queries(request, "cat"))
    assert scans and all("JOIN" not in sql and "\"word\" = 'cat'" in sql for sql in scans)
    # "sun" stands for five words of the index (sun, sunday, sunny, sunset, sunsets).
    scans = lane_scans(queries(request, "sun"))
    assert {sql.split('"word" = ')[1].split("'")[1] for sql in scans} == {
        "sun",
        "sunday",
        "sunny",
        "sunset",
        "sunsets",
    }
    # Another order: candidates come from the sort's own index.
    assert not lane_scans(queries(request, "sun", sort="name"))


def test_a_word_no_file_has_ends_the_query(many: dict[str, Any]) -> None:
    request = request_for(many["admin"])
    assert not [sql for sql in queries(request, "sun zzz") if 'FROM "junefs_file"' in sql]


def test_a_prefix_of_many_words_has_no_lanes(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_words, "RARE", 0)
    admin = User.objects.create_user("alice", rank=User.Rank.ADMIN)
    folder = make_channel("f")
    for i in range(MAX_LANES + 3):
        add(folder, f"word{chr(97 + i)}.jpg")
    request = request_for(admin)
    assert len(all_pages(request, q(q="word"), size=4)) == MAX_LANES + 3
    assert not lane_scans(queries(request, "word"))


def test_words_common_apart_but_rare_together(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest files have the driver's word but not the other: after a budget of lane
    candidates the broad word (too many index words for lanes) drives, as one range."""
    monkeypatch.setattr(search_words, "RARE", 0)
    monkeypatch.setattr(search_words, "MAX_LANES", 2)
    monkeypatch.setattr(search_words, "STRETCH", 1)
    monkeypatch.setattr(paging, "LANE_BUDGET", 20)
    monkeypatch.setattr(paging, "MAX_CHUNK", 10)
    admin = User.objects.create_user("alice", rank=User.Rank.ADMIN)
    folder = make_channel("camera")
    for day in range(60):  # newest first: 2025 files, then 2023 ones
        year = 2025 if day < 45 else 2023
        add(folder, f"IMG_{year}01{day % 28 + 1:02d}_{day:04d}.jpg")
        add(folder, f"scan_{2023 + day % 3}_{day}.png")
    request = request_for(admin)
    with CaptureQueriesContext(connection) as ctx:
        got = all_pages(request, q(q="img_2023"), size=4)
    expected = [f for f in File.objects.order_by("-created_at", "-id") if matches(f, "img_2023")]
    assert [f.pk for f in got] == [f.pk for f in expected] and len(got) == 15
    sqls = [s["sql"].replace("`", '"') for s in ctx.captured_queries]
    spans = [sql for sql in sqls if "'2023\U0010ffff'" in sql]
    assert any("ORDER BY" in sql and sql.startswith('SELECT "junefs_fileword"') for sql in spans)


def test_the_gallery_page_and_the_api(world: World) -> None:
    bob = client_for(world, "bob")
    page = bob.get("/", {"q": "shared"}).content.decode()
    assert "shared-cat" in page and "shared-dog" in page
    assert "sunset-beach" not in bob.get("/", {"q": "sun"}).content.decode()  # alice's folder
    alice = client_for(world, "alice")
    assert "sunset-beach" in alice.get("/", {"q": "sun"}).content.decode()
    api = client_for(world, "token").get("/api/search", {"q": "shar"}).json()
    assert {f["name"] for f in api["items"]} == {"shared-cat.jpg", "shared-dog.jpg"}
