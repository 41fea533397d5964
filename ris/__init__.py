"""Lumen: the Django project package and the core RIS apps."""

from ris.celery import app as celery_app

__all__ = ["celery_app"]
