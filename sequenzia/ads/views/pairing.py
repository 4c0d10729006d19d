"""Pairing views: the TV starts and polls (no account), a signed-in person approves.

See :mod:`sequenzia.ads.pairing` for the protocol.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cds.audit import client_ip
from sequenzia.ads import pairing
from sequenzia.ads.items import qr_data_uri
from sequenzia.ads.models import DisplayProfile
from sequenzia.ads.profiles import default_profile
from sequenzia.ads.views.common import json_error
from sequenzia.views.common import me, member_required


def _approve_url(code: str) -> str:
    return settings.SITE_URL + reverse("ads:pair") + "?" + urlencode({"code": code})


def pairing_count_key(address: str | None) -> str:
    """The cache key counting an address's pairings this hour."""
    return f"ads:pairings:{address}"


def _too_many(request: HttpRequest) -> bool:
    """Pairings started from one address in the last hour, counted in the cache."""
    key = pairing_count_key(client_ip(request))
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    return count > settings.ADS_PAIRING_PER_HOUR


@require_POST
def pair_start(request: HttpRequest) -> HttpResponse:
    """A TV asks for a code (CSRF-checked like any form; no account needed)."""
    if _too_many(request):
        return json_error(429, "too many pairing requests from this address; wait a while")
    started = pairing.start()
    code = started.pairing.code
    return JsonResponse(
        {
            "code": pairing.format_code(code),
            "secret": started.secret,
            "approve_url": _approve_url(code),
            "qr": qr_data_uri(_approve_url(code)),
            "expires_in": settings.ADS_PAIRING_SECONDS,
        },
        status=201,
    )


@require_POST
def pair_poll(request: HttpRequest) -> HttpResponse:
    """The TV asks whether its code was approved; once, the answer carries its token."""
    result = pairing.claim(request.POST.get("secret", ""))
    body: dict[str, object] = {"status": result.status}
    if result.status == "approved" and result.display is not None:
        body.update(token=result.token, display=result.display.pk, screen=reverse("ads:screen"))
    return JsonResponse(body, status=404 if result.status == "unknown" else 200)


@member_required
def pair(request: HttpRequest) -> HttpResponse:
    """The phone side: type or scan the TV's code, pick a profile, approve."""
    user = me(request)
    profiles = list(DisplayProfile.objects.filter(owner=user))
    code = request.POST.get("code") or request.GET.get("code") or ""
    if request.method == "POST":
        profile = next((p for p in profiles if str(p.pk) == request.POST.get("profile", "")), None)
        if profile is None:
            profile = default_profile(user) if not profiles else None
        if profile is None:
            messages.error(request, "Choose a profile for this screen.")
        else:
            try:
                display = pairing.approve(code, user, profile, request.POST.get("name", ""))
            except pairing.PairingError as problem:
                messages.error(request, str(problem))
            else:
                messages.success(
                    request, f"Paired “{display.name}”: it starts showing “{profile.name}” now."
                )
                return redirect("ads:remote", display.pk)
    return render(
        request,
        "ads/pair.html",
        {"code": pairing.normalise_code(code), "profiles": profiles},
        status=400 if request.method == "POST" else 200,
    )
