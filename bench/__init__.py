"""Benchmarks. ``make bench`` (python -m bench [NAME...]) runs them all.

Each ``bench/bench_<name>.py`` has ``run(args) -> dict`` returning its
figures; the harness prints them and writes ``bench/out/<name>.json``. Every
benchmark measures its own baseline in the same run and reports ratios,
because this machine is shared and noisy. Results are recorded by hand in
``docs/benchmarks.md``.
"""
