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


def test_marked_key_images_are_printed(client, claimed, radiologist, storage_root, tmp_path):
    from pacs import services as pacs_services
    from pacs.models import Instance, Study
    from tests.pacs.conftest import write_series

    study_uid, paths = write_series(tmp_path / "k", 2, accession=claimed.order.accession_number)
    for path in paths:
        pacs_services.ingest_file(path, source="X", owned=False)
    Study.objects.filter(study_instance_uid=study_uid).update(order=claimed.order, patient=claimed.order.patient)
    first = Instance.objects.order_by("instance_number").first()
    login(client, radiologist)
    assert client.get(f"/reports/{claimed.pk}/").context["instances"][0] == first
    client.post(f"/reports/{claimed.pk}/key-images/", {"key": [first.sop_instance_uid]})
    client.post(f"/reports/{claimed.pk}/key-images/", {"key": ["1.2.3"]})  # refused: not this exam's
    assert type(claimed).objects.get(pk=claimed.pk).key_images == [first.sop_instance_uid]
    services.sign_report(report=claimed, actor=radiologist, password=PASSWORD, sections={"impression": "Normal."})
    reader = PdfReader(io.BytesIO(client.get(f"/reports/{claimed.pk}/pdf/").content))
    assert "Key images" in reader.pages[-1].extract_text() or "Key images" in reader.pages[0].extract_text()
    assert sum(len(page.images) for page in reader.pages) == 1
