"""The one access module every view uses.

Every view that touches a file or a folder starts with one call in here,
which returns the object or raises ``Http404`` — never 403, so nobody learns
that a hidden folder exists.

Who is asking: the request's API or device token when it carries one (set by
:class:`authware.middleware.TokenMiddleware`), otherwise the signed-in user.

The rules, for ``read`` ⊂ ``write`` ⊂ ``manage`` on a folder (Channel):

* admins (rank admin, or superusers) may do everything everywhere;
* anyone else gets what their own grants and their groups' grants give;
* moderators may also ``manage`` every folder they can read (move, rename,
  rotate, delete: the rank is the power, the grants say where);
* a token acts for its user, limited to its folders when it lists any, and
  only ``read`` unless it is an API token created with write access.
  Device tokens are always read-only. A token marked ``folders_only`` (a
  paired screen) reads its listed folders and nothing else, even none.
* anonymous requests may do nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from authware.models import PERM_LEVELS, AccessVersion, Grant, Token, User
from junefs.models import Channel, File

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

T = TypeVar("T")
Perm = Literal["read", "write", "manage"]
PERMS: tuple[Perm, ...] = ("read", "write", "manage")
_CACHE_ATTR = "_authware_channel_ids"
_VERSION_ATTR = "_authware_access_version"
#: Cached answers are keyed on the access version, so this only bounds memory.
CACHE_SECONDS = 3600


def token_of(request: HttpRequest) -> Token | None:
    token: Token | None = getattr(request, "auth_token", None)
    return token


def user_of(request: HttpRequest) -> User | None:
    """The user the request acts for (through its token, or its session), if any."""
    token = token_of(request)
    if token is not None:
        return token.user
    user: User | AnonymousUser | None = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)
    return user


def access_version() -> int:
    """The current access version (see :class:`~authware.models.AccessVersion`)."""
    value = AccessVersion.objects.filter(pk=1).values_list("value", flat=True).first()
    if value is None:
        # A fresh database: pick a random first value, so cache keys of an
        # earlier database (a test run, a restored backup) can never match.
        bump_access_version()
        value = AccessVersion.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0


def bump_access_version() -> None:
    """Something access depends on changed: every cached answer is stale now."""
    value = secrets.randbits(62)
    if not AccessVersion.objects.filter(pk=1).update(value=value):
        AccessVersion.objects.get_or_create(pk=1, defaults={"value": value})


def _moderates(user: User) -> bool:
    return user.has_rank(User.Rank.MODERATOR)


def _compute(user: User) -> dict[str, frozenset[int] | None]:
    if user.is_admin:
        return dict.fromkeys(PERMS, None)
    levels: dict[int, int] = {}
    rows = Grant.objects.filter(Q(user=user) | Q(group__user=user)).values_list(
        "channel_id", "perm"
    )
    for channel_id, perm in rows:
        levels[channel_id] = max(PERM_LEVELS[perm], levels.get(channel_id, 0))
    out: dict[str, frozenset[int] | None] = {
        perm: frozenset(c for c, level in levels.items() if level >= PERM_LEVELS[perm])
        for perm in PERMS
    }
    if _moderates(user):
        out["manage"] = out["read"]
    return out


def _user_channel_ids(user: User, perm: Perm, version: int | None = None) -> frozenset[int] | None:
    """Folder ids ``user`` may ``perm``; None means every folder. Cached per access version."""
    if version is None:
        return _compute(user)[perm]
    snapshot = versioned(f"authware:access:{user.pk}:{version}", lambda: _compute(user))
    return snapshot[perm]


_LOCAL: dict[str, Any] = {}
_LOCAL_MAX = 4096


def versioned(key: str, compute: Callable[[], T]) -> T:
    """A value whose ``key`` names the access version it was computed for.

    Such a value never goes stale (a change makes a new version, hence a new
    key), so it is kept in this process's memory first, then in the shared
    cache, and computed only when neither has it.
    """
    if key in _LOCAL:
        value: T = _LOCAL[key]
        return value
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    if len(_LOCAL) >= _LOCAL_MAX:
        _LOCAL.clear()
    _LOCAL[key] = value
    return value


def request_version(request: HttpRequest) -> int:
    """The access version, read once per request."""
    cached: int | None = request.__dict__.get(_VERSION_ATTR)
    if cached is None:
        cached = access_version()
        request.__dict__[_VERSION_ATTR] = cached
    return cached


def channel_ids_for(request: HttpRequest, perm: Perm = "read") -> frozenset[int] | None:
    """Ids of the folders the requester may ``perm``; None means every folder.

    Computed once per request and permission (a site has hundreds of
    folders, not millions), so file queries can use a plain ``IN`` list.
    """
    if perm not in PERMS:
        raise ValueError(f"unknown permission {perm!r}")
    cache: dict[str, Any] = request.__dict__.setdefault(_CACHE_ATTR, {})
    if perm in cache:
        cached: frozenset[int] | None = cache[perm]
        return cached
    result: frozenset[int] | None
    user = user_of(request)
    token = token_of(request)
    if user is None or (token is not None and perm != "read" and not token.writable):
        result = frozenset()
    else:
        ids = _user_channel_ids(user, perm, request_version(request))
        if token is not None:
            limit = frozenset(token.channels.values_list("id", flat=True))
            if limit or token.folders_only:
                ids = limit if ids is None else ids & limit
        result = ids
    cache[perm] = result
    return result


def channel_ids_for_user(user: User | None, perm: Perm = "read") -> frozenset[int] | None:
    """The same rules for a user without a request (websockets, tasks); None means all."""
    if user is None or not user.is_active:
        return frozenset()
    return _user_channel_ids(user, perm)


def channels_for(request: HttpRequest, perm: Perm = "read") -> QuerySet[Channel]:
    """The folders the requester (user or token) may ``perm``."""
    ids = channel_ids_for(request, perm)
    if ids is None:
        return Channel.objects.all()
    return Channel.objects.filter(pk__in=ids)


def files_for(request: HttpRequest, perm: Perm = "read") -> QuerySet[File]:
    """The files in folders the requester may ``perm``."""
    ids = channel_ids_for(request, perm)
    if ids is None:
        return File.objects.all()
    if not ids:
        return File.objects.none()
    return File.objects.filter(channel_id__in_ids=ids)  # see junefs.lookups


def can(request: HttpRequest, perm: Perm, channel_id: int) -> bool:
    """Whether the requester may ``perm`` the folder (for showing buttons)."""
    ids = channel_ids_for(request, perm)
    return ids is None or channel_id in ids


def has_rank(request: HttpRequest, rank: int) -> bool:
    """Site-wide rank of the signed-in user (tokens never carry rank powers)."""
    if token_of(request) is not None:
        return False
    user = user_of(request)
    return user is not None and user.has_rank(rank)


def get_channel_for(request: HttpRequest, channel_id: int, perm: Perm = "read") -> Channel:
    """The folder, or Http404 when it does not exist or the requester may not ``perm`` it."""
    channel = channels_for(request, perm).filter(pk=channel_id).first()
    if channel is None:
        raise Http404("No such folder")
    return channel


def get_file_for(request: HttpRequest, file_id: int, perm: Perm = "read") -> File:
    """The file, or Http404 when it does not exist or the requester may not ``perm`` it."""
    file = files_for(request, perm).select_related("channel").filter(pk=file_id).first()
    if file is None:
        raise Http404("No such file")
    return file
