from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Report templates, reports and addenda, dictation, signing, critical results, peer review, the portal."""

    name = "reporting"
