"""Declaring who may use a page or an endpoint.

Every view states the roles allowed to use it; ``RoleGateMiddleware`` refuses any view that states
nothing (deny by default). Three ways to declare, one rule behind them:

* function views: ``@roles_required(Role.FRONT_DESK, ...)``, or ``@public`` for the few pages anyone may open;
* class-based views: ``allowed_roles = (...)`` (``RoleRequiredMixin`` enforces it);
* DRF viewsets: ``allowed_roles = (...)`` for reads, optionally ``write_roles`` for writes, or a per-action
  dict ``action_roles``; ``HasRole`` enforces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ris.accounts.choices import Role

PUBLIC = "__public__"


def _declare(view: Callable, roles: Iterable[str]) -> Callable:
    view.lumen_roles = frozenset(roles)  # type: ignore[attr-defined]
    return view


def check_roles(request, roles: frozenset[str]):
    """None when the request may go on; else the response (login redirect) or raise PermissionDenied."""
    if PUBLIC in roles:
        return None
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.has_role(*roles):
        raise PermissionDenied("Your role does not give access to this page.")
    return None


def roles_required(*roles: Role) -> Callable:
    """Allow the decorated function view to the given roles only."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            refused = check_roles(request, frozenset(roles))
            if refused is not None:
                return refused
            return view(request, *args, **kwargs)

        return _declare(wrapped, roles)

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view that needs no login (login page, health check)."""
    return _declare(view, {PUBLIC})


class RoleRequiredMixin:
    """Class-based views: set ``allowed_roles``; anyone else gets 403 (anonymous users: the login page)."""

    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        refused = check_roles(request, frozenset(self.allowed_roles))
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)


def roles_for_api_view(view, method: str) -> frozenset[str]:
    """The roles a DRF view allows for this request's action and method."""
    action_roles = getattr(view, "action_roles", None) or {}
    action = getattr(view, "action", None)
    if action in action_roles:
        return frozenset(action_roles[action])
    if method not in SAFE_METHODS and getattr(view, "write_roles", None) is not None:
        return frozenset(view.write_roles)
    return frozenset(getattr(view, "allowed_roles", ()))


class HasRole(BasePermission):
    """DRF permission: the user must hold one of the roles the view declares; no declaration, no access."""

    message = "Your role does not give access to this endpoint."

    def has_permission(self, request, view) -> bool:
        roles = roles_for_api_view(view, request.method)
        if PUBLIC in roles:
            return True
        user = request.user
        return bool(user and user.is_authenticated and roles and user.has_role(*roles))
