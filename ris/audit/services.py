"""Writing the access log. Every read, search or export of patient data calls ``record_access``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import Http404

from ris.audit.choices import Action, Outcome
from ris.audit.models import AccessLog


def client_address(request) -> str | None:
    """The client's IP address.

    Behind Lumen's own proxy (``LUMEN_BEHIND_TLS_PROXY``; deploy/nginx sets X-Forwarded-For to the one address
    it saw) that header is the client; anywhere else it could be forged, so REMOTE_ADDR is used.
    """
    if request is None:
        return None
    if settings.LUMEN_BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


def printable(text: str) -> str:
    """NUL cannot be stored in PostgreSQL text or JSON; control characters have no place in the log either."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)[:500]


def query_of(params) -> dict[str, str | list[str]]:
    """A request's query parameters for the log: one value as text, a repeated parameter as its list."""
    return {
        printable(key): printable(values[0]) if len(values) == 1 else [printable(v) for v in values]
        for key, values in params.lists()
    }


def record_access(
    *,
    request=None,
    user=None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    patient: Any = None,
    outcome: str = Outcome.SUCCESS,
    channel: str = "ui",
    detail: dict | None = None,
    username: str = "",
    address: str | None = None,
) -> AccessLog:
    """Append one access-log entry.

    ``obj`` is the record touched (its model name and pk are kept), or ``object_type`` names the kind of
    record a search or list went through; ``patient`` is the patient whose data it
    is (an instance or a pk) so the patient's full access history is one indexed query.
    """
    if user is None and request is not None:
        user = request.user
    if user is not None and not user.is_authenticated:
        user = None
    patient_id = getattr(patient, "pk", patient)
    return AccessLog.objects.create(
        user=user,
        username=user.get_username() if user is not None else username,
        action=action,
        outcome=outcome,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        address=client_address(request) or address,
        channel=channel,
        detail=detail or {},
    )


def record_search(request, object_type: str, rows, **detail) -> AccessLog:
    """Log a list or search page: the query as sent and the ids of the records it showed."""
    return record_access(
        request=request,
        action=Action.SEARCH,
        object_type=object_type,
        detail={"query": query_of(request.GET), "returned_ids": [r.pk for r in rows], **detail},
    )


def visible_record(request, queryset, pk: int, *, patient_of, missing: str):
    """The record ``pk`` if this user may see it (``queryset.for_user``); every page showing patient data reads
    its record through here.

    A GET is written to the access log as a view. A record outside the user's scope answers 404, as one that
    does not exist (so ids cannot be probed), and the refused attempt is logged.
    """
    record = queryset.filter(pk=pk).first()
    if record is None:
        raise Http404(missing)
    if not queryset.model.objects.for_user(request.user).filter(pk=pk).exists():
        record_access(
            request=request, action=Action.VIEW, obj=record, patient=patient_of(record), outcome=Outcome.DENIED
        )
        raise Http404(missing)
    if request.method == "GET":
        record_access(request=request, action=Action.VIEW, obj=record, patient=patient_of(record))
    return record


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    record_access(request=request, user=user, action=Action.LOGIN)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_access(request=request, user=user, action=Action.LOGOUT)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    record_access(
        request=request,
        action=Action.LOGIN_FAILED,
        outcome=Outcome.FAILURE,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
