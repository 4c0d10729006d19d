"""ADS and DWS (screens and the wallpaper API), under /ads/ and /dws/.

bob owns a profile and a browser display. The ``device`` requester is a
device token made on the account page, paired to no display: it opens no
screen. Screens' own tokens are tested in ``tests/ads``.
"""

from __future__ import annotations

from django.core.cache import cache

from sequenzia.ads.models import Display, DisplayProfile
from sequenzia.ads.views.pairing import pairing_count_key
from tests.web.conftest import World
from tests.web.permission_cases.common import Case, everyone, extra, f, member, url

#: A screen's JSON: the owner's session; nobody gets 401; tokens without a display 404.
SCREEN_JSON = {
    "alice": 404,
    "bob": 200,
    "charlie": 404,
    "anon": 401,
    "token": 404,
    "token_write": 404,
    "device": 404,
}
#: bob's own pages about his profile and display.
BOBS = member(404, 200, 404)
BOBS_POST = member(404, 302, 404)
#: Pages that are the same for everyone, but not for tokens (the TV's page is public).
PUBLIC_PAGE = {**everyone(200), "token": 403, "token_write": 403, "device": 403}


def display_query(w: World) -> str:
    return f"?display={w.extra['bob_display']}"


CASES: list[Case] = [
    Case("ads:home", "get", url("ads:home"), PUBLIC_PAGE),
    Case("ads:screen", "get", url("ads:screen"), PUBLIC_PAGE),
    Case("ads:api_display", "get", lambda w: "/ads/api/display" + display_query(w), SCREEN_JSON),
    Case("ads:api_next", "post", lambda w: "/ads/api/next" + display_query(w), SCREEN_JSON),
    Case(
        "ads:api_item",
        "get",
        lambda w: url("ads:api_item", f("shared"))(w) + display_query(w),
        SCREEN_JSON,
    ),
    # Starting a pairing needs no account (a TV has none); polling needs its secret.
    Case("ads:pair_start", "post", url("ads:pair_start"), everyone(201)),
    Case("ads:pair_poll", "post", url("ads:pair_poll"), everyone(404)),
    Case("ads:pair", "get", url("ads:pair"), member()),
    Case("ads:profile_new", "get", url("ads:profile_new"), member()),
    Case("ads:profile_edit", "get", url("ads:profile_edit", extra("bob_profile")), BOBS),
    Case("ads:display_edit", "get", url("ads:display_edit", extra("bob_display")), BOBS),
    Case("ads:remote", "get", url("ads:remote", extra("bob_display")), BOBS),
    Case(
        "ads:command",
        "post",
        url("ads:command", extra("bob_display")),
        BOBS_POST,
        data=lambda w: {"action": "next"},
    ),
    Case(
        "ads:start",
        "post",
        url("ads:start"),
        BOBS_POST,
        data=lambda w: {"profile": w.extra["bob_profile"]},
    ),
    # Wallpapers take tokens only; bob's API tokens get one from his first profile.
    Case(
        "dws:next",
        "get",
        url("dws:next", query="?w=60&h=40"),
        {**everyone(401), "token": 200, "token_write": 200, "device": 404},
    ),
    # Destructive, last.
    Case("ads:display_revoke", "post", url("ads:display_revoke", extra("bob_display")), BOBS_POST),
    Case("ads:display_delete", "post", url("ads:display_delete", extra("bob_display")), BOBS_POST),
    Case("ads:profile_delete", "post", url("ads:profile_delete", extra("bob_profile")), BOBS_POST),
]


def setup(world: World) -> None:
    profile = DisplayProfile.objects.create(owner=world.bob, name="bob's screens")
    display = Display.objects.create(owner=world.bob, profile=profile, name="bob's laptop")
    world.extra.update(bob_profile=profile.pk, bob_display=display.pk)
    cache.delete(pairing_count_key("127.0.0.1"))  # the counter outlives test databases
