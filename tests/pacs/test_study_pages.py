"""Study pages: list and search, the study page, send-to a node, reconciliation from the UI."""

import threading

import pytest
from django.urls import reverse
from pynetdicom import AE, AllStoragePresentationContexts, evt

from pacs import services
from pacs.models import DicomNode, Study
from ris.audit.models import AccessLog
from tests.pacs.conftest import free_port, write_series


@pytest.fixture
def studies(storage_root, db, tmp_path, patient, make_order):
    order = make_order(patient)
    _uid, linked = write_series(
        tmp_path / "a",
        2,
        accession=order.accession_number,
        patient_id=patient.mrn,
        patient_name="Müller^Zoë",
        study_date="20260110",
        description="CT HEAD",
    )
    _uid, stray = write_series(
        tmp_path / "b", 1, patient_id="X1", patient_name="Stray^Sam", study_date="20260220", description="CHEST"
    )
    for path in linked + stray:
        services.ingest_file(path, source="CT1", owned=False)
    return Study.objects.get(order=order), Study.objects.get(dicom_patient_id="X1"), order


def test_the_study_list_searches_by_patient_accession_date_and_modality(client, radiologist, studies):
    linked, stray, order = studies
    client.force_login(radiologist)

    def listed(**params):
        return [s.pk for s in client.get(reverse("pacs:studies"), params).context["page"].rows]

    assert listed() == [stray.pk, linked.pk]
    assert listed(q="müller") == [linked.pk]
    assert listed(q=order.accession_number) == [linked.pk]
    assert listed(q="X1") == [stray.pk]
    assert listed(date_from="2026-02-01") == [stray.pk]
    assert listed(modality="ct", date_to="2026-01-31") == [linked.pk]
    assert listed(match_state="unmatched") == [stray.pk]


def test_a_referring_physician_sees_only_studies_of_their_orders(client, referring_doctor, studies):
    linked, stray, order = studies
    order.referring_physician = referring_doctor
    order.save()
    client.force_login(referring_doctor)
    assert [s.pk for s in client.get(reverse("pacs:studies")).context["page"].rows] == [linked.pk]
    assert client.get(reverse("pacs:study", args=[stray.pk])).status_code == 404
    assert AccessLog.objects.filter(outcome="denied", object_type="pacs.study").count() == 1


def test_the_study_page_shows_series_order_and_is_logged(client, radiologist, studies):
    linked, _stray, order = studies
    client.force_login(radiologist)
    page = client.get(reverse("pacs:study", args=[linked.pk])).content.decode()
    assert order.accession_number in page
    assert "1 series, 2 images" in page
    entry = AccessLog.objects.filter(action="view", object_type="pacs.study").get()
    assert entry.patient == linked.patient


def test_send_to_pushes_the_study_to_the_node_by_c_store(client, radiologist, studies, transactional_db):
    linked, _stray, _order = studies
    received, done = [], threading.Event()

    def on_store(event):
        received.append(event.dataset.SOPInstanceUID)
        if len(received) == 2:
            done.set()
        return 0x0000

    port = free_port()
    receiver = AE("WS1")
    receiver.supported_contexts = AllStoragePresentationContexts
    server = receiver.start_server(("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    node = DicomNode.objects.create(ae_title="WS1", host="127.0.0.1", port=port, services=["store"])
    try:
        client.force_login(radiologist)
        response = client.post(reverse("pacs:send", args=[linked.pk]), {"node": node.pk}, follow=True)
        assert "Sending 2 images to WS1." in response.content.decode()
        assert done.wait(timeout=20)
    finally:
        server.shutdown()
    assert sorted(received) == sorted(linked.series.get().instances.values_list("sop_instance_uid", flat=True))
    assert AccessLog.objects.get(action="export").detail == {"to": "WS1"}


def test_front_desk_reconciles_a_stray_study_from_its_page(client, front_desk, studies, make_order, patient):
    _linked, stray, _order = studies
    other_order = make_order(patient)
    client.force_login(front_desk)
    assert "Link it to the right order" in client.get(reverse("pacs:study", args=[stray.pk])).content.decode()
    bad = client.post(reverse("pacs:reconcile", args=[stray.pk]), {"accession_number": "NOPE"})
    assert bad.context["form"].errors == {"accession_number": ["No order has this accession number."]}
    done = client.post(
        reverse("pacs:reconcile", args=[stray.pk]), {"accession_number": other_order.accession_number.lower()}
    )
    assert done.status_code == 302
    stray.refresh_from_db()
    assert (stray.order, stray.match_state, stray.dicom_patient_id) == (other_order, "matched", patient.mrn)
