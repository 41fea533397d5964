"""The HL7 API: partners and the message log for administrators only, filtered like the page, reads logged,
replay and resend as actions."""

from django.urls import reverse

from ris.audit.models import AccessLog
from ris.hl7 import services
from ris.hl7.models import Message, Partner
from tests.hl7.conftest import adt, orm


def test_it_lists_and_filters_messages_for_admins_only(api, admin_user, front_desk, ct_head):
    services.receive(adt("A04", "API1").encode())
    services.receive(orm("API2", code="NOPE").encode())
    api.force_authenticate(front_desk)
    assert api.get(reverse("hl7-message-list")).status_code == 403

    api.force_authenticate(admin_user)
    errors = api.get(reverse("hl7-message-list"), {"status": "error"}).json()

    assert [m["control_id"] for m in errors["results"]] == ["API2"]
    assert errors["results"][0]["reason"] == "OBR-4 procedure code 'NOPE' is not in Lumen's procedure catalog."
    assert AccessLog.objects.filter(action="search", object_type="hl7.message", channel="api").count() == 1


def test_it_replays_a_message_through_the_api(api, admin_user, ct_head):
    services.receive(adt("A04", "API3").encode())
    api.force_authenticate(admin_user)
    original = Message.objects.get()

    response = api.post(reverse("hl7-message-replay", args=[original.pk]))

    assert response.status_code == 201
    assert Message.objects.get(pk=response.json()["id"]).replay_of == original


def test_it_creates_partners_and_refuses_unknown_message_types(api, admin_user):
    api.force_authenticate(admin_user)
    body = {"name": "EHR", "host": "10.1.2.3", "port": 2575, "application": "EPIC", "message_types": ["SIU"]}

    created = api.post(reverse("hl7-partner-list"), body, format="json")
    refused = api.post(reverse("hl7-partner-list"), {**body, "name": "X", "message_types": ["ADT"]}, format="json")

    assert created.status_code == 201
    assert refused.status_code == 400
    assert refused.json() == {"message_types": ["Choose among SIU, ORM, OMI, ORU."]}
    assert list(Partner.objects.values_list("name", flat=True)) == ["EHR"]
