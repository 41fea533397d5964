"""Demo data for the HL7 interface: a (disabled) EHR partner and a few messages received through the real
inbound path, one of them refused, so the message log has something to show. Safe to run twice."""

from __future__ import annotations

from ris.hl7 import outbound, services
from ris.hl7.choices import OutboundType
from ris.hl7.models import Message, Partner
from ris.patients.models import Patient

MSH = "MSH|^~\\&|DEMOEHR|GENHOSP|LUMEN|RADIOLOGY|20261201080000||{type}|{control}|P|2.5.1|||AL|NE||UNICODE UTF-8"


def messages(patient: Patient, npi: str) -> list[tuple[str, str, list[str]]]:
    """An A08 for a demo patient (their own details: nothing changes), an order for them, and an order for a
    procedure the catalog does not have (refused AE)."""
    pid = outbound.pid(patient)
    doctor = f"{npi}^House^Gregory^^^Dr.^^^NPI"
    return [
        ("DEMO-ADT-1", "ADT^A08^ADT_A01", [pid, "PV1|1|O|RAD^^^GENHOSP", "ZPI|1|VIP^N"]),
        (
            "DEMO-ORM-1",
            "ORM^O01^ORM_O01",
            [
                pid,
                f"ORC|NW|EHR-50001^DEMOEHR|||||^^^^^R|||||{doctor}",
                "OBR|1|EHR-50001^DEMOEHR||CT-HEAD^CT head without contrast^L" + "|" * 27 + "^Dizziness and falls",
                "DG1|1||R42^Dizziness and giddiness^I10",
            ],
        ),
        (
            "DEMO-ORM-2",
            "ORM^O01^ORM_O01",
            [
                pid,
                f"ORC|NW|EHR-50002^DEMOEHR|||||^^^^^R|||||{doctor}",
                "OBR|1|EHR-50002^DEMOEHR||PET-WB^PET whole body^L" + "|" * 27 + "^Staging",
            ],
        ),
    ]


def seed(*, users, stdout) -> None:
    Partner.objects.get_or_create(
        name="Demo EHR",
        defaults={
            "host": "127.0.0.1",
            "port": 2576,
            "application": "DEMOEHR",
            "facility": "GENHOSP",
            "message_types": [OutboundType.SIU, OutboundType.ORU, OutboundType.ORM],
            "enabled": False,
        },
    )
    patient = Patient.objects.filter(merged_into__isnull=True).order_by("id").first()
    doctor = users.get("drhouse")
    npi = getattr(getattr(doctor, "provider_profile", None), "npi", "")
    if patient is None or not npi:
        return
    received = 0
    for control, kind, segments in messages(patient, npi):
        if Message.objects.filter(dedup_key=f"DEMOEHR^GENHOSP|{control}").exists():
            continue
        services.receive("\r".join([MSH.format(type=kind, control=control), *segments]).encode(), peer="demo")
        received += 1
    stdout.write(f"HL7: demo partner (disabled) and {received} received messages (one refused: unknown procedure).")
