from django.apps import AppConfig


class Hl7Config(AppConfig):
    """HL7 v2 over MLLP: message log, inbound handlers, outbound partners and queue."""

    name = "ris.hl7"
    label = "hl7"
