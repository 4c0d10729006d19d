"""The gallery benchmark's data: a million files as people keep them, seeded once.

200 folders (long-tailed sizes) and N files spread over 5 years with bulk
INSERTs, their word index, two users (alice, admin of every folder; bob, a
member who reads 120 folders through a group) and 5,000 favourites for bob.
Kept between runs: :func:`seed` does nothing on a database that has them.
Run inside bench/gallery_work.py's process (Django set up on that database).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

WORDS = (
    "sunset",
    "beach",
    "forest",
    "city",
    "night",
    "street",
    "portrait",
    "cat",
    "dog",
    "mountain",
    "lake",
    "snow",
    "rain",
    "river",
    "bridge",
    "tower",
    "garden",
    "flower",
    "sky",
    "cloud",
    "car",
    "train",
    "boat",
    "festival",
    "concert",
    "food",
    "party",
    "family",
    "friends",
    "wedding",
    "birthday",
    "holiday",
    "summer",
    "winter",
    "autumn",
    "spring",
    "museum",
    "castle",
    "church",
    "market",
    "desert",
    "island",
    "harbour",
    "lighthouse",
    "waterfall",
    "meadow",
    "field",
)
KINDS = [
    ("image", "image/jpeg", "jpg", 0.72),
    ("image", "image/png", "png", 0.13),
    ("video", "video/mp4", "mp4", 0.10),
    ("other", "application/pdf", "pdf", 0.05),
]
DIMS = [
    (1920, 1080),
    (1080, 1920),
    (3840, 2160),
    (4032, 3024),
    (3024, 4032),
    (1280, 720),
    (800, 800),
    (2560, 1440),
    (1080, 1350),
    (6000, 4000),
]
FOLDERS = 200
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)


def seed(rows: int) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.db import connection

    from authware.models import Grant, User
    from junefs.models import Channel, File, Server
    from junefs.words import index_words, joined

    if File.objects.count() >= rows:
        return {"seeded": False, "rows": File.objects.count(), **seed_words()}
    started = time.monotonic()
    File.objects.all().delete()
    server = Server.default()
    classes = ["Photos", "Art", "Memes", "Archive", "Screens"]
    have = Channel.objects.count()
    Channel.objects.bulk_create(
        [
            Channel(
                server=server,
                name=f"folder-{i:03d}",
                class_name=classes[i % 5],
                category=f"cat-{i % 17}",
                nsfw=i % 25 == 0,
            )
            for i in range(have, FOLDERS)
        ]
    )
    channel_ids = list(Channel.objects.order_by("id").values_list("id", flat=True))
    alice, _ = User.objects.get_or_create(username="alice", defaults={"rank": User.Rank.ADMIN})
    bob, _ = User.objects.get_or_create(username="bob")
    members, _ = Group.objects.get_or_create(name="members")
    bob.groups.add(members)
    for channel_id in channel_ids[:120]:
        Grant.objects.get_or_create(channel_id=channel_id, group=members, defaults={"perm": "read"})
    # Folder sizes follow a long tail: a few big folders, many small ones.
    weights = [1 / (i + 1) ** 0.8 for i in range(len(channel_ids))]
    rng = random.Random(42)
    kinds = [k for k in KINDS]
    kind_weights = [k[3] for k in KINDS]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    columns = (
        "channel_id, name, original_name, description, size, sha256, mime, kind, width, height, "
        "orientation, color_r, color_g, color_b, is_dark, preview, preview_note, state, "
        "state_note, backend, part_size, part_count, created_at, uploaded_at, updated_at, "
        "rotation, shuffle, search_words"
    )
    sql = f"INSERT INTO junefs_file ({columns}) VALUES ({', '.join(['%s'] * 28)})"  # noqa: S608
    batch: list[tuple[Any, ...]] = []
    cursor = connection.cursor()
    for n in range(rows):
        kind, mime, ext, _ = rng.choices(kinds, kind_weights)[0]
        created = START + timedelta(seconds=rng.random() * SPAN.total_seconds())
        style = rng.random()
        if style < 0.5:
            name = f"IMG_{created:%Y%m%d}_{n:07d}.{ext}"
        elif style < 0.7:
            name = f"DSC{n:07d}.{ext}"
        elif style < 0.85:
            name = f"screenshot-{created:%Y-%m-%d}-{n}.{ext}"
        else:
            name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{n}.{ext}"
        description = " ".join(rng.sample(WORDS, 3)) if rng.random() < 0.2 else ""
        width, height = rng.choice(DIMS) if kind != "other" else (None, None)
        r, g, b = rng.randrange(256), rng.randrange(256), rng.randrange(256)
        batch.append(
            (
                rng.choices(channel_ids, weights)[0],
                name,
                name,
                description,
                int(rng.lognormvariate(14.5, 1.2)),
                f"{rng.getrandbits(256):064x}",
                mime,
                kind,
                width,
                height,
                1,
                r,
                g,
                b,
                (r * 299 + g * 587 + b * 114) / 1000 < 110,
                "ready" if kind != "other" else "none",
                "",
                "complete",
                "",
                "local",
                9 * 1024 * 1024,
                1,
                created.strftime("%Y-%m-%d %H:%M:%S.%f"),
                now,
                now,
                0,
                rng.getrandbits(31),
                # Written with the row: filled in later, every row would grow and split pages.
                joined(index_words(name, description)),
            )
        )
        if len(batch) == 10_000:
            cursor.executemany(sql, batch)
            batch.clear()
            if n % 100_000 < 10_000:
                print(f"  seeded {n + 1:,} rows", flush=True)
    if batch:
        cursor.executemany(sql, batch)
    cursor.execute("ANALYZE TABLE junefs_file")
    from sequenzia.models import Favourite

    readable = list(
        File.objects.filter(channel_id__in=channel_ids[:120]).values_list("id", flat=True)[:200_000]
    )
    Favourite.objects.bulk_create(
        [Favourite(user=bob, file_id=i) for i in rng.sample(readable, 5000)], ignore_conflicts=True
    )
    _ = alice
    words = seed_words()
    return {
        "seeded": True,
        "rows": rows,
        "seed_seconds": round(time.monotonic() - started, 1),
        **words,
    }


def seed_words() -> dict[str, Any]:
    """The word index of the seeded files (bulk INSERTs, in batches), unless it is there.

    A database seeded by code older than the word index gets it here (its
    migration indexes whatever files exist when it runs, so this only acts
    when files were seeded after it, by such older code)."""
    from django.db import connection

    from junefs.models import File, FileWord
    from junefs.word_index import backfill

    if FileWord.objects.exists() or not File.objects.exists():
        return {}
    started = time.monotonic()
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done += count
        if done % 100_000 < count:
            print(f"  indexed the words of {done:,} files", flush=True)

    _, words = backfill(batch_size=5000, fresh=True, progress=progress)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE junefs_fileword")
    return {
        "word_index_rows": words,
        "word_index_seconds": round(time.monotonic() - started, 1),
    }
