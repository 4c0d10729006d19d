"""The web front. The gallery replaces this placeholder home page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from junefs.models import Channel, File


@login_required
def home(request: HttpRequest) -> HttpResponse:
    files = File.objects.filter(state=File.State.COMPLETE).select_related("channel")
    return render(
        request,
        "home.html",
        {"channels": Channel.objects.order_by("name"), "recent": files.order_by("-id")[:50]},
    )
