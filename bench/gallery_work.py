"""The gallery benchmark's work, in its own process (see bench/bench_gallery.py).

1. Seed (bench/gallery_seed.py): 200 folders and N files over 5 years, two
   users (alice, admin; bob, a member reading 120 folders), 5,000 favourites
   for bob. Kept between runs.
2. Server-side times: each page type through Django's full stack in-process
   (middleware, session, view, query, template), p50/p95 over many requests.
3. EXPLAIN of each page's main query.
4. Throughput: uvicorn with 2 workers, the gallery's first page against a
   trivial view (/healthz), same server, same run, several client processes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import django

from bench.gallery_seed import seed
from tests.processes import free_port


def setup_django(url: str) -> None:
    import MySQLdb

    name = url.rsplit("/", 1)[1]
    conn = MySQLdb.connect(host="127.0.0.1", user="root", port=3306)
    conn.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    conn.close()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def pages(rows: int) -> dict[str, str]:
    """The page types, as URLs. The deep page starts half way down the date order."""
    from junefs.models import File
    from sequenzia.query import GalleryQuery
    from sequenzia.query.paging import encode_cursor

    middle = File.objects.order_by("-created_at", "-id").values("created_at", "id")[rows // 2]
    deep = encode_cursor(GalleryQuery(), 0, (middle["created_at"], middle["id"]))
    # Half way round the shuffled order (keys are 31-bit; the seed starts near 0).
    random_deep = encode_cursor(GalleryQuery(sort="random", seed=12345), 0, (2**30, 0))
    return {
        "first page": "/",
        "folder page": "/?folder=5",
        "filtered page": "/?type=image&orient=landscape&min_width=1920&days=730",
        "deep keyset page": f"/?after={deep}",
        "search (word)": "/?q=sunset",
        "search (prefix)": "/?q=su",
        "search (two words)": "/?q=sunset+beach",
        "search (word), by name": "/?q=sunset&sort=name",
        "search (word), random": "/?q=sunset&sort=random&seed=12345",
        "search (syntax)": "/?q=ext:png+width:>=2000+date:2023..",
        "random sort": "/?sort=random&seed=12345",
        "random sort, deep": f"/?sort=random&seed=12345&after={random_deep}",
        "favourites": "/favourites/",
    }


def time_pages(urls: dict[str, str], who: str, repeat: int) -> dict[str, dict[str, float]]:
    from django.test import Client

    from authware.models import User

    client = Client()
    client.force_login(User.objects.get(username=who))
    # Round robin over the page types, so a burst of load from elsewhere on this
    # shared machine hits every page type alike instead of one of them.
    times: dict[str, list[float]] = {label: [] for label in urls}
    cpu: dict[str, list[float]] = {label: [] for label in urls}
    for url in urls.values():
        for _ in range(3):
            assert client.get(url).status_code == 200, url
    for _ in range(repeat):
        for label, url in urls.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            times[label].append((time.perf_counter() - started) * 1000)
            cpu[label].append((time.process_time() - cpu_started) * 1000)
            assert response.status_code == 200
    results = {}
    for label, values in times.items():
        values.sort()
        results[label] = {
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[int(len(values) * 0.95) - 1], 1),
            # This process's CPU per request (not the database's): steadier than
            # wall time when other work shares the machine.
            "cpu_p50_ms": round(statistics.median(cpu[label]), 1),
        }
        print(
            f"  {who:5s} {label:20s} p50 {results[label]['p50_ms']:6.1f} ms  "
            f"p95 {results[label]['p95_ms']:6.1f} ms  "
            f"(web CPU p50 {results[label]['cpu_p50_ms']:5.1f} ms)",
            flush=True,
        )
    return results


def shorten(sql: str) -> str:
    """The SQL with its column list and long id lists folded, for reading."""
    import re

    sql = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", sql, count=1)
    sql = sql.replace("\U0010ffff", "\\U0010ffff")  # the top of a prefix range, made visible
    sql = re.sub(
        r"IN \(((?:\d+, ){8,}\d+)\)",
        lambda m: f"IN (…{m.group(1).count(',') + 1} ids…)",
        sql,
    )
    return sql


def _main_query(sql: str) -> bool:
    """A page's query, a word-index scan in date order, or a page's check by id."""
    if sql.startswith("SELECT `junefs_fileword`.`created_at`") and "ORDER BY" in sql:
        return True
    if "FROM `junefs_file`" not in sql:
        return False
    return "LIMIT" in sql or ("`junefs_file`.`id` IN (" in sql and "ORDER BY" not in sql)


def explain(urls: dict[str, str], who: str) -> str:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from authware.models import User

    client = Client()
    client.force_login(User.objects.get(username=who))
    out = []
    for label, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        main = [q["sql"] for q in ctx.captured_queries if _main_query(q["sql"])]
        with connection.cursor() as cursor:
            for sql in main:
                cursor.execute("EXPLAIN " + sql)
                names = [c[0] for c in cursor.description]
                plan = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
                out.append(f"#### {label} ({who}): `{url[:90]}`\n")
                short = shorten(sql)
                out.append(f"```sql\n{short}\n```\n")
                out.append("| table | type | key | rows | Extra |\n|---|---|---|---|---|")
                for row in plan:
                    cells = [row[k] for k in ("table", "type", "key", "rows", "Extra")]
                    out.append("| " + " | ".join(str(c) for c in cells) + " |")
                out.append("")
    return "\n".join(out)


def _hammer(args: tuple[str, str, float]) -> int:
    import httpx

    url, cookie, seconds = args
    done = 0
    with httpx.Client(cookies={"sessionid": cookie}, timeout=30) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            done += 1
    return done


SERVERS = {
    # What `make run` serves: uvicorn through sequenzia.webserver (TCP_NODELAY
    # on each connection; plain `uvicorn --workers` stalls 40 ms a request).
    "asgi": [],
    # The same Django project as WSGI workers (HTTP only; websockets stay on ASGI).
    "wsgi": ["--wsgi"],
}


def throughput(app: list[str], seconds: float = 10.0, clients: int = 6) -> dict[str, float]:
    from django.test import Client

    from authware.models import User

    session = Client()
    session.force_login(User.objects.get(username="bob"))
    cookie = session.cookies["sessionid"].value
    port = free_port()
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sequenzia.webserver",
            *app,
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        figures = {}
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            for label, path in (("trivial view", "/healthz"), ("gallery first page", "/")):
                pool.map(_hammer, [(base + path, cookie, 1.0)] * clients)  # warm up
                started = time.monotonic()
                counts = pool.map(_hammer, [(base + path, cookie, seconds)] * clients)
                figures[label] = round(sum(counts) / (time.monotonic() - started), 1)
                print(f"  {label}: {figures[label]} requests/s", flush=True)
        figures["ratio"] = round(figures["gallery first page"] / figures["trivial view"], 3)
        return figures
    finally:
        server.terminate()
        server.wait(timeout=20)


BUFFER_POOL = 2 * 1024**3


def server_facts() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
        version, pool = cursor.fetchone()
    return {
        "mariadb": version,
        "innodb_buffer_pool_mb": int(pool) // 1024**2,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }


def set_buffer_pool(size: int) -> int:
    """Size InnoDB's buffer pool (a server-wide, dynamic setting); returns the old size.

    MariaDB's default of 128 MiB holds a tenth of this table and its indexes, so
    every page would be a disk read; a server for a million files is given
    enough memory to hold them. The benchmark restores the old size when done.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT @@innodb_buffer_pool_size")
        old = int(cursor.fetchone()[0])
        cursor.execute("SET GLOBAL innodb_buffer_pool_size = %s", [size])
    time.sleep(2)  # the resize runs in the background
    return old


