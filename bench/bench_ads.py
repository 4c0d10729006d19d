"""ADS on MariaDB with 1,000,000 files: server time to choose a screen's next image.

Shares the gallery benchmark's seeded database (``BENCH_GALLERY_DATABASE_URL``,
default ``mysql://root@127.0.0.1:3306/seq_bench_web``; seeded on first use and
kept) and runs in a child process (``python -m bench.ads_work``) for the same
reason. ``--quick`` uses the 50,000-row database. Do not run it while another
benchmark seeds that database.
"""

from __future__ import annotations

import argparse

from bench.bench_gallery import run_on_gallery_database


def run(args: argparse.Namespace) -> dict[str, object]:
    return run_on_gallery_database(args, "bench.ads_work", "ads")
