from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Payers, fee schedules, charge capture, claims and claim export."""

    name = "billing"

    def ready(self) -> None:
        from billing import receivers
        from ris.events import order_status_changed, performed_details_changed, report_status_changed

        order_status_changed.connect(receivers.on_order_status_changed, dispatch_uid="billing-capture")
        report_status_changed.connect(receivers.on_report_status_changed, dispatch_uid="billing-professional")
        performed_details_changed.connect(receivers.on_performed_details_changed, dispatch_uid="billing-performed")
