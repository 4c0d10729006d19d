"""Issue 2, benchmark 2: ingest throughput on photo-like 12-megapixel JPEGs, one core.

Each file goes through the real ingest (receive + hash, sniff, probe with
reduced-scale decode, colour, perceptual hash, WebP thumbnail, record in the
database). The baseline, in the same process and run, is the naive way:
full decode, then thumbnail, then WebP encode. Both are pinned to one core.
Targets: >= 2.5x the naive baseline and >= 20 files/s per core.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from bench.child import run_child


def make_photos(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """Photo-like 4000x3000 JPEGs: smooth gradients plus mild noise, each different."""
    from tests.media import photo_like

    rng = random.Random(seed)
    bases = [photo_like(4000, 3000, seed=s) for s in range(4)]
    paths = []
    for i in range(count):
        image = bases[i % len(bases)].copy()
        draw = ImageDraw.Draw(image)
        for _ in range(6):  # a few soft shapes make every file (and its hash) unique
            x, y = rng.randrange(3600), rng.randrange(2600)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.ellipse(
                (x, y, x + rng.randrange(80, 400), y + rng.randrange(80, 400)), fill=colour
            )
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=rng.choice((85, 90, 92)))
        path = folder / f"photo-{i:04d}.jpg"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def run(args: argparse.Namespace) -> dict[str, object]:
    count = 30 if args.quick else 200
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        photos = make_photos(work, count)
        mean_size = sum(p.stat().st_size for p in photos) / len(photos)
        result = run_child(
            "bench.ingest_child", work / "data", {"photos": [str(p) for p in photos]}
        )
        ingest_fps = float(result["ingest_files_per_s"])  # type: ignore[arg-type]
        naive_fps = float(result["naive_files_per_s"])  # type: ignore[arg-type]
        return {
            "files": count,
            "megapixels": 12,
            "mean_file_MB": round(mean_size / 1e6, 2),
            "naive_files_per_s": round(naive_fps, 1),
            "ingest_files_per_s_one_core": round(ingest_fps, 1),
            "ratio_to_naive": round(ingest_fps / naive_fps, 2),
            "cpu": result["cpu"],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def naive_thumbnail(path: Path) -> bytes:
    with Image.open(path) as image:
        image.load()  # full decode
        image.thumbnail((512, 512))
        buffer = io.BytesIO()
        image.save(buffer, "WEBP")
        return buffer.getvalue()
