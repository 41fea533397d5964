"""DICOMweb authentication: the user's session (same-origin viewer, CSRF-checked for writes) or a token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from ris.accounts.roles import _declare


def _token_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() not in ("token", "bearer") or not key:
        return None
    token = Token.objects.select_related("user").filter(key=key.strip()).first()
    return token.user if token is not None and token.user.is_active else None


def _csrf_refused(request) -> bool:
    check = CsrfViewMiddleware(lambda r: None)
    check.process_request(request)
    return check.process_view(request, None, (), {}) is not None


def dicomweb_view(*roles: str) -> Callable:
    """Declare the roles of a DICOMweb endpoint and authenticate: 401 without credentials, 403 without the role."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            token_user = _token_user(request)
            if token_user is not None:
                request.user = token_user
            elif not request.user.is_authenticated:
                response = HttpResponse("Authentication required.", status=401, content_type="text/plain")
                response["WWW-Authenticate"] = 'Token realm="Lumen DICOMweb"'
                return response
            elif request.method not in ("GET", "HEAD", "OPTIONS") and _csrf_refused(request):
                return HttpResponse("CSRF check failed.", status=403, content_type="text/plain")
            if not request.user.has_role(*roles):
                return HttpResponse(
                    "Your role does not give access to this service.", status=403, content_type="text/plain"
                )
            return view(request, *args, **kwargs)

        return _declare(csrf_exempt(wrapped), roles)

    return decorator
