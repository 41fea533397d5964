import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ris.equipment import services
from ris.equipment.models import MaintenanceLogEntry, Modality


@pytest.fixture
def ct(db):
    return Modality.objects.create(
        name="CT 1", modality_type="CT", ae_title="LUMEN_CT1", host="10.0.0.5", port=104, services=["store", "worklist"]
    )


def test_admin_registers_a_modality_through_the_api_and_services_come_back_in_order(api, admin_user):
    api.force_authenticate(admin_user)
    body = {
        "name": "MR 1",
        "modality_type": "MR",
        "ae_title": "MR1",
        "host": "mr1.local",
        "port": 11112,
        "services": ["mpps", "store", "echo"],
    }
    response = api.post("/api/v1/modalities/", body, format="json")
    assert response.status_code == 201
    assert response.json()["services"] == ["echo", "store", "mpps"]
    assert Modality.objects.get().may_use("mpps") is True


@pytest.mark.parametrize(
    ("ae_title", "message"),
    [
        ("A" * 17, "Ensure this field has no more than 16 characters."),
        ("   ", "This field may not be blank."),
        ("CT\\1", "An AE title uses printable ASCII characters only, without backslash."),
        ("CTÄ", "An AE title uses printable ASCII characters only, without backslash."),
    ],
)
def test_invalid_ae_titles_are_refused_with_the_rule(api, admin_user, ae_title, message):
    api.force_authenticate(admin_user)
    body = {"name": "X", "modality_type": "CT", "ae_title": ae_title, "host": "h", "port": 104}
    response = api.post("/api/v1/modalities/", body, format="json")
    assert response.status_code == 400
    assert message in response.json()["ae_title"]


def test_a_port_out_of_range_and_an_unknown_service_are_refused(api, admin_user):
    api.force_authenticate(admin_user)
    body = {"name": "X", "modality_type": "CT", "ae_title": "X", "host": "h", "port": 70000, "services": ["teleport"]}
    response = api.post("/api/v1/modalities/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "port": ["Ensure this value is less than or equal to 65535."],
        "services": {"0": ['"teleport" is not a valid choice.']},
    }


def test_a_duplicate_ae_title_is_refused(api, admin_user, ct):
    api.force_authenticate(admin_user)
    body = {"name": "Other", "modality_type": "CT", "ae_title": "LUMEN_CT1", "host": "h", "port": 104}
    response = api.post("/api/v1/modalities/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"ae_title": ["modality with this AE title already exists."]}


def test_a_maintenance_window_makes_the_modality_down_while_it_lasts(ct, technologist):
    start = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)
    window = services.add_maintenance_window(
        modality=ct, actor=technologist, starts_at=start, ends_at=start + dt.timedelta(hours=2), reason="Tube swap"
    )
    assert ct.maintenance_at(start + dt.timedelta(minutes=30)) == window
    assert ct.maintenance_at(start + dt.timedelta(hours=2)) is None
    assert ct.maintenance_at(start - dt.timedelta(seconds=1)) is None


def test_a_window_that_ends_before_it_starts_is_refused(ct, technologist):
    start = timezone.now()
    with pytest.raises(ValidationError) as caught:
        services.add_maintenance_window(modality=ct, actor=technologist, starts_at=start, ends_at=start, reason="x")
    assert caught.value.message_dict == {"ends_at": ["The window must end after it starts."]}


def test_the_technologist_logs_maintenance_and_blocks_the_modality_from_its_page(client, technologist, ct):
    client.force_login(technologist)
    url = reverse("equipment:detail", args=[ct.pk])
    logged = client.post(
        url,
        {
            "form": "log",
            "log-performed_on": "2026-05-04",
            "log-kind": "calibration",
            "log-description": "Detector calibration",
            "log-downtime_minutes": "45",
        },
    )
    assert logged.status_code == 302
    entry = MaintenanceLogEntry.objects.get()
    assert (entry.kind, entry.downtime_minutes, entry.recorded_by) == ("calibration", 45, technologist)
    with time_machine.travel(dt.datetime(2026, 5, 4, 6, 0, tzinfo=dt.UTC), tick=False):
        blocked = client.post(
            url,
            {
                "form": "window",
                "window-starts_at": "2026-05-04T07:00",
                "window-ends_at": "2026-05-04T09:00",
                "window-reason": "Service visit",
            },
        )
        assert blocked.status_code == 302
        page = client.get(url).content.decode()
    assert "Service visit" in page


def test_the_equipment_list_shows_who_is_down_now(client, front_desk, ct, technologist):
    now = timezone.now()
    services.add_maintenance_window(
        modality=ct,
        actor=technologist,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=1),
        reason="Repair",
    )
    client.force_login(front_desk)
    rows = client.get(reverse("equipment:list")).context["modalities"]
    assert [(m.name, w.reason if w else None) for m, w in rows] == [("CT 1", "Repair")]


def test_front_desk_sees_the_modality_page_but_cannot_record_maintenance(client, front_desk, ct):
    client.force_login(front_desk)
    url = reverse("equipment:detail", args=[ct.pk])
    response = client.post(url, {"form": "log", "log-kind": "repair", "log-description": "x"}, follow=True)
    assert "Only technologists and administrators record maintenance." in response.content.decode()
    assert MaintenanceLogEntry.objects.count() == 0


def test_an_ae_title_of_spaces_is_refused_by_the_model_validator(db):
    modality = Modality(name="X", modality_type="CT", ae_title="   ", host="h", port=104)
    with pytest.raises(ValidationError) as caught:
        modality.full_clean()
    assert caught.value.message_dict["ae_title"] == ["An AE title cannot be empty or only spaces."]
