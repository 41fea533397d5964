"""Deny by default: a view that does not say who may use it is refused to everyone."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied

logger = logging.getLogger(__name__)

# Django's admin does its own access check (LumenAdminSite: admin role only); static files are not views.
_SELF_GUARDED_PREFIXES = ("django.contrib.admin.", "ris.admin_site.", "django.views.static.")


class RoleGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if declared_roles(view_func) is not None:
            return
        module = getattr(view_func, "__module__", "") or ""
        if (
            module.startswith(_SELF_GUARDED_PREFIXES)
            or hasattr(view_func, "admin_site")
            or hasattr(view_func, "model_admin")
        ):
            return
        logger.error("View %s.%s declares no roles; refused", module, getattr(view_func, "__name__", "?"))
        raise PermissionDenied("This page is not open to any role.")


def declared_roles(view_func) -> frozenset[str] | None:
    """The roles a resolved view declares, or None when it declares nothing."""
    if hasattr(view_func, "lumen_roles"):
        return view_func.lumen_roles
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    if view_class is not None:
        roles = set(getattr(view_class, "allowed_roles", ()) or ())
        roles |= set(getattr(view_class, "write_roles", ()) or ())
        for action_roles in (getattr(view_class, "action_roles", None) or {}).values():
            roles |= set(action_roles)
        return frozenset(roles) if roles else None
    return None
