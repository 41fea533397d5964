"""The access log: one entry per read, search and export of patient data, and nobody can change it."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from ris.audit.models import AccessLog, AppendOnlyError


def test_reading_a_patient_record_writes_exactly_one_access_log_entry(client, radiologist, patient):
    client.force_login(radiologist)
    before = AccessLog.objects.count()  # the sign-in itself is logged
    response = client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert AccessLog.objects.count() == before + 1
    entry = AccessLog.objects.latest("id")
    assert (entry.user, entry.username, entry.action, entry.outcome) == (radiologist, "rita", "view", "success")
    assert (entry.object_type, entry.object_id, entry.patient, entry.address, entry.channel) == (
        "patients.patient",
        str(patient.pk),
        patient,
        "10.1.2.3",
        "ui",
    )


def test_reading_through_the_api_writes_one_entry_marked_api(api, radiologist, patient, make_order):
    order = make_order(patient)
    api.force_authenticate(radiologist)
    api.get(f"/api/v1/patients/{patient.pk}/")
    api.get(f"/api/v1/orders/{order.pk}/")
    entries = list(AccessLog.objects.order_by("id").values_list("action", "object_type", "patient_id", "channel"))
    assert entries == [
        ("view", "patients.patient", patient.pk, "api"),
        ("view", "orders.order", patient.pk, "api"),
    ]


def test_an_api_search_records_the_query_and_what_it_returned(api, front_desk, patient):
    api.force_authenticate(front_desk)
    api.get("/api/v1/patients/", {"q": "muller"})
    entry = AccessLog.objects.get()
    assert (entry.action, entry.object_type) == ("search", "patients.patient")
    assert entry.detail == {"query": {"q": "muller"}, "returned_ids": [patient.pk]}


def test_entries_cannot_be_changed_or_deleted_through_the_application(front_desk, patient):
    entry = AccessLog.objects.create(user=front_desk, username="fiona", action="view", patient=patient)
    entry.action = "export"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.filter(pk=entry.pk).update(action="export")
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()
    assert AccessLog.objects.get(pk=entry.pk).action == "view"


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger exists on PostgreSQL")
def test_postgresql_itself_refuses_update_and_delete_of_entries(front_desk):
    entry = AccessLog.objects.create(user=front_desk, username="fiona", action="view")
    for sql in ("UPDATE audit_accesslog SET action = 'export'", "DELETE FROM audit_accesslog"):
        with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        assert "audit_accesslog is append-only" in str(caught.value)
    assert AccessLog.objects.get(pk=entry.pk).action == "view"


def test_the_admin_offers_no_way_to_add_change_or_delete_entries(client, admin_user, front_desk):
    entry = AccessLog.objects.create(user=front_desk, username="fiona", action="view")
    client.force_login(admin_user)
    assert client.get(reverse("admin:audit_accesslog_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_accesslog_add")).status_code == 403
    assert client.post(reverse("admin:audit_accesslog_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:audit_accesslog_change", args=[entry.pk]), {"action": "x"}).status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk, action="view").exists()


def test_the_access_log_page_filters_by_user_action_and_patient(client, admin_user, front_desk, radiologist, patient):
    AccessLog.objects.create(user=front_desk, username="fiona", action="view", patient=patient)
    AccessLog.objects.create(user=radiologist, username="rita", action="view", patient=patient)
    AccessLog.objects.create(user=radiologist, username="rita", action="search")
    client.force_login(admin_user)

    def rows(**params):
        response = client.get(reverse("audit:list"), params)
        return [(e.username, e.action) for e in response.context["page"].rows]

    assert rows(username="rita") == [("rita", "search"), ("rita", "view")]
    assert rows(action="view", patient_mrn=patient.mrn.lower()) == [("rita", "view"), ("fiona", "view")]
    assert rows(username="nobody") == []


def test_exporting_the_log_is_itself_logged_and_streams_csv(client, admin_user, front_desk, patient):
    AccessLog.objects.create(user=front_desk, username="fiona", action="view", patient=patient, object_type="x")
    client.force_login(admin_user)
    response = client.get(reverse("audit:export"), {"username": "fiona"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "at,username,action,outcome,object_type,object_id,patient_mrn,address,channel"
    assert len(lines) == 2
    assert lines[1].split(",")[1:7] == ["fiona", "view", "success", "x", "", patient.mrn]
    export = AccessLog.objects.get(action="export")
    assert (export.user, export.detail) == (admin_user, {"query": {"username": "fiona"}})


def test_the_admin_pages_over_patients_and_orders_are_in_the_access_log(client, admin_user, patient, make_order):
    order = make_order(patient)
    client.force_login(admin_user)
    before = AccessLog.objects.count()
    assert client.get(reverse("admin:patients_patient_changelist")).status_code == 200
    assert client.get(reverse("admin:patients_patient_change", args=[patient.pk])).status_code == 200
    assert client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    entries = AccessLog.objects.order_by("id")[before:]
    assert [(e.action, e.object_type, e.patient_id, e.channel) for e in entries] == [
        ("search", "patients.patient", None, "admin"),
        ("view", "patients.patient", patient.pk, "admin"),
        ("view", "orders.order", patient.pk, "admin"),
    ]
    assert entries[0].detail == {"query": {}, "returned_ids": [patient.pk]}


def test_the_home_page_logs_which_orders_it_showed(client, front_desk, patient, make_order):
    orders = [make_order(patient) for _ in range(2)]
    client.force_login(front_desk)
    before = AccessLog.objects.count()
    assert client.get(reverse("home")).status_code == 200
    assert AccessLog.objects.count() == before + 1
    entry = AccessLog.objects.latest("id")
    assert (entry.action, entry.object_type) == ("search", "orders.order")
    assert entry.detail == {"page": "home", "returned_ids": sorted(o.pk for o in orders)}


@pytest.mark.parametrize(
    "page", ["patients:edit", "patients:coverage_add", "patients:consent_record", "patients:merge", "orders:create"]
)
def test_every_form_page_that_shows_a_patient_logs_the_view(client, admin_user, patient, page):
    client.force_login(admin_user)
    before = AccessLog.objects.count()
    assert client.get(reverse(page, args=[patient.pk])).status_code == 200
    assert AccessLog.objects.count() == before + 1
    entry = AccessLog.objects.latest("id")
    assert (entry.action, entry.patient) == ("view", patient)


def test_the_order_edit_page_logs_the_view(client, admin_user, patient, make_order):
    order = make_order(patient)
    client.force_login(admin_user)
    client.get(reverse("orders:edit", args=[order.pk]))
    entry = AccessLog.objects.latest("id")
    assert (entry.action, entry.object_type, entry.patient) == ("view", "orders.order", patient)
