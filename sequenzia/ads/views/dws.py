"""DWS, the wallpaper API: ``GET /dws/next?w=2560&h=1440&profile=NAME``.

For desktops and phones, with an API or device token (``Authorization:
Bearer``). The answer is JSON — a signed image URL sized for that screen,
the file page, its colour and name — or, with ``redirect=1``, a redirect to
the image itself, so ``curl -L`` or a phone automation gets the picture in
one call; ``format=jpg`` for setters that cannot read WebP. The screen's
size decides the orientation and the least size of the images (one that
covers it scaled up by at most ``DWS_MAX_UPSCALE``); the profile's folders
and filters, and its no-repeat rounds, are ADS's. Each token has its own
history per profile (a display of its own).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

from authware import access
from authware.models import Token
from sequenzia.ads.fit import clamp_screen, wallpaper_limits
from sequenzia.ads.items import describe
from sequenzia.ads.models import Display, DisplayProfile
from sequenzia.ads.pool import screen_pool
from sequenzia.ads.selection import take_next
from sequenzia.ads.views.common import int_param, json_error

DOCS = "see README: DWS"


def _wallpaper_display(token: Token, profile: DisplayProfile) -> Display:
    """The history DWS keeps for this token and profile (made on first use)."""
    display = Display.objects.filter(api_token=token, profile=profile).first()
    if display is not None:
        return display
    try:
        return Display.objects.create(
            owner=token.user,
            profile=profile,
            name=f"wallpapers: {token.name}"[:60],
            api_token=token,
        )
    except IntegrityError:  # two first requests at once
        return Display.objects.get(api_token=token, profile=profile)


def _profile_and_display(
    token: Token, name: str
) -> tuple[DisplayProfile | None, Display | None, str]:
    if token.kind == Token.Kind.DEVICE:
        # A paired screen's token: its own display and profile, nothing else.
        display = Display.objects.select_related("profile").filter(token=token).first()
        if display is None or (name and display.profile.name != name):
            return None, None, "no such profile for this token"
        return display.profile, display, ""
    profiles = DisplayProfile.objects.filter(owner=token.user)
    profile = profiles.filter(name=name).first() if name else profiles.order_by("id").first()
    if profile is None:
        detail = "no such profile" if name else "make a display profile first (/ads/)"
        return None, None, detail
    return profile, _wallpaper_display(token, profile), ""


@require_GET
def next_wallpaper(request: HttpRequest) -> HttpResponse:
    token = access.token_of(request)
    if token is None:
        refusal = json_error(401, f"send a token: Authorization: Bearer … ({DOCS})")
        refusal["WWW-Authenticate"] = 'Bearer realm="sequenzia"'
        return refusal
    fmt = request.GET.get("format", "webp")
    if fmt not in ("webp", "jpg"):
        return json_error(400, "format is webp (the default) or jpg")
    width = int_param(request, "w", low=1, high=16384)
    height = int_param(request, "h", low=1, high=16384)
    if width is None or height is None:
        return json_error(400, "give the screen's size in pixels: w=2560&h=1440")
    profile, display, problem = _profile_and_display(token, request.GET.get("profile", "").strip())
    if profile is None or display is None:
        return json_error(404, problem)
    screen = clamp_screen(width, height)
    limits = wallpaper_limits(screen, settings.DWS_MAX_UPSCALE)
    pool = screen_pool(request, profile).narrowed(
        width__gte=limits["min_width"], height__gte=limits["min_height"]
    )
    if limits["orient"] == "landscape":
        pool = pool.narrowed(width__gt=F("height"))
    elif limits["orient"] == "portrait":
        pool = pool.narrowed(width__lt=F("height"))
    pick = take_next(
        display, pool, shown_now=True, local_minutes=int_param(request, "minutes", low=0, high=1439)
    )
    if pick is None:
        return json_error(404, f"no image of “{profile.name}” fits a {width}x{height} screen")
    item = describe(request, pick.file, fit_preference="cover", screen=screen, fmt=fmt)
    if request.GET.get("redirect") in ("1", "true", "yes"):
        response: HttpResponse = HttpResponseRedirect(item["image"])
    else:
        body = {k: item[k] for k in ("id", "name", "folder", "width", "height", "color", "page")}
        body["url"] = request.build_absolute_uri(item["image"])
        response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response
