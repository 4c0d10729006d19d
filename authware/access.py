"""The one access module every view uses.

Every view that touches a file or a folder starts with one call in here,
which returns the object or raises ``Http404`` — never 403, so nobody learns
that a hidden folder exists.

Permissions are ``read``, ``write`` and ``manage`` on a folder (Channel).
Until per-folder grants land, staff and superusers may do everything and
nobody else anything; the functions below are the stable interface the rest
of the code calls, whatever the rules behind them become.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from junefs.models import Channel, File

Perm = Literal["read", "write", "manage"]
PERMS: tuple[Perm, ...] = ("read", "write", "manage")


def _is_trusted(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.is_superuser))


def channels_for(request: HttpRequest, perm: Perm = "read") -> QuerySet[Channel]:
    """The folders the requester (user or token) may ``perm``."""
    if perm not in PERMS:
        raise ValueError(f"unknown permission {perm!r}")
    if _is_trusted(request):
        return Channel.objects.all()
    return Channel.objects.none()


def files_for(request: HttpRequest, perm: Perm = "read") -> QuerySet[File]:
    """The files in folders the requester may ``perm``."""
    return File.objects.filter(channel__in=channels_for(request, perm))


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
