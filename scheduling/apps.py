from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Resources, calendars, appointments, the modality worklist and MPPS."""

    name = "scheduling"

    def ready(self) -> None:
        from ris.events import order_status_changed
        from scheduling.receivers import on_order_status_changed

        order_status_changed.connect(on_order_status_changed, dispatch_uid="scheduling-order-cancelled")
