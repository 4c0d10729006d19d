"""Choosing the next image: rounds without repeats, random picks, night mode, the pool."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from junefs.models import File
from sequenzia.ads.models import DisplayProfile, DisplayRound
from sequenzia.ads.pool import pool_for, request_as
from sequenzia.ads.selection import choose_next, is_night, record_shown
from tests.ads.conftest import ScreenWorld, make_images

pytestmark = pytest.mark.django_db


def walk(screens: ScreenWorld, steps: int, **kw: object) -> list[tuple[int, bool]]:
    request = request_as(screens.world.bob, screens.display.token)
    out = []
    for _ in range(steps):
        pick = choose_next(screens.display, pool_for(request, screens.profile), **kw)  # type: ignore[arg-type]
        assert pick is not None
        record_shown(screens.display, pick.file)
        out.append((pick.file.pk, pick.new_round))
    return out


def test_a_round_shows_every_image_once_then_starts_again(screens: ScreenWorld) -> None:
    ids = {f.pk for f in screens.images}
    picks = walk(screens, len(ids) * 3)
    for round_no in range(3):
        chunk = picks[round_no * len(ids) : (round_no + 1) * len(ids)]
        assert {pk for pk, _ in chunk} == ids, f"round {round_no} missed or repeated images"
        assert chunk[0][1] is True  # each round's first pick says so
        assert not any(new for _, new in chunk[1:])
    # The last image of a round is never the first of the next.
    for boundary in (len(ids), 2 * len(ids)):
        assert picks[boundary - 1][0] != picks[boundary][0]


def test_rounds_start_at_different_points(screens: ScreenWorld) -> None:
    n = len(screens.images)
    firsts = {walk(screens, n)[0][0] for _ in range(6)}
    assert len(firsts) > 1  # not the same sequence every round


def rounds_of(picks: list[tuple[int, bool]]) -> list[list[int]]:
    rounds: list[list[int]] = []
    for pk, new_round in picks:
        if new_round or not rounds:
            rounds.append([])
        rounds[-1].append(pk)
    return rounds


def test_images_added_during_a_round_come_before_anything_repeats(
    screens: ScreenWorld,
) -> None:
    first = walk(screens, 5)
    added = make_images(screens.folder, 4, start=100)
    everything = {f.pk for f in screens.images} | {f.pk for f in added}
    later = walk(screens, 3 * len(everything))
    rounds = rounds_of(first + later)
    for shown in rounds:
        assert len(shown) == len(set(shown)), "an image came back within its round"
    # The round under way shows the new images ahead of its cursor; the next one, all.
    assert set(rounds[0]) >= {f.pk for f in screens.images}
    assert set(rounds[1]) == everything


def test_repeat_days_starts_a_new_round_when_the_round_is_that_old(
    screens: ScreenWorld,
) -> None:
    screens.profile.repeat_days = 2
    screens.profile.save()
    walk(screens, 3)
    state = DisplayRound.objects.get(display=screens.display)
    assert state.shown == 3
    DisplayRound.objects.filter(pk=state.pk).update(
        started_at=timezone.now() - dt.timedelta(days=3)
    )
    ((_, new_round),) = walk(screens, 1)
    assert new_round
    assert DisplayRound.objects.get(display=screens.display).shown == 1


def test_without_avoid_repeats_picks_are_random_and_never_twice_in_a_row(
    screens: ScreenWorld,
) -> None:
    screens.profile.avoid_repeats = False
    screens.profile.save()
    picks = [pk for pk, _ in walk(screens, 60)]
    assert set(picks) <= {f.pk for f in screens.images}
    assert len(set(picks)) >= len(screens.images) // 2
    assert all(a != b for a, b in itertools.pairwise(picks))
    assert not DisplayRound.objects.filter(display=screens.display).exists()


def test_night_prefers_dark_images_in_a_round_of_their_own(screens: ScreenWorld) -> None:
    profile = screens.profile
    profile.night_mode = DisplayProfile.Night.DARK
    profile.night_start, profile.night_end = dt.time(22, 0), dt.time(7, 0)
    profile.save()
    dark = {f.pk for f in File.objects.filter(pk__in=[f.pk for f in screens.images], is_dark=True)}
    assert 0 < len(dark) < len(screens.images)
    day = walk(screens, 3, local_minutes=12 * 60)
    night = walk(screens, len(dark), local_minutes=23 * 60 + 30)
    assert {pk for pk, _ in night} == dark  # every dark one, once
    more_day = walk(screens, len(screens.images) - 3, local_minutes=9 * 60)
    # The day's round carried on where it was: all images once, over both day walks.
    assert sorted(pk for pk, _ in day + more_day) == sorted(f.pk for f in screens.images)


@pytest.mark.parametrize(
    ("start", "end", "minutes", "night"),
    [
        ((22, 0), (7, 0), 23 * 60, True),
        ((22, 0), (7, 0), 3 * 60, True),
        ((22, 0), (7, 0), 7 * 60, False),
        ((22, 0), (7, 0), 12 * 60, False),
        ((1, 0), (5, 0), 2 * 60, True),
        ((1, 0), (5, 0), 6 * 60, False),
        ((8, 0), (8, 0), 8 * 60, False),
    ],
)
def test_night_hours(
    start: tuple[int, int], end: tuple[int, int], minutes: int, night: bool
) -> None:
    profile = DisplayProfile(night_mode="dim", night_start=dt.time(*start), night_end=dt.time(*end))
    assert is_night(profile, minutes) is night
    profile.night_mode = "off"
    assert is_night(profile, minutes) is False


def test_the_pool_follows_the_profile_query_and_access(screens: ScreenWorld) -> None:
    bob = screens.world.bob
    request = request_as(bob, screens.display.token)
    screens.profile.query = f"folder={screens.folder.pk}&orient=portrait"
    screens.profile.save()
    pool = set(pool_for(request, screens.profile).values_list("id", flat=True))
    assert pool == {f.pk for f in screens.images if f.height > f.width}
    # A folder bob cannot read yields nothing, whatever the query says.
    screens.profile.query = f"folder={screens.world.folders['secret'].pk}"
    assert not pool_for(request_as(bob), screens.profile).exists()
    # Without a folder: every readable, non-NSFW folder, images only (the PNG counts, no video).
    screens.profile.query = "q=shared"
    names = set(pool_for(request_as(bob), screens.profile).values_list("name", flat=True))
    assert names == {"shared-cat.jpg", "shared-dog.jpg"}
    # A malformed saved query shows nothing rather than everything.
    screens.profile.query = "width=abc&q=width:oops"
    assert not pool_for(request_as(bob), screens.profile).exists()


def test_choosing_never_sorts_the_table_randomly(screens: ScreenWorld) -> None:
    request = request_as(screens.world.bob, screens.display.token)
    for avoid in (True, False):
        screens.profile.avoid_repeats = avoid
        with CaptureQueriesContext(connection) as queries:
            for _ in range(5):
                choose_next(screens.display, pool_for(request, screens.profile))
        selects = [q["sql"] for q in queries.captured_queries if "junefs_file" in q["sql"]]
        assert selects
        for sql in selects:
            assert "RAND" not in sql.upper() and "RANDOM()" not in sql.upper()
            assert "LIMIT 1" in sql.upper() and "ORDER BY" in sql.upper()


def test_every_walk_finds_the_same_next_image(screens: ScreenWorld) -> None:
    """The walk per folder, the walk of the whole circle (both with MariaDB's index
    hints) and a plain ordered query agree on the next file after any point."""
    from sequenzia.ads.pool import screen_pool
    from sequenzia.ads.selection import Pool, _first

    make_images(screens.world.folders["shared"], 6, start=300)
    bob = screens.world.bob
    screens.profile.query = ""  # every folder bob reads: several, of several sizes
    pool = screen_pool(request_as(bob), screens.profile)
    assert pool.folders is not None and len(pool.folders) >= 3
    circle = Pool(pool.files, None)
    keys = sorted(pool.files.values_list("shuffle", "id"))
    points = [(0, 0), *keys, (keys[-1][0] + 1, 0)]
    for key, pk in points:
        plain = (
            pool.files.filter(shuffle__gte=key)
            .exclude(shuffle=key, id__lte=pk)
            .order_by("shuffle", "id")
            .first()
        )
        want = plain.pk if plain else None
        for walk in (pool, circle):
            got = _first(walk, after=(key, pk))
            assert (got.pk if got else None) == want, (key, pk, walk.folders)
        below = _first(pool, lowest=key, below=key + 2**20)
        expect = (
            pool.files.filter(shuffle__gte=key, shuffle__lt=key + 2**20)
            .order_by("shuffle", "id")
            .first()
        )
        assert (below.pk if below else None) == (expect.pk if expect else None)


def test_a_pool_that_can_match_nothing_walks_to_nothing(screens: ScreenWorld) -> None:
    from sequenzia.ads.selection import Pool, _first

    folders = frozenset({screens.folder.pk, screens.world.folders["shared"].pk})
    for files in (File.objects.none(), File.objects.filter(channel_id__in=[])):
        for pool in (Pool(files, folders), Pool(files, None), Pool(files, frozenset())):
            assert _first(pool) is None
            assert _first(pool, after=(5, 5)) is None
