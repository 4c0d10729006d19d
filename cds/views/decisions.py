"""The nginx fast path: Django decides about a URL once, nginx reuses the answer for a while.

With ``CDS_NGINX_DECISION_SECONDS`` above 0 and nginx set up with
``deploy/nginx/cds-fast-path.conf``, nginx asks before it serves a file,
thumbnail, rendition or by-hash URL: a subrequest (``auth_request``) to the
same URL with ``X-CDS-Decision: 1``. The view runs its usual first step
(access through ``authware.access``, the block list, what would be served)
and answers one of two things, both cached by nginx for
``CDS_NGINX_DECISION_SECONDS`` (``X-Accel-Expires``) under the key (host, URL
with its query, session cookie, ``Authorization``):

* **200, hand over**: the object sits whole and verified in the store
  (:func:`cds.accel.offload_path`). ``X-CDS-Object`` names it, the
  representation's headers come along (nginx puts them on its answer), and
  ``X-CDS-Audit`` carries who and what for the access log that nginx writes
  and :mod:`cds.nginxlog` reads into the audit.
* **403, ask Django**: anything else (no such file or no access, blocked, not
  whole in the store, peers, share links, a credential nginx and Django read
  differently). nginx then passes the request to Django as without the fast
  path, and Django answers and audits it as usual.

Django answers "hand over" only when the session cookie and ``Authorization``
header it acted on are exactly the ones nginx keyed the decision on (nginx
sends them as ``X-CDS-Key-Session`` / ``X-CDS-Key-Authorization``). Otherwise
a request that nginx and Django parse differently (two session cookies, a
quoted value) could leave an answer for one credential under another's key.

Nothing here records an access: a decision is not a request for bytes.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cds import accel, stats
from cds.audit import Requester
from cds.io import run_io
from cds.models import BlockedHash
from cds.objects import Servable
from cds.views.respond import representation_headers
from junefs.store import get_store

HEADER = "X-CDS-Decision"
#: What a store path looks like (ab/cd/<sha256>[.ext]); anything else is not handed over.
OBJECT_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]{1,16})?")
#: Representation headers nginx copies onto its answer (besides Content-Type and
#: Cache-Control, which come as X-CDS-* since the decision has its own).
PASSED_HEADERS = ("Content-Disposition", "ETag", "Last-Modified", "Content-Security-Policy")


def asked(request: HttpRequest) -> bool:
    """Whether this request is nginx asking for a decision (not a request for bytes)."""
    return (
        settings.CDS_NGINX_DECISION_SECONDS > 0
        and request.headers.get(HEADER) == "1"
        and request.META.get("REMOTE_ADDR") in settings.CDS_TRUSTED_PROXIES
    )


def _cached_for(response: HttpResponse) -> HttpResponse:
    response["X-Accel-Expires"] = str(settings.CDS_NGINX_DECISION_SECONDS)
    response["Cache-Control"] = "no-store"  # for anything but nginx's decision cache
    return response


def ask_django() -> HttpResponse:
    """The answer that sends the request on to Django itself."""
    return _cached_for(HttpResponse(status=403))


def same_credential(request: HttpRequest) -> bool:
    """Whether nginx keyed the decision on exactly the credential Django reads."""
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    authorization = request.headers.get("Authorization", "")
    return (
        request.headers.get("X-CDS-Key-Session", "") == session
        and request.headers.get("X-CDS-Key-Authorization", "") == authorization
    )


async def decide(
    request: HttpRequest,
    servable: Servable | None,
    requester: Requester,
    *,
    blocked: BlockedHash | None,
    download: bool = False,
    cache_control: str | None = None,
) -> HttpResponse:
    """Hand the URL over to nginx for a while, or have it ask Django (see the module)."""
    if (
        servable is None
        or blocked is not None
        or servable.store_only
        or request.method not in ("GET", "HEAD")
        or not same_credential(request)
    ):
        return ask_django()
    relative = await run_io(accel.offload_path, servable, get_store())
    if relative is None or not OBJECT_PATH.fullmatch(relative):
        return ask_django()
    headers = representation_headers(servable, download=download, cache_control=cache_control)
    response = HttpResponse(status=200)
    response["X-CDS-Object"] = relative
    response["X-CDS-Content-Type"] = headers["Content-Type"]
    response["X-CDS-Cache-Control"] = headers["Cache-Control"]  # the decision's own is no-store
    for name in PASSED_HEADERS:
        if name in headers:
            response[name] = headers[name]
    response["X-CDS-Audit"] = urlencode(
        {
            "kind": servable.kind,
            "file": servable.file_id or "",
            "sha256": servable.sha256,
            "size": servable.size,
            "user": requester.user_id or "",
            "credential": requester.credential,
        }
    )
    stats.count("nginx_decisions")
    return _cached_for(response)
