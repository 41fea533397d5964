"""HL7 2.3.1 is accepted as well as 2.5.1 (its NAKs carry the 2.3.1 ERR-1), MSH-18 8859/1 is decoded as
Latin-1, and A03 / A11 are accepted for a known patient without changing anything."""

from ris.hl7 import mllp
from ris.hl7.models import Message
from ris.patients.models import Patient
from tests.hl7.conftest import adt, frame, segments, send_raw


def test_it_accepts_a_2_3_1_message_and_answers_in_2_3_1(hl7_listener):
    ack = segments(send_raw(hl7_listener, frame(adt("A04", "V231").replace("|2.5.1|", "|2.3.1|"))))
    bad = segments(send_raw(hl7_listener, frame(adt("A04", "V231B", birth="1975").replace("|2.5.1|", "|2.3.1|"))))

    assert ack["MSH"][11] == "2.3.1"
    assert ack["MSA"][1] == "AA"
    assert Patient.objects.count() == 1
    assert bad["ERR"][1] == "PID^1^7^102&Data type error"
    assert bad["ERR"][2] == "PID^1^7"


def test_it_decodes_latin_1_when_msh_18_says_8859_1(hl7_listener):
    message = adt("A04", "LATIN1").replace("UNICODE UTF-8", "8859/1").encode("latin-1")

    ack = segments(send_raw(hl7_listener, mllp.wrap(message)))

    assert ack["MSA"][1] == "AA"
    assert Patient.objects.get().given_name == "Zoë"
    assert "Müller^Zoë" in Message.objects.get().raw


def test_it_accepts_a03_and_a11_for_a_known_patient_and_refuses_them_for_an_unknown_one(hl7_listener):
    send_raw(hl7_listener, frame(adt("A04", "REG")))
    discharge = segments(send_raw(hl7_listener, frame(adt("A03", "DIS"))))
    cancel = segments(send_raw(hl7_listener, frame(adt("A11", "CXL"))))
    unknown = segments(send_raw(hl7_listener, frame(adt("A03", "DIS2", mrn="000"))))

    assert (discharge["MSA"][1], cancel["MSA"][1]) == ("AA", "AA")
    assert discharge["MSA"][3] == "Lumen keeps no visits: nothing to change."
    assert unknown["ERR"][8] == "No patient 000 from GENHOSP is known."
