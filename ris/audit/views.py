"""The access log for administrators: list, filter, export (the export is itself logged)."""

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from common.paging import page_of
from ris.accounts.choices import Role
from ris.accounts.roles import roles_required
from ris.audit.choices import Action
from ris.audit.filtersets import AccessLogFilterSet
from ris.audit.models import AccessLog
from ris.audit.services import query_of, record_access

EXPORT_COLUMNS = [
    "at",
    "username",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "patient_mrn",
    "address",
    "channel",
]


def _filtered(request):
    queryset = AccessLog.objects.select_related("patient")
    filterset = AccessLogFilterSet(request.GET or None, queryset=queryset)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    return filterset, rows


@roles_required(Role.ADMIN)
def access_log(request):
    filterset, rows = _filtered(request)
    return render(request, "audit/list.html", {"filterset": filterset, "page": page_of(rows, request, per_page=100)})


class _Echo:
    def write(self, value):
        return value


@roles_required(Role.ADMIN)
def access_log_export(request):
    """CSV of the filtered entries, streamed so a year of log does not load into memory."""
    filterset, rows = _filtered(request)
    record_access(
        request=request,
        action=Action.EXPORT,
        object_type="audit.accesslog",
        channel="export",
        detail={"query": query_of(request.GET)},
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(EXPORT_COLUMNS)
        for entry in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    entry.at.isoformat(),
                    entry.username,
                    entry.action,
                    entry.outcome,
                    entry.object_type,
                    entry.object_id,
                    entry.patient.mrn if entry.patient else "",
                    entry.address or "",
                    entry.channel,
                ]
            )

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lumen-access-log-{stamp}.csv"'
    return response
