"""deploy/nginx/ with local values: the shipped site as the tests and benchmarks run it.

No Django here: the CDS benchmark's parent process uses it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shipped(name: str, changes: Iterable[tuple[str, str]]) -> str:
    """A file of deploy/nginx/ with its CHANGE lines replaced (each must still be there)."""
    text = (ROOT / "deploy" / "nginx" / name).read_text()
    for ours_for, ours in changes:
        assert ours_for in text, f"deploy/nginx/{name} changed: {ours_for!r} not found"
        text = text.replace(ours_for, ours)
    return text


def site(
    upstream: str,
    store_dir: Path,
    port: int,
    workdir: Path,
    *,
    fast_path: bool = False,
    decisions_dir: Path | None = None,
) -> str:
    """deploy/nginx/sequenzia.conf in front of ``upstream`` on a loopback ``port``.

    ``fast_path`` turns the option on the way deploy/README.md says: the two
    ``include`` lines marked OPTION, with the shipped snippets written into
    ``workdir`` (their own CHANGE lines pointed at ``decisions_dir``, default
    ``workdir/decisions``, and ``workdir/cds-audit.log``).
    """
    changes = [
        ("server 127.0.0.1:8000;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("alias /srv/sequenzia/data/store/;", f"alias {store_dir}/;"),
    ]
    if fast_path:
        decisions = decisions_dir or workdir / "decisions"
        http_part = workdir / "cds-fast-path-http.conf"
        http_part.write_text(
            shipped(
                "cds-fast-path-http.conf",
                [("proxy_cache_path /run/nginx-sequenzia-cds ", f"proxy_cache_path {decisions} ")],
            )
        )
        server_part = workdir / "cds-fast-path.conf"
        server_part.write_text(
            shipped(
                "cds-fast-path.conf",
                [
                    ("alias /srv/sequenzia/data/store/$", f"alias {store_dir}/$"),
                    ("/var/log/nginx/sequenzia-cds-audit.log", str(workdir / "cds-audit.log")),
                ],
            )
        )
        changes += [
            (
                "# include /etc/nginx/snippets/sequenzia-cds-fast-path-http.conf;",
                f"include {http_part};",
            ),
            (
                "# include /etc/nginx/snippets/sequenzia-cds-fast-path.conf;",
                f"include {server_part};",
            ),
        ]
    return shipped("sequenzia.conf", changes)


def main_conf(
    workdir: Path,
    http_body: str,
    *,
    workers: int = 1,
    connections: int = 1024,
    access_log: str = "off",
    mime_types: bool = True,
) -> str:
    """A whole nginx.conf around ``http_body`` that keeps every file it writes in ``workdir``
    (pid, logs, temp paths), so a test or benchmark nginx needs no write access elsewhere."""
    user = "user root root;" if os.geteuid() == 0 else ""
    temps = "\n".join(
        f"    {name}_temp_path {workdir / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    mime = "    include /etc/nginx/mime.types;\n" if mime_types else ""
    return f"""{user}
worker_processes {workers};
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections {connections}; }}
http {{
{mime}    default_type application/octet-stream;
    access_log {access_log};
{temps}
{http_body}
}}
"""
