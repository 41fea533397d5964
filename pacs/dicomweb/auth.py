"""DICOMweb authentication: the user's session (same-origin viewer, CSRF-checked for writes) or a token."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authtoken.models import Token

from ris.accounts.roles import _declare

# Token key -> (valid until, the user's column values, the user's roles). Machine clients send a request per
# image or search; looking the token, its user and the user's groups up each time cost about 1 ms of a 3 ms
# search. A change to a token, a user or a user's groups empties the cache in the process that made it; the
# other web processes see it within LUMEN_TOKEN_CACHE_SECONDS.
_tokens: dict[str, tuple[float, tuple, frozenset[str]]] = {}
_generation = [0]  # counts forgettings: a look-up that began before one does not store what it read


def _token_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() not in ("token", "bearer") or not key:
        return None
    now = time.monotonic()
    cached = _tokens.get(key)
    if cached is None or cached[0] <= now:
        generation = _generation[0]
        token = Token.objects.select_related("user").filter(key=key).first()
        if token is None or not token.user.is_active:
            _tokens.pop(key, None)
            return None
        user = token.user
        cached = (now + settings.LUMEN_TOKEN_CACHE_SECONDS, _row(user), user.role_names)
        if settings.LUMEN_TOKEN_CACHE_SECONDS > 0 and generation == _generation[0]:
            _tokens[key] = cached
    # A fresh object for each request: nothing one request sets on its user reaches another.
    user = _user_model().from_db("default", _field_names(), cached[1])
    user.__dict__["role_names"] = cached[2]
    return user


def _user_model():
    return get_user_model()


def _field_names() -> list[str]:
    return [f.attname for f in _user_model()._meta.concrete_fields]


def _row(user) -> tuple:
    return tuple(getattr(user, name) for name in _field_names())


@receiver(post_save, sender=Token)
@receiver(post_delete, sender=Token)
@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
@receiver(m2m_changed, sender=get_user_model().groups.through)
def _forget_tokens(**kwargs) -> None:
    _forget()
    # Again once the change is committed: a request may have read the old row in between.
    transaction.on_commit(_forget)


def _forget() -> None:
    _generation[0] += 1
    _tokens.clear()


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
