"""What the ADS/DWS views share: who is asking, for which display, and JSON errors.

A screen's requests come either from a paired TV, with its device token in
``Authorization: Bearer`` (set up by :class:`authware.middleware.TokenMiddleware`),
or from a browser where the owner is signed in, naming the display. A device
token opens its own display and nothing else; a session opens the owner's
displays. Anything else is a 404 (a display that is not yours does not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware

from authware import access
from authware.models import Token, User
from sequenzia.ads.models import Display

V = TypeVar("V", bound=Callable[..., HttpResponse])


class NotSignedIn(Exception):
    """No token and no session: the screen must pair or sign in."""


def json_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def csrf_unless_token(view: V) -> V:
    """CSRF for cookie sessions; none for a bearer token, which no browser sends on its own."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if access.token_of(request) is None:
            refusal = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
                request, view, args, kwargs
            )
            if refusal is not None:
                return refusal
        return view(request, *args, **kwargs)

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return cast(V, wrapper)


def screen_api(view: V) -> V:
    """JSON views of a screen: 401 for nobody, 404 for what is not theirs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotSignedIn:
            return json_error(401, "pair this screen or sign in")
        except Http404 as problem:
            return json_error(404, str(problem) or "not found")

    return cast(V, csrf_unless_token(wrapper))


def display_for(request: HttpRequest) -> Display:
    """The display this request is for: the token's own, or the owner's by id."""
    token = access.token_of(request)
    related = ("profile", "owner", "token", "follow")
    if token is not None:
        if token.kind != Token.Kind.DEVICE:
            raise Http404("API tokens have no display; wallpapers are at /dws/next")
        display = Display.objects.select_related(*related).filter(token=token).first()
        if display is None:
            raise Http404("this device token belongs to no display")
        return display
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotSignedIn
    raw = request.GET.get("display") or request.POST.get("display") or ""
    if not raw.isdigit():
        raise Http404("which display? (display=id)")
    display = Display.objects.select_related(*related).filter(pk=int(raw), owner=user).first()
    if display is None:
        raise Http404("No such display")
    return display


def int_param(request: HttpRequest, name: str, *, low: int, high: int) -> int | None:
    """An optional whole-number parameter of a screen's request, within bounds."""
    raw = request.POST.get(name) or request.GET.get(name) or ""
    if not raw.lstrip("-").isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None
