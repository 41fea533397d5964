import io

from pypdf import PdfReader

from reporting import services
from ris.audit.models import AccessLog
from tests.conftest import PASSWORD, login


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_pdf_carries_patient_impression_signer_and_addenda(client, signed, radiologist):
    services.add_addendum(report=signed, actor=radiologist, password=PASSWORD, text="Neurosurgery informed.")
    login(client, radiologist)
    response = client.get(f"/reports/{signed.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response)
    assert "MÜLLER, Zoë" in text
    assert "Acute subdural haematoma." in text
    assert "Electronically signed by Rita Test (NPI 1234567893)" in text
    assert "Neurosurgery informed." in text
    assert signed.order.accession_number in text
    assert AccessLog.objects.filter(action="export", object_type="reporting.report", object_id=str(signed.pk)).exists()


def test_a_draft_has_no_pdf(client, claimed, radiologist):
    login(client, radiologist)
    assert client.get(f"/reports/{claimed.pk}/pdf/").status_code == 404
