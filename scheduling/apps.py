from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Resources, calendars, appointments, the modality worklist and MPPS."""

    name = "scheduling"
