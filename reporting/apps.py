from django.apps import AppConfig
from django.core import checks


class ReportingConfig(AppConfig):
    """Report templates, reports and addenda, dictation, signing, critical results, peer review, the portal."""

    name = "reporting"

    def ready(self) -> None:
        checks.register(check_transcriber)


def check_transcriber(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """LUMEN_TRANSCRIBER must name a class with ``transcribe(path, content_type)``: fail at start, not at the
    first dictation."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    try:
        transcriber = import_string(settings.LUMEN_TRANSCRIBER)
    except ImportError as exc:
        return [
            checks.Error(
                f"LUMEN_TRANSCRIBER={settings.LUMEN_TRANSCRIBER!r} cannot be imported: {exc}", id="reporting.E001"
            )
        ]
    if not callable(getattr(transcriber, "transcribe", None)):
        return [
            checks.Error(f"LUMEN_TRANSCRIBER={settings.LUMEN_TRANSCRIBER!r} has no transcribe()", id="reporting.E002")
        ]
    return []
