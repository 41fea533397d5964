"""The technologist's board: the day's exams with exam, MPPS and image state side by side, run by hand too."""

import pytest
from django.utils import timezone

from ris.orders.models import Order
from scheduling import services
from scheduling.models import ExamNote, PerformedStep
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_of_exams(make_order, patient, make_patient, ct_resource, front_desk, technologist, tomorrow_at):
    """Four exams tomorrow on the CT: a routine one at 8, a STAT one at 11, one done without images, one arrived."""
    routine = services.book_appointment(
        actor=front_desk, order=make_order(patient), resource=ct_resource, start=tomorrow_at(8)
    )
    stat = services.book_appointment(
        actor=front_desk, order=make_order(make_patient(), priority="stat"), resource=ct_resource, start=tomorrow_at(11)
    )
    done = services.book_appointment(
        actor=front_desk, order=make_order(make_patient()), resource=ct_resource, start=tomorrow_at(9)
    )
    services.start_exam(actor=technologist, order=done.order)
    services.complete_exam(actor=technologist, order=done.order)
    waiting = services.book_appointment(
        actor=front_desk, order=make_order(make_patient()), resource=ct_resource, start=tomorrow_at(10)
    )
    services.mark_arrived(actor=front_desk, appointment=waiting)
    Order.objects.filter(pk=routine.order_id).update(images_received_at=timezone.now())
    return {"routine": routine, "stat": stat, "done": done, "waiting": waiting}


def states(content: bytes) -> list[tuple[str, str]]:
    import re

    return re.findall(r'data-order="(\w+)" data-state="(\w+)"', content.decode())


def test_the_board_shows_stat_first_and_flags_mismatches(client, technologist, day_of_exams, tomorrow_at):
    login(client, technologist)
    day = tomorrow_at(9).date()
    page = client.get(f"/scheduling/board/?date={day:%Y-%m-%d}")
    assert page.status_code == 200
    d = day_of_exams
    assert states(page.content) == [
        (d["stat"].order.accession_number, "scheduled"),
        (d["routine"].order.accession_number, "scheduled"),
        (d["done"].order.accession_number, "completed"),
        (d["waiting"].order.accession_number, "arrived"),
    ]
    text = page.content.decode()
    assert "Completed but no images received" in text
    assert "Images received but exam not completed" in text
    assert "0 min" in text  # the arrived patient's waiting time
    rows = client.get(f"/scheduling/board/rows/?date={day:%Y-%m-%d}")
    assert rows.status_code == 200
    assert states(rows.content) == states(page.content)
    assert b"<html" not in rows.content


def test_a_technologist_runs_an_exam_by_hand_and_writes_notes(client, technologist, day_of_exams, tomorrow_at):
    order = day_of_exams["waiting"].order
    login(client, technologist)
    client.post(f"/scheduling/exams/{order.pk}/start/")
    assert Order.objects.get(pk=order.pk).status == "in_progress"
    response = client.post(
        f"/scheduling/exams/{order.pk}/note/",
        {"kind": "repeat", "text": "Repeated axial series", "reason": "", "contrast_given": "unknown"},
    )
    assert response.status_code == 200
    assert "Say why the images were repeated." in response.content.decode()
    client.post(
        f"/scheduling/exams/{order.pk}/note/",
        {"kind": "contrast", "text": "80 ml iohexol", "contrast_given": "true", "addon_cpt_codes": "76377"},
    )
    client.post(f"/scheduling/exams/{order.pk}/complete/")
    order.refresh_from_db()
    assert (order.status, order.contrast_given, order.addon_cpt_codes) == ("completed", True, ["76377"])
    assert list(ExamNote.objects.values_list("kind", "text")) == [("contrast", "80 ml iohexol")]


def test_discontinuing_needs_a_reason(client, technologist, day_of_exams):
    order = day_of_exams["waiting"].order
    login(client, technologist)
    client.post(f"/scheduling/exams/{order.pk}/start/")
    page = client.post(f"/scheduling/exams/{order.pk}/discontinue/", {"reason": ""}, follow=True)
    assert "Say why the order is discontinued." in page.content.decode()
    client.post(f"/scheduling/exams/{order.pk}/discontinue/", {"reason": "Patient unwell"})
    assert Order.objects.get(pk=order.pk).status == "discontinued"


def test_the_board_shows_the_mpps_state(client, technologist, day_of_exams, tomorrow_at):
    done = day_of_exams["done"]
    PerformedStep.objects.create(
        sop_instance_uid="1.2.3", status="COMPLETED", order=done.order, appointment=done,
        performed_series=[{"series_instance_uid": "1.2.3.4", "images": 12}],
    )  # fmt: skip
    login(client, technologist)
    page = client.get(f"/scheduling/board/rows/?date={tomorrow_at(9).date():%Y-%m-%d}")
    assert "Completed · 12 images" in page.content.decode()


@pytest.mark.parametrize(
    ("persona", "board", "start"),
    [
        ("technologist", 200, 302),
        ("front_desk", 200, 403),
        ("radiologist", 200, 403),
        ("admin", 200, 302),
        ("billing", 403, 403),
        ("referring_physician", 403, 403),
    ],
)
def test_roles(client, personas, day_of_exams, persona, board, start):
    login(client, personas[persona])
    assert client.get("/scheduling/board/").status_code == board
    assert client.post(f"/scheduling/exams/{day_of_exams['waiting'].order_id}/start/").status_code == start


def test_the_board_filters_by_modality_and_falls_back_to_today_on_a_bad_date(
    client, technologist, day_of_exams, tomorrow_at
):
    login(client, technologist)
    day = f"{tomorrow_at(9).date():%Y-%m-%d}"
    assert len(states(client.get(f"/scheduling/board/?date={day}&modality=CT").content)) == 4
    assert states(client.get(f"/scheduling/board/?date={day}&modality=MR").content) == []
    bad = client.get("/scheduling/board/?date=2026-13-45")
    assert bad.status_code == 200
    assert states(bad.content) == []
