"""ADT IN1 segments become the patient's coverages (payer, member ID, plan, group, dates, insured), updated in
place when the EHR sends the same coverage again; an IN1 without payer or member ID is skipped with a note."""

from ris.hl7.models import Message
from ris.patients.models import Patient
from tests.hl7.conftest import adt, frame, segments, send_raw

FIXTURE_IN1 = (
    "IN1|1|BCBS01^Blue Cross PPO|60054^^^NAIC|Blue Cross Blue Shield of Illinois|||G-77812||||||||1|Müller^Zoë"
)


def in1(set_id: int, *, payer: str, member: str, plan: str = "PPO", group: str = "G-1", dates=("", ""), insured=""):
    fields = [""] * 50
    fields[1], fields[2], fields[4], fields[8] = str(set_id), f"P{set_id}^{plan}", payer, group
    fields[12], fields[13] = dates
    if insured:
        fields[16], fields[17] = insured, "SPO^Spouse^HL70063"
    fields[36] = member
    return "IN1|" + "|".join(fields[1:37])


def send_adt(port, control, *insurances, trigger="A04"):
    message = adt(trigger, control).replace(FIXTURE_IN1, "\r".join(insurances))
    return segments(send_raw(port, frame(message)))


def test_it_records_each_in1_as_a_coverage(hl7_listener):
    ack = send_adt(
        hl7_listener,
        "INS1",
        in1(1, payer="Acme Health", member="ACM123", dates=("20260101", "20261231")),
        in1(2, payer="Northwind Mutual", member="NW-9", plan="Gold", insured="Müller^Hans"),
    )

    assert ack["MSA"][1:3] == ["AA", "INS1"]
    patient = Patient.objects.get(mrn="4455667")
    rows = [
        (
            c.priority,
            c.payer_name,
            c.member_id,
            c.plan_name,
            c.group_number,
            str(c.valid_from),
            str(c.valid_to),
            c.subscriber_relationship,
            c.subscriber_name,
        )
        for c in patient.coverages.order_by("priority")
    ]
    assert rows == [
        (1, "Acme Health", "ACM123", "PPO", "G-1", "2026-01-01", "2026-12-31", "self", ""),
        (2, "Northwind Mutual", "NW-9", "Gold", "G-1", "None", "None", "spouse", "Hans Müller"),
    ]


def test_the_same_coverage_sent_again_is_updated_not_added(hl7_listener):
    send_adt(hl7_listener, "INS2", in1(1, payer="Acme Health", member="ACM123", group="OLD"))
    ack = send_adt(hl7_listener, "INS3", in1(1, payer="ACME HEALTH", member="ACM123", group="NEW"), trigger="A08")

    assert ack["MSA"][1] == "AA"
    [coverage] = Patient.objects.get(mrn="4455667").coverages.all()
    assert (coverage.payer_name, coverage.group_number) == ("Acme Health", "NEW")


def test_an_in1_without_member_id_is_skipped_and_the_registration_stands(hl7_listener):
    ack = send_adt(hl7_listener, "INS4", FIXTURE_IN1)

    assert ack["MSA"][1] == "AA"
    assert ack["MSA"][3] == "Coverage of IN1 segment 1 skipped: no member ID (IN1-36)."
    patient = Patient.objects.get(mrn="4455667")
    assert patient.coverages.count() == 0
    assert Message.objects.get(control_id="INS4").reason == "Coverage of IN1 segment 1 skipped: no member ID (IN1-36)."


def test_a_bad_coverage_date_is_refused_and_nothing_is_registered(hl7_listener):
    ack = send_adt(hl7_listener, "INS5", in1(1, payer="Acme Health", member="ACM123", dates=("20261301", "")))

    assert ack["MSA"][1] == "AE"
    assert ack["ERR"][2] == "IN1^1^12"
    assert not Patient.objects.filter(mrn="4455667").exists()
