"""The permission matrix: every URL of the site and the API, for every kind of requester.

The cases are in :mod:`tests.web.permission_cases` (one list per part of the
site). ``test_every_url_has_a_case`` fails when a URL is added without an
entry. Each requester runs the whole list on a fresh database.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, URLResolver

from sequenzia import urls as site_urls
from tests.web.conftest import build_world, client_for
from tests.web.permission_cases import CASES, NAMESPACES, WHO, set_up


def site_url_names() -> set[str]:
    """Every named URL of our own site and of the API (admin and allauth are theirs)."""
    names: set[str] = set()
    for entry in site_urls.urlpatterns:
        if isinstance(entry, URLPattern) and entry.name:
            names.add(entry.name)
        elif isinstance(entry, URLResolver) and entry.namespace in NAMESPACES:
            names |= {
                f"{entry.namespace}:{p.name}"
                for p in entry.url_patterns
                if isinstance(p, URLPattern) and p.name and p.name != "api-root"
            }
    return names


def test_every_url_has_a_case() -> None:
    covered = {case.name for case in CASES}
    missing = site_url_names() - covered
    assert not missing, f"URLs with no entry in the permission matrix: {sorted(missing)}"
    for case in CASES:
        assert set(case.expect) == set(WHO), f"{case.name}: expectations for {sorted(case.expect)}"


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(who: str) -> None:
    world = build_world()
    set_up(world)
    client = client_for(world, who)
    wrong = []
    for case in CASES:
        path = case.path(world)
        data = case.data(world)
        call = getattr(client, case.method)
        if case.json:
            response = call(path, json.dumps(data), content_type="application/json")
        elif case.method in ("get", "post"):
            response = call(path, data)
        else:
            response = call(path)
        want = case.expect[who]
        if response.status_code != want:
            got = response.status_code
            wrong.append(f"{case.method.upper()} {path} ({case.name}): {got}, expected {want}")
    assert not wrong, f"{who} got unexpected answers:\n" + "\n".join(wrong)
