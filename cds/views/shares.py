"""Making and revoking share links (JSON, for the gallery; the admin does the same)."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from authware import access
from cds.models import ShareLink
from cds.sharing import ShareRefused, create_share_link, revoke, url_for

#: Sharing makes a file public to whoever holds the link: it needs write access.
SHARE_PERM: access.Perm = "write"


def _link_json(link: ShareLink) -> dict[str, object]:
    return {
        "id": link.pk,
        "file": link.file_id,
        "url": url_for(link),
        "expires_at": link.expires_at.isoformat(),
        "revoked": link.revoked_at is not None,
    }


@require_POST
def create_share(request: HttpRequest, file_id: int) -> JsonResponse:
    """``POST /cds/share/files/<id>`` with optional ``hours`` and ``note``."""
    file = access.get_file_for(request, file_id, SHARE_PERM)
    try:
        hours = float(request.POST.get("hours") or 0)
    except ValueError:
        return JsonResponse({"error": "hours must be a number"}, status=400)
    lifetime = timedelta(hours=hours) if hours else None
    user = request.user if request.user.is_authenticated else None
    try:
        link = create_share_link(
            file, created_by=user, lifetime=lifetime, note=request.POST.get("note", "")
        )
    except ShareRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(_link_json(link), status=201)


@require_POST
def revoke_share(request: HttpRequest, link_id: int) -> JsonResponse:
    """``POST /cds/share/<id>/revoke``: the link stops working at once."""
    link = ShareLink.objects.select_related("file").filter(pk=link_id).first()
    if link is None:
        raise Http404("No such share link")
    access.get_file_for(request, link.file_id, SHARE_PERM)
    revoke(link)
    return JsonResponse(_link_json(link))
