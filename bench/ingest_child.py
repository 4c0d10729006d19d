"""Child process of bench_ingest: naive baseline and real ingest, pinned to one core."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bench.child import setup_django


def main() -> None:
    args = json.loads(sys.stdin.read())
    photos = [Path(p) for p in args["photos"]]
    cpu = sorted(os.sched_getaffinity(0))[-1]
    os.sched_setaffinity(0, {cpu})
    setup_django()
    from bench.bench_ingest import naive_thumbnail
    from junefs.ingest import ingest_path
    from junefs.models import Channel, Server

    channel = Channel.objects.create(server=Server.default(), name="bench")
    half = len(photos) // 2
    naive_s = 0.0
    ingest_s = 0.0
    # Alternate halves (naive, ingest, naive, ingest) so machine noise hits both alike.
    for batch in (photos[:half], photos[half:]):
        started = time.perf_counter()
        for path in batch:
            naive_thumbnail(path)
        naive_s += time.perf_counter() - started
        started = time.perf_counter()
        for path in batch:
            result = ingest_path(path, channel, upload="none")
            assert result.file.preview == "ready" and not result.duplicate
        ingest_s += time.perf_counter() - started
    print(
        json.dumps(
            {
                "naive_files_per_s": len(photos) / naive_s,
                "ingest_files_per_s": len(photos) / ingest_s,
                "cpu": cpu,
            }
        )
    )


if __name__ == "__main__":
    main()
