from django.apps import AppConfig


class Hl7Config(AppConfig):
    """HL7 v2 over MLLP: message log, inbound handlers, outbound partners and queue."""

    name = "ris.hl7"
    label = "hl7"
    verbose_name = "HL7 interfaces"

    def ready(self) -> None:
        from ris import events
        from ris.hl7 import receivers

        events.order_status_changed.connect(receivers.on_order_status_changed, dispatch_uid="hl7-order-status")
        events.appointment_changed.connect(receivers.on_appointment_changed, dispatch_uid="hl7-appointment")
        events.report_status_changed.connect(receivers.on_report_status_changed, dispatch_uid="hl7-report")
