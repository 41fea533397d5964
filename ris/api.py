"""Shared REST API pieces: paging, error format, and the access-logging viewset base."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ris.audit.choices import Action
from ris.audit.services import query_of, record_access


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``; answers carry ``count``, ``next`` and ``previous``."""

    default_limit = 50
    max_limit = 500


def exception_handler(exc, context):
    """Domain errors raised by services (Django ValidationError) become HTTP 400 with field messages."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {("non_field_errors" if k == NON_FIELD_ERRORS else k): v for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


class AccessLoggedMixin:
    """Writes the access log for API reads: one entry per retrieved record, one per list/search page.

    Subclasses say whose data an object is with ``patient_of(obj)``.
    """

    def patient_of(self, obj):
        raise NotImplementedError

    def filter_queryset(self, queryset):
        """Filters narrow lists; a record addressed by its id is found whatever the list filters would say."""
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        record_access(request=request, action=Action.VIEW, obj=obj, patient=self.patient_of(obj), channel="api")
        return Response(self.get_serializer(obj).data)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        data = response.data
        results = data.get("results", []) if isinstance(data, dict) else data
        record_access(
            request=request,
            action=Action.SEARCH,
            object_type=self.get_queryset().model._meta.label_lower,
            channel="api",
            detail={"query": query_of(request.query_params), "returned_ids": [row["id"] for row in results]},
        )
        return response
