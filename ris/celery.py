"""Lumen's Celery application.

Without ``CELERY_BROKER_URL`` tasks run eagerly in the calling process (the embedded default); with it
(Redis in production) they go to workers started with ``celery -A ris worker -Q default,dicom,hl7,archive``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ris.settings")

app = Celery("ris")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
