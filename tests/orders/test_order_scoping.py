"""Referring physicians see their own orders only; lists do not grow queries with their length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ris.audit.models import AccessLog


@pytest.fixture
def two_doctors_orders(patient, make_patient, make_order, referring_doctor, other_doctor):
    mine = [make_order(patient, referring_physician=referring_doctor) for _ in range(2)]
    theirs = make_order(make_patient(), referring_physician=other_doctor)
    return mine, theirs


def test_a_referring_physician_lists_only_orders_they_referred(api, referring_doctor, two_doctors_orders):
    mine, _theirs = two_doctors_orders
    api.force_authenticate(referring_doctor)
    body = api.get("/api/v1/orders/").json()
    assert body["count"] == 2
    assert sorted(row["id"] for row in body["results"]) == sorted(o.pk for o in mine)


def test_another_doctors_order_is_hidden_everywhere_and_the_attempt_is_logged(
    api, client, referring_doctor, two_doctors_orders
):
    _mine, theirs = two_doctors_orders
    api.force_authenticate(referring_doctor)
    assert api.get(f"/api/v1/orders/{theirs.pk}/").status_code == 404
    client.force_login(referring_doctor)
    # 404, as for an order that does not exist: ids cannot be probed.
    assert client.get(reverse("orders:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("patients:detail", args=[theirs.patient_id])).status_code == 404
    denied = AccessLog.objects.filter(outcome="denied").order_by("id")
    assert [(e.object_type, e.patient_id) for e in denied] == [
        ("orders.order", theirs.patient_id),
        ("patients.patient", theirs.patient_id),
    ]


def test_the_order_list_costs_the_same_queries_for_5_or_50_orders(api, front_desk, patient, make_order):
    api.force_authenticate(front_desk)

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/orders/").status_code == 200
        return len(captured)

    for _ in range(5):
        make_order(patient)
    queries_for_list()  # the first request also loads the user's roles, cached on the user object after
    few = queries_for_list()
    for _ in range(45):
        make_order(patient)
    assert queries_for_list() == few


def test_the_order_list_page_costs_the_same_queries_for_5_or_50_orders(client, front_desk, patient, make_order):
    client.force_login(front_desk)

    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("orders:list")).status_code == 200
        return len(captured)

    for _ in range(5):
        make_order(patient)
    few = queries_for_page()
    for _ in range(45):
        make_order(patient)
    assert queries_for_page() == few


def test_the_order_list_filters_by_status_modality_and_patient_text(api, front_desk, patient, make_order, xr_chest):
    ct = make_order(patient)
    xr = make_order(patient, procedure=xr_chest, priority="stat")
    api.force_authenticate(front_desk)

    def ids(**params):
        return [row["id"] for row in api.get("/api/v1/orders/", params).json()["results"]]

    assert ids(modality="DX") == [xr.pk]
    assert ids(priority="stat") == [xr.pk]
    assert ids(q="müller zoe") == [xr.pk, ct.pk]
    assert ids(q=ct.accession_number) == [ct.pk]
    assert ids(status="ordered") == [xr.pk, ct.pk]
    assert ids(status="final") == []
    bad = api.get("/api/v1/orders/", {"status": "bogus"})
    assert bad.status_code == 400
    assert bad.json() == {"status": ["Select a valid choice. bogus is not one of the available choices."]}


@pytest.mark.parametrize("list_limit", [1000, 1])
def test_patient_text_finds_the_same_orders_through_a_list_or_a_subquery(
    api, front_desk, make_patient, make_order, monkeypatch, list_limit
):
    from ris.orders.filtersets import OrderFilterSet

    monkeypatch.setattr(OrderFilterSet, "PATIENT_LIST_LIMIT", list_limit)
    anna = [make_patient(family_name="Okafor", given_name="Anna") for _ in range(3)]
    make_order(make_patient(family_name="Okafor", given_name="Ben"))
    expected = [make_order(p).pk for p in anna]
    api.force_authenticate(front_desk)
    found = [row["id"] for row in api.get("/api/v1/orders/", {"q": "okafor ann"}).json()["results"]]
    assert found == sorted(expected, reverse=True)
