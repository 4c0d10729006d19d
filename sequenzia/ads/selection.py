"""Choosing a screen's next image: a walk round the shuffle circle, never ORDER BY RAND().

Every file has ``File.shuffle``, a random 31-bit key with an index on
``(shuffle, id)``. A display's round starts at a random point of that circle
and walks up it in key order, one image per step, wraps past the top to 0
and ends when it comes back to its start: by then it has shown every image of
the pool once, in an order no one chose. Each step is one indexed range scan
that stops at its first match (``LIMIT 1``), so the cost does not grow with
the library. A new round starts at a new random point.

Images added during a round are shown in it when they fall ahead of the
cursor, else in the next one; a changed profile starts a new round.
Without ``avoid_repeats`` each pick is a random point of the circle.

Night mode's "prefer dark images" walks its own round over the dark images
of the pool (lane ``dark``), so the day's round carries on where it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from authware import access
from junefs.models import File
from sequenzia.ads.models import Display, DisplayHistory, DisplayProfile, DisplayRound

#: ``File.shuffle`` holds 31 random bits.
CIRCLE = 2**31
#: Rows of history kept per display (for Back on the screen, and for people).
HISTORY_KEEP = 200
#: The columns a screen needs of a file (the rest stays in the database).
COLUMNS = (
    "id",
    "name",
    "channel_id",
    "width",
    "height",
    "color_r",
    "color_g",
    "color_b",
    "is_dark",
    "shuffle",
    "sha256",
    "created_at",
    "rotation",
    "kind",
    "mime",
)


@dataclass(frozen=True)
class Pick:
    file: File
    lane: str
    #: This pick began a new round (every image of the pool had been shown).
    new_round: bool = False


def is_night(profile: DisplayProfile, local_minutes: int | None) -> bool:
    """Whether ``local_minutes`` (since the screen's midnight) fall in the night hours."""
    if profile.night_mode == DisplayProfile.Night.OFF or local_minutes is None:
        return False
    start = profile.night_start.hour * 60 + profile.night_start.minute
    end = profile.night_end.hour * 60 + profile.night_end.minute
    if start == end:
        return False
    if start < end:
        return start <= local_minutes < end
    return local_minutes >= start or local_minutes < end  # across midnight


@dataclass(frozen=True)
class Pool:
    """The images to choose from, and (when known) the folders they are in."""

    files: QuerySet[File]
    folders: frozenset[int] | None = None

    def narrowed(self, **filters: object) -> Pool:
        return Pool(self.files.filter(**filters), self.folders)


#: A pool in at most this many folders is walked folder by folder (see :func:`_per_folder`).
PER_FOLDER_MAX = 8


def _first(
    pool: Pool,
    *,
    after: tuple[int, int] | None = None,
    lowest: int = 0,
    below: int | None = None,
) -> File | None:
    """The first file of the pool on the circle after ``after`` (or from ``lowest``)."""
    qs = pool.files
    if after is not None:
        key, pk = after
        qs = qs.filter(shuffle__gte=key).filter(Q(shuffle__gt=key) | Q(id__gt=pk))
    elif lowest:
        qs = qs.filter(shuffle__gte=lowest)
    if below is not None:
        qs = qs.filter(shuffle__lt=below)
    qs = qs.only(*COLUMNS).order_by("shuffle", "id")
    if connection.vendor != "mysql":
        return qs.first()  # SQLite and PostgreSQL plan these well unaided
    if pool.folders is not None and len(pool.folders) <= PER_FOLDER_MAX:
        return _per_folder(qs, sorted(pool.folders))
    return _hinted_first(qs[:1], "file_shuffle")


def _hinted_sql(qs: QuerySet[File], index: str) -> tuple[str, list[object]] | None:
    """The query's SQL made to walk ``index``; None when it can match nothing.

    MariaDB plans a walk by weighing every index that starts with
    ``channel_id`` against the folder list (often a hundred ids), which costs
    more than the walk itself (~0.8 of 1.6 ms on a million files), and with
    a few folders it may sort them all rather than walk. The walk wanted is
    known, so the query names its index (``FORCE INDEX``).
    """
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # qs.none(), an empty folder list
        return None
    table = connection.ops.quote_name(File._meta.db_table)
    return sql.replace(f"FROM {table}", f"FROM {table} FORCE INDEX ({index})", 1), list(params)


def _one(sql: str, params: list[object]) -> File | None:
    rows = list(File.objects.raw(sql, params))
    return rows[0] if rows else None


def _hinted_first(qs: QuerySet[File], index: str) -> File | None:
    compiled = _hinted_sql(qs, index)
    return _one(*compiled) if compiled is not None else None


#: Stands for the folder id in the one compiled per-folder query (never a real id).
_FOLDER_SLOT = -(2**62) + 12345


def _per_folder(qs: QuerySet[File], folders: list[int]) -> File | None:
    """A walk in each folder (``file_channel_shuffle``), the first of their firsts.

    For a pool in a few folders, small ones above all, walking the whole
    circle would pass every other folder's files; one short walk per folder
    finds the same next file in a few index dives. The walk is compiled once
    (compiling is most of the cost) and repeated per folder in one statement.
    """
    if not folders:
        return None
    compiled = _hinted_sql(qs.filter(channel_id=_FOLDER_SLOT)[:1], "file_channel_shuffle")
    if compiled is None:
        return None
    sql, params = compiled
    slots = [i for i, value in enumerate(params) if value == _FOLDER_SLOT]
    assert len(slots) == 1, "the folder slot must appear exactly once"
    union = " UNION ALL ".join(f"({sql})" for _ in folders)
    all_params: list[object] = []
    for folder in folders:
        all_params.extend(folder if i == slots[0] else value for i, value in enumerate(params))
    walk = f"SELECT * FROM ({union}) AS walk ORDER BY shuffle, id LIMIT 1"  # noqa: S608
    return _one(walk, all_params)


def _step(pool: Pool, state: DisplayRound) -> File | None:
    """The next file of this round, or None when the round is complete."""
    cursor = None
    if state.cursor_shuffle is not None and state.cursor_id is not None:
        cursor = (state.cursor_shuffle, state.cursor_id)
    if not state.wrapped:
        found = _first(pool, after=cursor, lowest=state.start)
        if found is not None:
            return found
        state.wrapped, cursor = True, None
        state.cursor_shuffle = state.cursor_id = None
    return _first(pool, after=cursor, below=state.start)


def random_point() -> int:
    return random.randrange(CIRCLE)


def pick_random(pool: Pool, *, avoid: int | None = None) -> File | None:
    """Any one file of the pool: the first after a random point of the circle.

    Two index dives at most, whatever the size of the library. (Each file's
    chance is the gap before it on the circle: random, not exactly equal.)
    The file to ``avoid`` (the one on screen) gives way to the one after it.
    """
    found = _first(pool, lowest=random_point()) or _first(pool)
    if found is not None and found.pk == avoid:
        found = _first(pool, after=(found.shuffle, found.pk)) or _first(pool) or found
    return found


def _expired(state: DisplayRound, profile: DisplayProfile, now: dt.datetime) -> bool:
    return bool(profile.repeat_days) and state.started_at < now - dt.timedelta(
        days=profile.repeat_days
    )


def _restart(state: DisplayRound, now: dt.datetime) -> None:
    state.start = random_point()
    state.wrapped = False
    state.cursor_shuffle = state.cursor_id = None
    state.started_at = now
    state.shown = 0


def _first_round(display: Display, lane: str, now: dt.datetime) -> DisplayRound:
    """The display's first round in ``lane`` (made once, even by two requests at once)."""
    # A savepoint inside, so a lost race rolls back that alone, not the caller's transaction.
    with contextlib.suppress(IntegrityError), transaction.atomic():
        DisplayRound.objects.create(
            display=display, lane=lane, start=random_point(), started_at=now
        )
    return DisplayRound.objects.select_for_update().get(display=display, lane=lane)


def walk_round(
    display: Display, pool: Pool, lane: str, *, now: dt.datetime | None = None
) -> Pick | None:
    """Take the next image of the display's round in ``lane``; None when the pool is empty."""
    now = now or timezone.now()
    profile = display.profile
    # Joins a caller's transaction (see :func:`take_next`) rather than nesting one.
    with transaction.atomic(savepoint=False):
        # One step at a time per display, even with two tabs or a retried request.
        state = DisplayRound.objects.select_for_update().filter(display=display, lane=lane).first()
        new_round = state is None
        # What the screen shows now, and what it was last handed (it may be
        # waiting, decoded, for its turn): a new round opens with neither.
        recent = {display.current_id, state.cursor_id if state else None} - {None}
        if state is None:
            state = _first_round(display, lane, now)
        elif _expired(state, profile, now):
            _restart(state, now)
            new_round = True
        found = _step(pool, state)
        if found is None and not new_round:
            # Every image of the pool was shown: a new round, from a new point.
            _restart(state, now)
            new_round = True
            found = _step(pool, state)
        if new_round and found is not None and found.pk in recent:
            # The new round would open with an image just seen: begin it just
            # after that image instead, so it comes last in the round, not twice now.
            state.start = (found.shuffle + 1) % CIRCLE
            found = _step(pool, state)
        if found is None:
            return None
        state.cursor_shuffle, state.cursor_id = found.shuffle, found.pk
        state.shown += 1
        state.save()
    return Pick(found, lane, new_round)


def choose_next(
    display: Display,
    pool: QuerySet[File] | Pool,
    *,
    local_minutes: int | None = None,
    now: dt.datetime | None = None,
) -> Pick | None:
    """The display's next image under its profile's rules (night mode, repeats)."""
    if not isinstance(pool, Pool):
        pool = Pool(pool)
    profile = display.profile
    lanes: list[tuple[str, Pool]] = []
    if profile.night_mode == DisplayProfile.Night.DARK and is_night(profile, local_minutes):
        lanes.append((DisplayRound.Lane.DARK, pool.narrowed(is_dark=True)))
    lanes.append((DisplayRound.Lane.ALL, pool))
    for lane, lane_pool in lanes:
        if profile.avoid_repeats:
            pick = walk_round(display, lane_pool, lane, now=now)
        else:
            found = pick_random(lane_pool, avoid=display.current_id)
            pick = Pick(found, lane) if found is not None else None
        if pick is not None:
            return pick
    return None


def record_pick(display: Display, file: File, *, now: dt.datetime | None = None) -> None:
    """A line of the display's history: ``file`` was handed to it (kept short)."""
    entry = DisplayHistory.objects.create(
        display=display, file=file, shown_at=now or timezone.now()
    )
    if entry.pk % 50 == 0:  # trim now and then, not on every step
        cutoff = (
            DisplayHistory.objects.filter(display=display)
            .order_by("-id")
            .values_list("id", flat=True)[HISTORY_KEEP : HISTORY_KEEP + 1]
        )
        if cutoff:
            DisplayHistory.objects.filter(display=display, id__lte=cutoff[0]).delete()


def set_current(display: Display, file: File | None, *, now: dt.datetime | None = None) -> None:
    """The display has ``file`` on its screen now (what mirrors and remotes follow)."""
    now = now or timezone.now()
    Display.objects.filter(pk=display.pk).update(current=file, last_seen_at=now)
    display.current, display.last_seen_at = file, now


def report_showing(request: HttpRequest, display: Display, file_id: int) -> File | None:
    """The screen says it shows ``file_id``: now its current image, if the screen may
    read it (the file, or None when it may not: a screen only reports what it may read)."""
    try:
        file = access.get_file_for(request, file_id)
    except Http404:
        return None
    if file.pk != display.current_id:
        set_current(display, file)
    return file


def record_shown(display: Display, file: File, *, now: dt.datetime | None = None) -> None:
    """Handed and shown at once (a wallpaper client): history, and the current image."""
    now = now or timezone.now()
    record_pick(display, file, now=now)
    set_current(display, file, now=now)


def take_next(
    display: Display,
    pool: QuerySet[File] | Pool,
    *,
    local_minutes: int | None = None,
    shown_now: bool = False,
) -> Pick | None:
    """Choose the next image and write it down, in one transaction (one commit).

    ``shown_now``: the client shows it at once (a wallpaper), so it is also
    the display's current image; a screen says so itself when it shows it.
    """
    with transaction.atomic():
        pick = choose_next(display, pool, local_minutes=local_minutes)
        if pick is not None:
            (record_shown if shown_now else record_pick)(display, pick.file)
    return pick


def reset_rounds(profile: DisplayProfile) -> None:
    """The profile changed: its displays start new rounds over the new pool."""
    DisplayRound.objects.filter(display__profile=profile).delete()
