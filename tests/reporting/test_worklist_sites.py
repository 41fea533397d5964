"""The reading worklist's site filter lists the sites of modalities' rooms; a modality without a room has none."""

from ris.equipment.models import Modality, Room
from tests.conftest import login


def test_it_offers_room_sites_and_copes_with_a_modality_without_a_room(client, radiologist, db):
    Modality.objects.create(name="Portable DX", modality_type="DX", ae_title="PORTABLE1", room=None)
    Modality.objects.create(
        name="CT North", modality_type="CT", ae_title="CTNORTH", room=Room.objects.create(name="CT 1", site="North")
    )
    Modality.objects.create(
        name="MR Annex", modality_type="MR", ae_title="MRANNEX", room=Room.objects.create(name="MR 1", site="")
    )
    login(client, radiologist)

    response = client.get("/reports/")

    assert response.status_code == 200
    assert list(response.context["filterset"].form.fields["site"].choices) == [("", "---------"), ("North", "North")]


def test_each_worklist_row_opens_its_images_in_the_viewer_without_a_query_per_row(
    client, radiologist, exam, storage_root, tmp_path, patient, make_order, complete, django_assert_max_num_queries
):
    from pacs import services as pacs_services
    from pacs.models import Study
    from tests.pacs.conftest import write_series

    study_uid, paths = write_series(tmp_path / "s", 1, accession=exam.accession_number, patient_name="Müller^Zoë")
    for path in paths:
        pacs_services.ingest_file(path, source="X", owned=False)
    Study.objects.filter(study_instance_uid=study_uid).update(order=exam, patient=exam.patient)
    login(client, radiologist)
    client.get("/reports/")  # warm the session
    with django_assert_max_num_queries(12) as few:
        client.get("/reports/")
    for _ in range(5):
        complete(make_order(patient))

    with django_assert_max_num_queries(len(few.captured_queries)):
        text = client.get("/reports/").content.decode()

    assert f'href="/viewer/viewer?StudyInstanceUIDs={study_uid}"' in text
    assert text.count("none yet") == 5
