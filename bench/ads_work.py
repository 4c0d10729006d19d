"""The ADS benchmark's work, in its own process (see bench/bench_ads.py).

For bob (a member reading 120 of 200 folders) on the gallery benchmark's
million files: the server time to choose a screen's next image — the pick
on the shuffle circle and the history it writes — for profiles with filters
and no-repeat rounds, p50/p95 over many picks; and the same through the
screen's whole request (``POST /ads/api/next`` with a device token: auth,
the token's folder scope, the pick, the history, the signed rendition URL).
The baseline, measured in the same run, is a plain indexed lookup: one file
by primary key.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.gallery_work import BUFFER_POOL, seed, server_facts, set_buffer_pool, setup_django, warm

PICKS = 400


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(values[int(len(values) * 0.95) - 1], 2),
    }


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def profiles(bob: Any) -> dict[str, str]:
    from authware import access
    from junefs.models import Channel

    readable = sorted(access.channel_ids_for_user(bob) or [])
    folders = Channel.objects.filter(pk__in=readable, nsfw=False).order_by("id")
    big = [c.pk for c in folders[:5]]
    small = [folders.reverse()[0].pk]  # the long tail's end: a small folder
    return {
        "five folders, landscape images ≥ 1920 wide": (
            "&".join(f"folder={f}" for f in big) + "&type=image&orient=landscape&min_width=1920"
        ),
        "every readable folder, portrait": "orient=portrait",
        "every readable folder, search word": "q=sunset",
        "one small folder, ≥ 2000 wide": f"folder={small[0]}&min_width=2000",
        "all readable, dark, ratio 1.3..1.8": "tone=dark&ratio_min=1.3&ratio_max=1.8",
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    setup_django(os.environ["DATABASE_URL"])
    print("seeding (kept between runs)…", flush=True)
    figures: dict[str, Any] = {"seed": seed(args.rows)}
    old_pool = set_buffer_pool(BUFFER_POOL)
    try:
        figures.update(measure(args))
    finally:
        set_buffer_pool(old_pool)
    args.out.write_text(json.dumps(figures, indent=2))
    return 0


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from authware.models import User
    from junefs.models import File
    from sequenzia.ads.models import Display, DisplayProfile, DisplayRound
    from sequenzia.ads.pairing import approve, claim, start
    from sequenzia.ads.pool import pool_for, request_as, screen_pool
    from sequenzia.ads.selection import take_next

    warm(args.rows)
    figures: dict[str, Any] = {"server": server_facts(), "picks_per_case": PICKS}
    bob = User.objects.get(username="bob")
    top = File.objects.order_by("-id").values_list("id", flat=True).first() or 1

    def lookup() -> None:
        File.objects.filter(pk=random.randint(1, top)).only("id", "name").first()

    base = percentiles(timed(lookup, PICKS * 2))
    figures["baseline: one file by primary key"] = base
    print(f"  baseline lookup          p50 {base['p50_ms']:6.2f} ms  p95 {base['p95_ms']:6.2f}")

    DisplayProfile.objects.filter(owner=bob, name__startswith="bench ").delete()
    cases: dict[str, Any] = {}
    for label, query in profiles(bob).items():
        profile = DisplayProfile.objects.create(owner=bob, name=f"bench {label}"[:60], query=query)
        pairing = start()
        approve(pairing.pairing.code, bob, profile, "bench TV")
        paired = claim(pairing.secret)
        display = Display.objects.select_related("profile", "token").get(pk=paired.display.pk)
        request = request_as(bob, display.token)
        pool_size = pool_for(request, profile).count()

        def pick(display: Display = display) -> None:
            # A fresh request each time, as a screen's would be (access read anew).
            fresh = request_as(bob, display.token)
            found = take_next(display, screen_pool(fresh, display.profile))
            assert found is not None

        choose = percentiles(timed(pick, PICKS))
        tv = Client(HTTP_AUTHORIZATION=f"Bearer {paired.token}")

        def whole_request(tv: Client = tv) -> None:
            response = tv.post("/ads/api/next", {"w": 3840, "h": 2160, "minutes": 720})
            assert response.status_code == 200 and response.json()["item"], response.content

        request_times = percentiles(timed(whole_request, PICKS))
        rounds = DisplayRound.objects.get(display=display, lane="all")
        cases[label] = {
            "query": query,
            "pool": pool_size,
            "choose (pick + history)": choose,
            "whole request POST /ads/api/next": request_times,
            "ratio p50 to baseline": round(choose["p50_ms"] / base["p50_ms"], 1),
            "shown in round": rounds.shown,
        }
        print(
            f"  {label:48s} pool {pool_size:>7,}  choose p50 {choose['p50_ms']:6.2f} "
            f"p95 {choose['p95_ms']:6.2f}  request p50 {request_times['p50_ms']:6.2f} "
            f"p95 {request_times['p95_ms']:6.2f} ms",
            flush=True,
        )
        with connection.cursor() as cursor:
            sql, params = (
                pool_for(request, profile)
                .filter(shuffle__gte=2**30)
                .only("id")
                .order_by("shuffle", "id")[:1]
                .query.sql_with_params()
            )
            cursor.execute("EXPLAIN " + sql, params)
            names = [c[0] for c in cursor.description]
            cases[label]["explain"] = [
                {
                    k: v
                    for k, v in zip(names, row, strict=True)
                    if k in ("type", "key", "rows", "Extra")
                }
                for row in cursor.fetchall()
            ]
    figures["profiles"] = cases
    DisplayProfile.objects.filter(owner=bob, name__startswith="bench ").delete()
    return figures


if __name__ == "__main__":
    sys.exit(main())
