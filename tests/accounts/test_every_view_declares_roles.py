"""Deny by default: every URL's view says who may use it, and a view that says nothing is refused."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from ris.accounts.middleware import RoleGateMiddleware, declared_roles


def iter_views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from iter_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_lumen_view_declares_its_roles():
    undeclared = [
        route
        for route, view in iter_views(get_resolver().url_patterns)
        if not route.startswith("admin/") and declared_roles(view) is None
    ]
    assert undeclared == []


def test_a_view_that_declares_nothing_is_refused_to_everyone(admin_user):
    def careless_view(request):  # pragma: no cover - never reached
        raise AssertionError("the gate let an undeclared view run")

    request = RequestFactory().get("/careless/")
    request.user = admin_user
    gate = RoleGateMiddleware(lambda r: None)
    with pytest.raises(PermissionDenied):
        gate.process_view(request, careless_view, (), {})
