"""python -m bench [NAME ...] [--quick]: run benchmarks and print their figures."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(HERE)])
        if m.name.startswith("bench_")
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"any of: {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequenzia.settings")
    names = args.names or available()
    unknown = set(names) - set(available())
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    failed = False
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"\n===== bench: {name} =====", flush=True)
        started = time.monotonic()
        try:
            figures = module.run(args)
        except Exception as exc:  # one broken benchmark must not hide the others
            print(f"FAILED: {exc!r}")
            failed = True
            continue
        figures["_seconds"] = round(time.monotonic() - started, 1)
        (out / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
        for key, value in figures.items():
            print(f"  {key}: {value}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
