"""The account page (hidden folders, sharing, tokens) and navigation history."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from authware import access
from authware.models import Token
from authware.tokens import issue_token, revoke_token
from sequenzia.models import HiddenFolder, HistoryEntry
from sequenzia.views.common import hidden_ids, me, member_required, sidebar

EXPIRY_CHOICES = {"30": 30, "90": 90, "365": 365, "never": None}


@member_required
def account(request: HttpRequest) -> HttpResponse:
    user = me(request)
    readable = access.channels_for(request)
    if request.method == "POST":
        wanted = {int(v) for v in request.POST.getlist("hide") if v.isdigit()}
        wanted &= set(readable.values_list("id", flat=True))
        HiddenFolder.objects.filter(user=user).exclude(channel_id__in=wanted).delete()
        have = set(HiddenFolder.objects.filter(user=user).values_list("channel_id", flat=True))
        HiddenFolder.objects.bulk_create(
            [HiddenFolder(user=user, channel_id=c) for c in sorted(wanted - have)]
        )
        access.bump_access_version()  # bulk_create sends no signals
        user.favourites_public = request.POST.get("favourites_public") == "on"
        user.save(update_fields=["favourites_public"])
        messages.success(request, "Settings saved.")
        return redirect("account")
    return render(
        request,
        "sequenzia/account.html",
        {
            "folders": readable,
            "hidden": hidden_ids(request),
            "tokens": Token.objects.filter(user=user).prefetch_related("channels"),
            "new_token": request.session.pop("new_token", None),
            "expiry_choices": EXPIRY_CHOICES,
            "sidebar": sidebar(request),
        },
    )


@require_POST
@member_required
def token_create(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", Token.Kind.API)
    if kind not in Token.Kind.values:
        kind = Token.Kind.API
    days = EXPIRY_CHOICES.get(request.POST.get("expires", "90"), 90)
    readable = set(access.channels_for(request).values_list("id", flat=True))
    folders = [int(v) for v in request.POST.getlist("folders") if v.isdigit()]
    folders = [f for f in folders if f in readable]
    token, raw = issue_token(
        me(request),
        request.POST.get("name", "").strip() or f"{kind} token",
        kind=kind,
        can_write=request.POST.get("can_write") == "on",
        expires_at=timezone.now() + timedelta(days=days) if days else None,
        channel_ids=folders,
    )
    # Shown once, on the next page load, then gone: only the hash is kept.
    request.session["new_token"] = {"name": token.name, "raw": raw}
    return redirect("account")


@require_POST
@member_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = Token.objects.filter(user_id=me(request).pk, pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    revoke_token(token)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("account")


@member_required
def history(request: HttpRequest) -> HttpResponse:
    readable = access.files_for(request)
    entries = list(HistoryEntry.objects.filter(user_id=me(request).pk).select_related("file")[:200])
    visible = set(
        readable.filter(pk__in=[e.file_id for e in entries if e.file_id]).values_list(
            "id", flat=True
        )
    )
    entries = [e for e in entries if e.file_id is None or e.file_id in visible]
    return render(
        request, "sequenzia/history.html", {"entries": entries, "sidebar": sidebar(request)}
    )


@require_POST
@member_required
def history_clear(request: HttpRequest) -> HttpResponse:
    HistoryEntry.objects.filter(user_id=me(request).pk).delete()
    messages.success(request, "History cleared.")
    return redirect("history")
