"""Merging a duplicate: everything follows the surviving patient, and the audit trail says so."""

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from ris.audit.models import AccessLog
from ris.orders.models import Order
from ris.patients import services
from ris.patients.models import Consent, Coverage


@pytest.fixture
def duplicate_pair(make_patient, make_order, front_desk, xr_chest):
    survivor = make_patient(family_name="Smith", given_name="Anna")
    duplicate = make_patient(family_name="Smyth", given_name="Anna")
    make_order(survivor)
    for _ in range(3):
        make_order(duplicate, procedure=xr_chest)
    services.add_coverage(patient=duplicate, actor=front_desk, payer_name="Acme", member_id="A1")
    services.record_consent(patient=duplicate, actor=front_desk, kind="research", decision="granted")
    return survivor, duplicate


def test_merge_moves_every_order_coverage_and_consent_to_the_survivor(front_desk, duplicate_pair):
    survivor, duplicate = duplicate_pair
    moved = services.merge_patients(source=duplicate, target=survivor, actor=front_desk)
    assert moved == {"orders.order": 3, "patients.coverage": 1, "patients.consent": 1}
    assert Order.objects.filter(patient=survivor).count() == 4
    assert Order.objects.filter(patient=duplicate).count() == 0
    assert Coverage.objects.get().patient == survivor
    assert Consent.objects.get().patient == survivor
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert duplicate.merged_at is not None


def test_merge_leaves_an_access_log_record_and_change_log_entries(front_desk, duplicate_pair):
    survivor, duplicate = duplicate_pair
    services.merge_patients(source=duplicate, target=survivor, actor=front_desk)
    entry = AccessLog.objects.get(action="merge")
    assert (entry.user, entry.patient, entry.object_id) == (front_desk, survivor, str(survivor.pk))
    assert entry.detail == {
        "source_patient_id": duplicate.pk,
        "source_mrn": duplicate.mrn,
        "moved": {"orders.order": 3, "patients.coverage": 1, "patients.consent": 1},
    }
    moved_orders = LogEntry.objects.filter(content_type__model="order", action=LogEntry.Action.UPDATE)
    assert moved_orders.count() == 3
    assert all(e.changes_dict["patient"] == [str(duplicate.pk), str(survivor.pk)] for e in moved_orders)


def test_merged_records_drop_out_of_search_but_keep_their_page(client, front_desk, duplicate_pair):
    survivor, duplicate = duplicate_pair
    services.merge_patients(source=duplicate, target=survivor, actor=front_desk)
    client.force_login(front_desk)
    listed = client.get(reverse("patients:list"), {"q": "anna"}).context["page"].rows
    assert listed == [survivor]
    page = client.get(reverse("patients:detail", args=[duplicate.pk]))
    assert page.status_code == 200
    assert "This record was merged into" in page.content.decode()


@pytest.mark.parametrize("case", ["self", "source merged", "target merged"])
def test_impossible_merges_are_refused_and_nothing_moves(front_desk, make_patient, duplicate_pair, case):
    survivor, duplicate = duplicate_pair
    third = make_patient()
    if case == "self":
        source, target, message = survivor, survivor, "A patient cannot be merged into itself."
    elif case == "source merged":
        services.merge_patients(source=third, target=survivor, actor=front_desk)
        source, target, message = third, duplicate, f"Patient {third.mrn} was already merged into another record."
    else:
        services.merge_patients(source=third, target=survivor, actor=front_desk)
        source, target = duplicate, third
        message = f"Patient {third.mrn} was merged into another record; merge into the surviving one."
    with pytest.raises(ValidationError) as caught:
        services.merge_patients(source=source, target=target, actor=front_desk)
    assert caught.value.messages == [message]
    assert Order.objects.filter(patient=duplicate).count() == 3
    assert Coverage.objects.get().patient == duplicate
    assert Consent.objects.get().patient == duplicate


def test_front_desk_finds_the_duplicate_then_confirms_side_by_side(client, front_desk, duplicate_pair):
    survivor, duplicate = duplicate_pair
    client.force_login(front_desk)
    url = reverse("patients:merge", args=[survivor.pk])
    found = client.post(url, {"find": "1", "duplicate_mrn": duplicate.mrn, "duplicate_issuer": "LUMEN"})
    assert found.status_code == 200
    assert found.context["source"] == duplicate
    assert Order.objects.filter(patient=survivor).count() == 1  # nothing merged by finding
    unconfirmed = client.post(url, {"merge": "1", "source": duplicate.pk})
    assert unconfirmed.context["confirm"].errors == {"confirm": ["This field is required."]}
    done = client.post(url, {"merge": "1", "source": duplicate.pk, "confirm": "on"})
    assert done.status_code == 302
    assert Order.objects.filter(patient=survivor).count() == 4


def test_the_duplicate_is_found_by_issuer_and_exact_mrn_only(client, front_desk, make_patient, duplicate_pair):
    survivor, _duplicate = duplicate_pair
    make_patient(mrn="X1", issuer="HOSPA")
    other = make_patient(mrn="x1", issuer="HOSPB")
    client.force_login(front_desk)
    url = reverse("patients:merge", args=[survivor.pk])
    response = client.post(url, {"find": "1", "duplicate_mrn": "x1", "duplicate_issuer": "HOSPB"})
    assert response.context["source"] == other
    missing = client.post(url, {"find": "1", "duplicate_mrn": "X1", "duplicate_issuer": "HOSPB"})
    assert missing.context["source"] is None
    assert missing.context["lookup"].errors == {"__all__": ["No open patient record has this MRN from this issuer."]}


def test_the_api_merges_and_answers_a_self_merge_with_400(api, front_desk, duplicate_pair):
    survivor, duplicate = duplicate_pair
    api.force_authenticate(front_desk)
    bad = api.post(f"/api/v1/patients/{survivor.pk}/merge/", {"source": survivor.pk}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"non_field_errors": ["A patient cannot be merged into itself."]}
    ok = api.post(f"/api/v1/patients/{survivor.pk}/merge/", {"source": duplicate.pk}, format="json")
    assert ok.status_code == 200
    assert Order.objects.filter(patient=survivor).count() == 4


def test_an_order_cannot_be_entered_for_a_merged_patient(front_desk, duplicate_pair, make_order):
    survivor, duplicate = duplicate_pair
    services.merge_patients(source=duplicate, target=survivor, actor=front_desk)
    duplicate.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        make_order(duplicate)
    assert caught.value.message_dict == {
        "patient": [f"Patient {duplicate.mrn} was merged into another record; use the surviving record."]
    }