def warm(rows: int) -> None:
    """Read the table and the gallery's indexes once, as a running server would have."""
    from django.db import connection

    with connection.cursor() as cursor:
        for index in ("PRIMARY", "file_date", "file_channel_date", "file_shuffle", "file_name"):
            cursor.execute(f"SELECT COUNT(*) FROM junefs_file FORCE INDEX ({index})")  # noqa: S608
            cursor.fetchall()
        for index in ("fileword_word_date", "fileword_file_word"):
            cursor.execute(f"SELECT COUNT(*) FROM junefs_fileword FORCE INDEX ({index})")  # noqa: S608
            cursor.fetchall()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=100)
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
    warm(args.rows)
    figures: dict[str, Any] = {"server": server_facts()}
    urls = pages(args.rows)
    figures["member (bob, 120 of 200 folders)"] = time_pages(urls, "bob", args.repeat)
    figures["admin (alice, every folder)"] = time_pages(
        {k: v for k, v in urls.items() if k != "favourites"}, "alice", args.repeat
    )
    plans = explain(urls, "bob") + "\n" + explain({"first page": "/"}, "alice")
    (args.out.parent / "gallery-explain.md").write_text(plans)
    for name, app in SERVERS.items():
        print(f"  throughput, uvicorn {name}, 2 workers:", flush=True)
        figures[f"throughput (uvicorn {name}, 2 workers)"] = throughput(app)
    return figures


if __name__ == "__main__":
    sys.exit(main())
