"""What every gallery view shares: the sign-in guard, the sidebar, history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from authware import access
from authware.models import User
from sequenzia.models import HiddenFolder, HistoryEntry
from sequenzia.query import folders_of
from sequenzia.query.build import FolderInfo

V = TypeVar("V", bound=Callable[..., HttpResponse])


def member_required(view: V) -> V:
    """Gallery pages want a signed-in person: no anonymous visitors, and no tokens.

    API and device tokens are for ``/api/`` and the screens; a request that
    carries one is refused here even if its user could see the page.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if access.token_of(request) is not None:
            return HttpResponse(
                "Tokens open the API and screens, not gallery pages.",
                status=403,
                content_type="text/plain",
            )
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return cast(V, wrapper)


def me(request: HttpRequest) -> User:
    """The signed-in user of a page guarded by :func:`member_required`."""
    user = request.user
    assert isinstance(user, User), "me() needs a member_required view"
    return user


def hidden_ids(request: HttpRequest) -> frozenset[int]:
    """Folders the user hid; cached per access version (hiding bumps it)."""
    cached: frozenset[int] | None = getattr(request, "_hidden_ids", None)
    if cached is None:
        cached = HiddenFolder.ids_for(me(request).pk, access.request_version(request))
        request._hidden_ids = cached  # type: ignore[attr-defined]
    return cached


@dataclass
class Group:
    title: str
    folders: list[FolderInfo] = field(default_factory=list)


def sidebar(request: HttpRequest) -> list[Group]:
    """Readable, not hidden folders, grouped by "class / category"."""
    hidden = hidden_ids(request)
    readable = access.channel_ids_for(request)
    groups: dict[str, Group] = {}
    for folder in folders_of(request):
        if folder.id in hidden or (readable is not None and folder.id not in readable):
            continue
        title = " / ".join(p for p in (folder.class_name, folder.category) if p) or "Folders"
        groups.setdefault(title, Group(title)).folders.append(folder)
    return list(groups.values())


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def remember_query(request: HttpRequest, query_string: str) -> None:
    last = HistoryEntry.objects.filter(user_id=me(request).pk).first()
    if last is not None and last.kind == HistoryEntry.Kind.QUERY and last.query == query_string:
        HistoryEntry.objects.filter(pk=last.pk).update(at=timezone.now())
        return
    HistoryEntry.objects.create(
        user_id=me(request).pk, kind=HistoryEntry.Kind.QUERY, query=query_string[:1000]
    )
    _trim(request)


def remember_file(request: HttpRequest, file_id: int) -> None:
    last = HistoryEntry.objects.filter(user_id=me(request).pk).first()
    if last is not None and last.file_id == file_id:
        return
    HistoryEntry.objects.create(
        user_id=me(request).pk, kind=HistoryEntry.Kind.FILE, file_id=file_id
    )
    _trim(request)


def _trim(request: HttpRequest) -> None:
    keep = settings.HISTORY_LIMIT
    old = HistoryEntry.objects.filter(user_id=me(request).pk).values_list("id", flat=True)[
        keep : keep + 50
    ]
    ids = list(old)
    if ids:
        HistoryEntry.objects.filter(pk__in=ids).delete()
