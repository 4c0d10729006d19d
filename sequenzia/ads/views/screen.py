"""The screen: the TV page, the slideshow page, and the JSON it runs on.

``/ads/`` is where a TV browser is pointed: with nobody signed in it shows
the pairing code (and, once paired, goes on to the slideshow by itself); a
signed-in person gets their profiles and displays instead. ``/ads/screen/``
is the slideshow; it holds no data of its own and asks ``/ads/api/…``, which
answers for the device token or the owner's session (see :mod:`.common`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from authware import access
from sequenzia.ads.fit import clamp_screen
from sequenzia.ads.items import describe
from sequenzia.ads.live import screen_item
from sequenzia.ads.models import Display, DisplayProfile
from sequenzia.ads.pool import screen_pool, sync_token_scope
from sequenzia.ads.selection import report_showing, take_next
from sequenzia.ads.views.common import display_for, int_param, json_error, screen_api

MAX_SIDE = 16384


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A TV's start page (pairing), or a signed-in person's screens."""
    if access.token_of(request) is not None:
        return HttpResponse("Tokens open the screen's API, not pages.", status=403)
    if not request.user.is_authenticated:
        return render(request, "ads/tv.html", {})
    return render(
        request,
        "ads/home.html",
        {
            "profiles": DisplayProfile.objects.filter(owner_id=request.user.pk),
            "displays": Display.objects.filter(owner_id=request.user.pk).select_related(
                "profile", "token", "follow", "current"
            ),
        },
    )


@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The slideshow page: an empty shell that its script fills from ``/ads/api/``."""
    if access.token_of(request) is not None:
        return HttpResponse("Tokens open the screen's API, not pages.", status=403)
    return render(request, "ads/screen.html", {"display": request.GET.get("display", "")})


def _screen_size(request: HttpRequest, display: Display) -> tuple[int, int]:
    """The size the screen reports (device pixels), remembered on the display."""
    width = int_param(request, "w", low=1, high=MAX_SIDE)
    height = int_param(request, "h", low=1, high=MAX_SIDE)
    if width and height and (width, height) != (display.screen_width, display.screen_height):
        Display.objects.filter(pk=display.pk).update(screen_width=width, screen_height=height)
        display.screen_width, display.screen_height = width, height
    return clamp_screen(display.screen_width, display.screen_height)


def _keep_scope(request: HttpRequest, display: Display) -> None:
    """A paired screen's folders follow its profile and the owner's grants."""
    if display.token is not None and display.scope_version != access.request_version(request):
        sync_token_scope(display)


def profile_settings(profile: DisplayProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "interval_ms": profile.interval_ms,
        "transition": profile.transition,
        "fit": profile.fit,
        "show_clock": profile.show_clock,
        "show_date": profile.show_date,
        "show_caption": profile.show_caption,
        "show_qr": profile.show_qr,
        "night_mode": profile.night_mode,
        "night_start": profile.night_start.strftime("%H:%M"),
        "night_end": profile.night_end.strftime("%H:%M"),
        "dim_percent": profile.dim_percent,
    }


def _item(request: HttpRequest, display: Display, file_id: int | None) -> dict[str, Any] | None:
    if file_id is None:
        return None
    return screen_item(display, access.token_of(request), file_id)


@require_GET
@screen_api
def api_display(request: HttpRequest) -> HttpResponse:
    """The screen's settings and what it shows now (for a start, a reload, a reconnect)."""
    display = display_for(request)
    _screen_size(request, display)
    _keep_scope(request, display)
    Display.objects.filter(pk=display.pk).update(last_seen_at=timezone.now())
    return JsonResponse(
        {
            "display": {"id": display.pk, "name": display.name},
            "profile": profile_settings(display.profile),
            "follows": display.follow_id,
            "current": _item(request, display, display.current_id),
            "socket": "/ws/ads/",
            "remote": request.build_absolute_uri(reverse("ads:remote", args=[display.pk])),
        }
    )


def _report_showing(request: HttpRequest, display: Display) -> None:
    """The screen says what it shows (``showing=id``): its current image, if it may read it."""
    file_id = int_param(request, "showing", low=1, high=2**63 - 1)
    if file_id is not None and file_id != display.current_id:
        report_showing(request, display, file_id)


@require_POST
@screen_api
def api_next(request: HttpRequest) -> HttpResponse:
    """Take the display's next image (and remember it as shown)."""
    display = display_for(request)
    screen_size = _screen_size(request, display)
    _keep_scope(request, display)
    if display.follow is not None and display.follow.owner_id == display.owner_id:
        # A mirrored screen shows what the other shows.
        item = _item(request, display, display.follow.current_id)
        if item is not None:
            return JsonResponse({"item": item, "mirror": True})
    _report_showing(request, display)
    minutes = int_param(request, "minutes", low=0, high=1439)
    # Handed over now; it shows when its turn comes (the screen reports it then).
    pick = take_next(display, screen_pool(request, display.profile), local_minutes=minutes)
    if pick is None:
        return JsonResponse(
            {"item": None, "detail": "Nothing to show: this profile matches no image you can read."}
        )
    profile = display.profile
    item = describe(
        request, pick.file, fit_preference=profile.fit, screen=screen_size, qr=profile.show_qr
    )
    return JsonResponse({"item": item, "lane": pick.lane, "new_round": pick.new_round})


@require_GET
@screen_api
def api_item(request: HttpRequest, file_id: int) -> HttpResponse:
    """One image described for this screen (going back, or shown from the remote)."""
    display = display_for(request)
    _screen_size(request, display)
    item = _item(request, display, file_id)
    if item is None:
        return json_error(404, "No such image")
    return JsonResponse({"item": item})
