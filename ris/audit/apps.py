from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ris.audit"
    label = "audit"
    verbose_name = "Access audit trail"

    def ready(self) -> None:
        from ris.audit import services  # noqa: F401  (sign-in/sign-out receivers)
