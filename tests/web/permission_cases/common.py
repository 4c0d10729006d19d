"""The permission matrix's vocabulary: requesters, cases, and the usual expectations.

A case names a URL, how to call it, and exactly what each requester in
``WHO`` gets. The case lists live beside this module, one per part of the
site (``site``, ``cds``, ``ads``); ``tests/web/test_permissions.py`` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import jpeg_bytes
from tests.web.conftest import World

WHO = ("alice", "bob", "charlie", "anon", "token", "token_write", "device")


def member(alice: int = 200, bob: int = 200, charlie: int = 200) -> dict[str, int]:
    """A gallery page: people get it; anonymous visitors go to the login; tokens are refused."""
    return {
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        "anon": 302,
        "token": 403,
        "token_write": 403,
        "device": 403,
    }


def api(
    alice: int, bob: int, charlie: int, token: int, token_write: int, device: int
) -> dict[str, int]:
    return {
        "alice": alice,
        "bob": bob,
        "charlie": charlie,
        "anon": 401,
        "token": token,
        "token_write": token_write,
        "device": device,
    }


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(WHO, status)


@dataclass
class Case:
    name: str
    method: str
    path: Callable[[World], str]
    expect: dict[str, int]
    data: Callable[[World], Any] = field(default=lambda w: {})
    json: bool = False


def f(key: str) -> Callable[[World], int]:
    return lambda w: w.files[key].pk


def url(name: str, *args: Callable[[World], Any], query: str = "") -> Callable[[World], str]:
    return lambda w: reverse(name, args=[a(w) for a in args]) + query


def folder(key: str) -> Callable[[World], int]:
    return lambda w: w.folders[key].pk


def extra(key: str) -> Callable[[World], Any]:
    return lambda w: w.extra[key]


def username(name: str) -> Callable[[World], str]:
    return lambda w: name


def upload_data(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "channel": w.folders[key].pk,
        "files": SimpleUploadedFile("new.jpg", jpeg_bytes(40, 30, seed=99), "image/jpeg"),
    }


def api_upload_data(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {
        "folder": w.folders[key].pk,
        "files": SimpleUploadedFile("api.jpg", jpeg_bytes(40, 30, seed=98), "image/jpeg"),
    }


OWNER_ONLY = {"alice": 302, "bob": 404, "charlie": 404}


def readers_of_shared(status: int = 200) -> dict[str, int]:
    """Bytes of a file in "shared": whoever may read the folder, else 404 (never 403)."""
    return {
        "alice": status,
        "bob": status,
        "charlie": 404,
        "anon": 404,
        "token": status,
        "token_write": status,
        "device": status,
    }


def sha(key: str) -> Callable[[World], str]:
    return lambda w: w.files[key].sha256
