import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reporting import services
from reporting.models import Report
from ris.audit.models import AccessLog
from tests.conftest import login


def test_it_lists_completed_exams_stat_first_with_their_waiting_time(
    client, radiologist, patient, make_order, complete, xr_chest
):
    routine = complete(make_order(patient, priority="routine"))
    stat = complete(make_order(patient, priority="stat", procedure=xr_chest))
    make_order(patient)  # still ordered: not on the worklist
    login(client, radiologist)
    response = client.get("/reports/")
    assert response.status_code == 200
    assert [o.pk for o in response.context["page"].rows] == [stat.pk, routine.pk]
    assert "minute" in response.content.decode()
    assert AccessLog.objects.filter(user=radiologist, action="search", object_type="orders.order").exists()


def test_it_lists_in_progress_exams_once_images_arrived(client, radiologist, patient, make_order, technologist):
    from ris.orders import services as order_services

    order = make_order(patient)
    for status in ("arrived", "in_progress"):
        order = order_services.change_order_status(order=order, to=status, actor=technologist)
    login(client, radiologist)
    assert client.get("/reports/").context["page"].rows == []
    type(order).objects.filter(pk=order.pk).update(images_received_at=timezone.now())
    assert [o.pk for o in client.get("/reports/").context["page"].rows] == [order.pk]


def test_it_filters_by_modality_and_assignment(client, radiologist, patient, make_order, complete, xr_chest):
    ct = complete(make_order(patient))
    xr = complete(make_order(patient, procedure=xr_chest))
    services.claim_report(order=ct, actor=radiologist)
    login(client, radiologist)
    assert [o.pk for o in client.get("/reports/?modality=DX").context["page"].rows] == [xr.pk]
    assert [o.pk for o in client.get("/reports/?assigned=mine").context["page"].rows] == [ct.pk]
    assert [o.pk for o in client.get("/reports/?assigned=unassigned").context["page"].rows] == [xr.pk]
    assert [o.pk for o in client.get("/reports/?body_part=chest").context["page"].rows] == [xr.pk]


def test_it_lets_only_one_radiologist_claim_a_study(client, exam, radiologist, radiologist2):
    login(client, radiologist)
    response = client.post(f"/reports/claim/{exam.pk}/")
    report = Report.objects.get(order=exam)
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.pk}/"
    assert report.claimed_by == radiologist
    with pytest.raises(ValidationError, match="Rita Test has already claimed this study"):
        services.claim_report(order=exam, actor=radiologist2)
    login(client, radiologist2)
    response = client.post(f"/reports/claim/{exam.pk}/", follow=True)
    assert "Rita Test has already claimed this study." in response.content.decode()
    assert Report.objects.get(order=exam).claimed_by == radiologist


def test_a_claim_starts_from_the_procedure_template(claimed, exam):
    assert [k for k, _t in claimed.section_titles] == [
        "clinical_information",
        "technique",
        "comparison",
        "findings",
        "impression",
    ]
    assert claimed.sections["technique"] == "Axial CT of the head."
    assert claimed.sections["clinical_information"] == "Headache (R51.9)"


def test_the_editor_shows_priors_of_the_same_patient(client, radiologist, signed, patient, make_order, complete):
    second = services.claim_report(order=complete(make_order(patient)), actor=radiologist)
    login(client, radiologist)
    response = client.get(f"/reports/{second.pk}/")
    assert [p.pk for p in response.context["priors"]] == [signed.pk]
    assert "Acute subdural haematoma." in response.content.decode()


def test_the_worklist_is_for_readers_only(client, front_desk, referring_doctor):
    for user in (front_desk, referring_doctor):
        login(client, user)
        assert client.get("/reports/").status_code == 403


def test_it_refuses_to_claim_an_exam_not_waiting_to_be_read(client, radiologist, patient, make_order):
    order = make_order(patient)
    login(client, radiologist)
    response = client.post(f"/reports/claim/{order.pk}/", follow=True)
    assert response.redirect_chain == [("/reports/", 302)]
    assert (
        "The exam is ordered and has no images yet; it can be claimed once its images arrive or it is completed."
        in (response.content.decode())
    )
    assert not Report.objects.filter(order=order).exists()
