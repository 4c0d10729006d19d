"""Child process of bench_discord: ingest, then the timed upload and download through Discord."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from bench.child import peak_rss_mb, setup_django


def main() -> None:
    args = json.loads(sys.stdin.read())
    setup_django()
    from django.conf import settings

    from junefs.ingest import ingest_path
    from junefs.models import Channel, Server
    from junefs.reader import download_to
    from junefs.upload import upload_file

    server = Server.objects.create(
        name="bench", guild_id=int(args["guild_id"]), parts_channel_ids=args["parts_channels"]
    )
    folder = Channel.objects.create(
        server=server, name="bench", discord_channel_id=int(args["folder_channel"])
    )
    file = ingest_path(args["source"], folder, upload="none").file
    started = time.perf_counter()
    summary = upload_file(file.pk)
    upload_s = time.perf_counter() - started
    assert summary.state == "complete", summary.note
    file.refresh_from_db()
    started = time.perf_counter()
    download_to(file, Path(args["output"]))
    download_s = time.perf_counter() - started
    with open(args["output"], "rb") as handle:
        identical = hashlib.file_digest(handle, "sha256").hexdigest() == file.sha256
    print(
        json.dumps(
            {
                "upload_s": upload_s,
                "download_s": download_s,
                "parts": file.part_count,
                "part_size": file.part_size,
                "concurrency": settings.JUNEFS_UPLOAD_CONCURRENCY,
                "peak_rss_mb": peak_rss_mb(),
                "identical": identical,
            }
        )
    )


if __name__ == "__main__":
    main()
