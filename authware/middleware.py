"""Request middleware: token authentication and the admins' two-factor rule."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from authware.signed import signed_token_id
from authware.tokens import authenticate_token, token_by_id

BEARER = "bearer "


def token_from_request(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[: len(BEARER)].lower() == BEARER:
        return header[len(BEARER) :].strip()
    return None


class TokenMiddleware:
    """Set ``request.auth_token`` from ``Authorization: Bearer <token>``.

    A token never becomes a session and never sets ``request.user``: only
    :mod:`authware.access` (and the API's auth) look at it, so gallery pages,
    which want a signed-in person, do not accept tokens at all. A bearer
    header with a wrong, expired or revoked token is refused with 401 rather
    than silently served as anonymous.

    A signed URL (:mod:`authware.signed`) stands for its token on the one
    path it was signed for; a bad, expired or revoked one is a 401 too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.auth_token = None  # type: ignore[attr-defined]
        raw = token_from_request(request)
        if raw is not None:
            token = authenticate_token(raw)
            if token is None:
                response = JsonResponse({"detail": "invalid or expired token"}, status=401)
                response["WWW-Authenticate"] = 'Bearer realm="sequenzia"'
                return response
            request.auth_token = token  # type: ignore[attr-defined]
            return self.get_response(request)
        try:
            token_id = signed_token_id(request)
        except ValueError as problem:
            return JsonResponse({"detail": str(problem)}, status=401)
        if token_id is not None:
            token = token_by_id(token_id)
            if token is None:
                return JsonResponse({"detail": "this link's token was revoked"}, status=401)
            request.auth_token = token  # type: ignore[attr-defined]
        return self.get_response(request)


#: Paths an admin without a second factor may still open (to set one up, or leave).
MFA_SETUP_PATHS = ("/accounts/", "/static/")


class AdminMFAMiddleware:
    """With ``AUTHWARE_ADMIN_REQUIRE_MFA``, staff and admins must add TOTP before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.AUTHWARE_ADMIN_REQUIRE_MFA and self._needs_mfa(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _needs_mfa(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if not (user.is_staff or user.has_rank(user.Rank.ADMIN)):
            return False
        if request.path.startswith(MFA_SETUP_PATHS):
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
