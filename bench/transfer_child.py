"""Child process of bench_transfer: the timed upload and download."""

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
    from junefs.ingest import ingest_path
    from junefs.models import Channel, Server
    from junefs.reader import download_to

    channel = Channel.objects.create(server=Server.default(), name="bench")
    started = time.perf_counter()
    file = ingest_path(args["source"], channel, upload="inline").file
    upload_s = time.perf_counter() - started
    assert file.state == "complete", file.state_note
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
                "peak_rss_mb": peak_rss_mb(),
                "identical": identical,
            }
        )
    )


if __name__ == "__main__":
    main()
