"""A display profile's pool: the images a screen may show, as a queryset.

The pool is the profile's gallery query (folders, filters, search) read with
the requester's access — a paired TV's device token or the owner's session;
both act for the profile's owner — narrowed to images whose bytes can
be served and whose size is known (a screen needs both to fit them).

A paired screen's token reads only its pool's folders (``Token.folders_only``);
:func:`sync_token_scope` keeps that list in step with the profile, the owner's
grants and the display it follows.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

from authware import access
from authware.models import Token, User
from junefs.models import File
from sequenzia.ads.models import Display, DisplayProfile
from sequenzia.ads.selection import Pool
from sequenzia.models import HiddenFolder
from sequenzia.query import GalleryQuery, QueryError, filter_files, query_folder_ids

#: States whose bytes CDS can serve (in the store, on the way to the backend, or there).
SHOWABLE_STATES = (File.State.PENDING, File.State.UPLOADING, File.State.COMPLETE)
#: What a pool keeps of the query: its filters; order is the screen's own.
IGNORED_PARAMS = ("sort", "order", "seed", "after")


def parse_profile_query(text: str) -> GalleryQuery:
    """A profile's query string as a :class:`GalleryQuery`; raises QueryError when malformed."""
    text = text.strip().lstrip("?")
    params = QueryDict(text, mutable=True)
    for name in IGNORED_PARAMS:
        params.pop(name, None)
    return GalleryQuery.from_params(params)


def request_as(user: User | None, token: Token | None = None) -> HttpRequest:
    """A bare request acting for ``user`` (and ``token``), for code outside a view."""
    request = HttpRequest()
    request.user = user if user is not None else AnonymousUser()
    request.auth_token = token  # type: ignore[attr-defined]
    return request


def owner_hidden(request: HttpRequest, profile: DisplayProfile) -> frozenset[int]:
    """The folders the profile's owner hid (kept out of a profile without folders)."""
    return HiddenFolder.ids_for(profile.owner_id, access.request_version(request))


def _images(request: HttpRequest, query: GalleryQuery, hidden: frozenset[int]) -> QuerySet[File]:
    # The screens walk the shuffle order themselves: no word-index plan for walk().
    return filter_files(request, query, hidden=hidden, plan_words=False).filter(
        kind=File.Kind.IMAGE,
        state__in=SHOWABLE_STATES,
        width__gt=0,
        height__gt=0,
    )


def pool_for(request: HttpRequest, profile: DisplayProfile) -> QuerySet[File]:
    """Every image of ``profile`` that the requester may read (unordered)."""
    try:
        query = parse_profile_query(profile.query)
    except QueryError:
        return File.objects.none()  # saved before a rule changed; the form refuses new ones
    return _images(request, query, owner_hidden(request, profile))


def screen_pool(request: HttpRequest, profile: DisplayProfile) -> Pool:
    """The pool for choosing (:mod:`sequenzia.ads.selection`): its files and its folders."""
    try:
        query = parse_profile_query(profile.query)
    except QueryError:
        return Pool(File.objects.none(), frozenset())
    hidden = owner_hidden(request, profile)
    folders = query_folder_ids(request, query, hidden=hidden)
    return Pool(_images(request, query, hidden), frozenset(folders))


def profile_folder_ids(profile: DisplayProfile) -> set[int]:
    """The folders the profile draws from, with its owner's full access."""
    try:
        query = parse_profile_query(profile.query)
    except QueryError:
        return set()
    owner = request_as(profile.owner)
    return query_folder_ids(owner, query, hidden=owner_hidden(owner, profile))


def sync_token_scope(display: Display) -> None:
    """Limit a paired screen's token to the folders of what it may show.

    That is its profile's folders, plus those of the display it follows (a
    mirrored screen shows what the other shows). Cheap to call often.
    """
    token = display.token
    if token is None:
        return
    folders = profile_folder_ids(display.profile)
    if display.follow is not None and display.follow.owner_id == display.owner_id:
        folders |= profile_folder_ids(display.follow.profile)
    if not token.folders_only:
        Token.objects.filter(pk=token.pk).update(folders_only=True)
        token.folders_only = True
    current = set(token.channels.values_list("id", flat=True))
    if current != folders:
        token.channels.set(sorted(folders))
    display.scope_version = access.access_version()
    Display.objects.filter(pk=display.pk).update(scope_version=display.scope_version)
