"""People's side of ADS: profiles, displays, starting a screen here, the phone remote."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from authware.tokens import revoke_token
from sequenzia import links
from sequenzia.ads.live import ACTIONS, screen_item, send_command
from sequenzia.ads.models import Display, DisplayHistory, DisplayProfile
from sequenzia.ads.profiles import DisplayForm, ProfileForm, default_profile
from sequenzia.views.common import me, member_required, safe_next, wants_json


def _profile(request: HttpRequest, profile_id: int) -> DisplayProfile:
    profile = DisplayProfile.objects.filter(pk=profile_id, owner=me(request)).first()
    if profile is None:
        raise Http404("No such profile")
    return profile


def _display(request: HttpRequest, display_id: int) -> Display:
    display = (
        Display.objects.select_related("profile", "token", "follow", "current")
        .filter(pk=display_id, owner=me(request))
        .first()
    )
    if display is None:
        raise Http404("No such display")
    return display


@member_required
def profile_new(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, owner=me(request))
    if request.method == "POST" and form.is_valid():
        profile = form.save()
        messages.success(request, f"Profile “{profile.name}” saved.")
        return redirect("ads:home")
    return render(request, "ads/profile_form.html", {"form": form, "profile": None})


@member_required
def profile_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    form = ProfileForm(request.POST or None, instance=profile, owner=me(request))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Profile “{profile.name}” saved.")
        return redirect("ads:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "ads/profile_form.html", {"form": form, "profile": profile}, status=status
    )


@require_POST
@member_required
def profile_delete(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    for display in profile.displays.select_related("token"):
        if display.token is not None:
            revoke_token(display.token)
    profile.delete()
    messages.success(request, f"Profile “{profile.name}” and its displays deleted.")
    return redirect("ads:home")


@require_POST
@member_required
def start_here(request: HttpRequest) -> HttpResponse:
    """Show a profile in this browser: a display of its own, driven by the session."""
    user = me(request)
    raw = request.POST.get("profile", "")
    profile = (
        DisplayProfile.objects.filter(pk=int(raw), owner=user).first()
        if raw.isdigit()
        else default_profile(user)
    )
    if profile is None:
        raise Http404("No such profile")
    name = (request.POST.get("name") or "This browser").strip()[:60]
    display, _ = Display.objects.get_or_create(
        owner=user, profile=profile, name=name, token=None, api_token=None
    )
    return redirect(reverse("ads:screen") + f"?display={display.pk}")


@member_required
def display_edit(request: HttpRequest, display_id: int) -> HttpResponse:
    display = _display(request, display_id)
    form = DisplayForm(request.POST or None, instance=display, owner=me(request))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Display “{display.name}” saved.")
        return redirect("ads:home")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "ads/display_form.html", {"form": form, "display": display}, status=status
    )


@require_POST
@member_required
def display_revoke(request: HttpRequest, display_id: int) -> HttpResponse:
    """Unpair a screen: its token stops working at once (pages, images, socket)."""
    display = _display(request, display_id)
    if display.token is not None:
        revoke_token(display.token)
    messages.success(request, f"“{display.name}” unpaired; pair it again to show images.")
    return redirect("ads:home")


@require_POST
@member_required
def display_delete(request: HttpRequest, display_id: int) -> HttpResponse:
    display = _display(request, display_id)
    if display.token is not None:
        revoke_token(display.token)
    display.delete()
    messages.success(request, f"Display “{display.name}” deleted.")
    return redirect("ads:home")


@member_required
def remote(request: HttpRequest, display_id: int) -> HttpResponse:
    """The phone remote: next, back, pause, info, and what the screen shows now."""
    display = _display(request, display_id)
    recent = (
        DisplayHistory.objects.filter(display=display).select_related("file").order_by("-id")[:12]
    )
    return render(
        request,
        "ads/remote.html",
        {
            "display": display,
            "recent": [{"file": h.file, "thumbnail": links.thumbnail_url(h.file)} for h in recent],
            "current_thumbnail": links.thumbnail_url(display.current) if display.current else "",
        },
    )


@require_POST
@member_required
def command(request: HttpRequest, display_id: int) -> HttpResponse:
    """A remote's button: sent to the display's screen over its websocket."""
    display = _display(request, display_id)
    action = request.POST.get("action", "")
    raw_file = request.POST.get("file", "")
    if action not in ACTIONS or (action == "show" and not raw_file.isdigit()):
        if wants_json(request):
            return JsonResponse(
                {"detail": f"action must be one of {', '.join(ACTIONS)}"}, status=400
            )
        messages.error(request, "Unknown remote command.")
        return redirect(safe_next(request, reverse("ads:remote", args=[display.pk])))
    file_id = int(raw_file) if action == "show" else None
    if file_id is not None and screen_item(display, display.token, file_id) is None:
        detail = "That image is not one this screen may show (its folders, or not an image)."
        if wants_json(request):
            return JsonResponse({"detail": detail}, status=404)
        messages.error(request, detail)
        return redirect(safe_next(request, reverse("ads:remote", args=[display.pk])))
    send_command(display, action, file_id)
    if wants_json(request):
        return JsonResponse({"sent": action})
    messages.success(request, f"Sent “{action}” to {display.name}.")
    return redirect(safe_next(request, reverse("ads:remote", args=[display.pk])))
