"""CDS (the content server), under /cds/: bytes follow the folder grants."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import World
from tests.web.permission_cases.common import (
    Case,
    everyone,
    extra,
    f,
    readers_of_shared,
    sha,
    url,
    username,
)


def const(value: object) -> Callable[[World], object]:
    return lambda w: value


def share_path(w: World) -> str:
    from cds.sharing import url_for

    return url_for(w.extra["share_link"])


CASES: list[Case] = [
    Case("cds:file", "get", url("cds:file", f("shared")), readers_of_shared()),
    Case(
        "cds:file-named",
        "get",
        url("cds:file-named", f("shared"), username("cat.jpg")),
        readers_of_shared(),
    ),
    Case(
        "cds:file-named",
        "get",
        url("cds:file-named", f("secret"), username("x.jpg")),
        {**everyone(404), "alice": 200},
    ),
    Case("cds:thumbnail", "get", url("cds:thumbnail", f("shared")), readers_of_shared()),
    Case("cds:thumbnail", "get", url("cds:thumbnail", f("photo")), {**everyone(404), "alice": 200}),
    Case("cds:hash", "get", url("cds:hash", sha("shared")), readers_of_shared()),
    Case("cds:hash", "get", url("cds:hash", sha("secret")), {**everyone(404), "alice": 200}),
    # A rendition follows its file's folder; the other kinds and bad boxes answer alike.
    Case(
        "cds:rendition",
        "get",
        url("cds:rendition", f("shared"), const(1920), const(1080), const("webp")),
        readers_of_shared(),
    ),
    Case(
        "cds:rendition",
        "head",
        url("cds:rendition", f("png"), const(640), const(360), const("jpg")),
        readers_of_shared(),
    ),
    Case(
        "cds:rendition",
        "get",
        url("cds:rendition", f("secret"), const(640), const(360), const("webp")),
        {**everyone(404), "alice": 200},
    ),
    Case(
        "cds:rendition",
        "get",
        url("cds:rendition", f("shared"), const(8000), const(1080), const("webp")),
        everyone(400),
    ),
    # A share link is the access: it works for anyone holding it.
    Case("cds:share", "get", share_path, everyone(200)),
    Case("cds:health", "get", url("cds:health"), everyone(200)),
    # Making a file public takes write access to its folder.
    Case(
        "cds:create-share",
        "post",
        url("cds:create-share", f("upload2")),
        {**everyone(404), "alice": 201, "bob": 201, "token_write": 201},
    ),
    Case(
        "cds:create-share",
        "post",
        url("cds:create-share", f("shared")),
        {**everyone(404), "alice": 201},
    ),
    Case(
        "cds:revoke-share",
        "post",
        url("cds:revoke-share", extra("share_link_id")),
        {**everyone(404), "alice": 200, "bob": 200, "token_write": 200},
    ),
]


def setup(world: World) -> None:
    from cds.sharing import create_share_link

    shared = create_share_link(world.files["shared"], created_by=world.alice)
    revocable = create_share_link(world.files["upload2"], created_by=world.bob)
    world.extra.update(share_link=shared, share_link_id=revocable.pk)
