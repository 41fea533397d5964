"""PACS background work. Tasks take primary keys, are idempotent, and run on the ``dicom`` queue."""

from __future__ import annotations

import logging

from celery import shared_task

from pacs import services
from pacs.models import Instance, Study

logger = logging.getLogger(__name__)


class HeadersNotYetRewritten(Exception):
    """Some files of the study could not be rewritten this time; the task runs again."""


@shared_task(queue="dicom", acks_late=True, autoretry_for=(HeadersNotYetRewritten,), retry_backoff=True, max_retries=8)
def rewrite_study_headers_task(study_pk: int) -> int:
    """Make every stored header of the study carry the study's (reconciled) identity; returns files rewritten.

    Each instance is handled on its own: one unreadable file does not stop the others, and the task retries
    until every header agrees with the index.
    """
    study = Study.objects.get(pk=study_pk)
    values = services.header_values(study)
    rewritten, failed = 0, 0
    for instance in Instance.objects.filter(series__study=study).select_related("series__study").iterator():
        try:
            rewritten += services.rewrite_instance_header(instance, values)
        except Exception:
            logger.exception("Header rewrite of one instance of study %s failed", study_pk)
            failed += 1
    if failed:
        raise HeadersNotYetRewritten(f"{failed} instance(s) of study {study_pk} still to rewrite")
    return rewritten


@shared_task(queue="dicom", acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_study_task(study_pk: int, node_pk: int, requested_by: str = "") -> dict[str, int]:
    """Send a study to a registered node by C-STORE (the UI's "send to")."""
    from pacs.dicom.scu import send_instances
    from pacs.models import DicomNode

    node = DicomNode.objects.get(pk=node_pk)
    instances = list(Instance.objects.filter(series__study_id=study_pk).order_by("series_id", "instance_number", "id"))
    return send_instances(instances, node.ae_title, node.host, node.port)
