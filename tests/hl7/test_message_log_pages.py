"""The message log pages: admins only, search by type / control ID / patient / status, a message shown segment
by segment with its ACK, replay after the cause of an AE is fixed, resend from the dead-letter list, and every
page written to the access log."""

import pytest
from django.urls import reverse

from ris.audit.models import AccessLog
from ris.hl7 import services
from ris.hl7.choices import Direction, MessageStatus
from ris.hl7.models import Message, Partner
from ris.orders.models import Order, Procedure
from tests.conftest import login
from tests.hl7.conftest import adt, orm


@pytest.fixture
def received(db, ct_head):
    """An ADT processed and an ORM refused for its unknown procedure, as the listener leaves them."""
    services.receive(adt("A04", "ADT9").encode(), peer="10.0.0.5:40000")
    services.receive(orm("ORM9", code="MR-KNEE").encode(), peer="10.0.0.5:40000")
    return Message.objects.order_by("id")


@pytest.mark.parametrize("role", ["front_desk", "technologist", "radiologist", "billing", "referring_physician"])
def test_it_refuses_the_log_to_everyone_but_admins(client, personas, role, received):
    login(client, personas[role])
    assert client.get(reverse("hl7:messages")).status_code == 403
    assert client.get(reverse("hl7:message", args=[received[0].pk])).status_code == 403
    assert client.get(reverse("hl7:partners")).status_code == 403


def test_it_searches_by_type_control_id_patient_and_status(client, admin_user, received):
    login(client, admin_user)
    adt_row, orm_row = received

    def found(**query):
        return [m.pk for m in client.get(reverse("hl7:messages"), query).context["page"].rows]

    assert found(message_type="ADT") == [adt_row.pk]
    assert found(message_type="ORM^O01") == [orm_row.pk]
    assert found(q="ORM9") == [orm_row.pk]
    assert found(q="Müller") == [adt_row.pk]
    assert found(status="error") == [orm_row.pk]
    assert found(received_after="2000-01-01") == [orm_row.pk, adt_row.pk]
    search = AccessLog.objects.filter(action="search", object_type="hl7.message").latest("id")
    assert search.detail["returned_ids"] == [orm_row.pk, adt_row.pk]


def test_it_shows_a_message_by_segment_and_field_and_logs_the_view(client, admin_user, received):
    login(client, admin_user)
    adt_row = received[0]

    page = client.get(reverse("hl7:message", args=[adt_row.pk]))

    html = page.content.decode()
    assert "PID-5" in html
    assert "Patient name" in html
    assert "Müller^Zoë^Anna^^Dr." in html
    assert "ZPI" in html
    assert "MSA-1" in html  # the ACK sent, too
    view = AccessLog.objects.filter(action="view", object_type="hl7.message").get()
    assert (view.object_id, view.patient_id) == (str(adt_row.pk), adt_row.patient_id)


def test_it_replays_a_refused_message_once_its_cause_is_fixed(client, admin_user, received, transactional_db):
    login(client, admin_user)
    orm_row = received[1]
    Procedure.objects.create(code="MR-KNEE", name="MR knee", modality_type="MR", cpt_code="73721")

    response = client.post(reverse("hl7:replay", args=[orm_row.pk]))

    copy = Message.objects.get(replay_of=orm_row)
    assert response.url == reverse("hl7:message", args=[copy.pk])
    assert copy.status == MessageStatus.PROCESSED
    assert Order.objects.get().procedure.code == "MR-KNEE"
    assert Message.objects.get(pk=orm_row.pk).status == MessageStatus.ERROR  # the original stays as it was


def test_it_lists_dead_letters_and_resends_one(client, admin_user, patient, transactional_db):
    partner = Partner.objects.create(name="EHR", host="127.0.0.1", port=9, application="EPIC")
    dead = Message.objects.create(
        direction=Direction.OUTBOUND, status=MessageStatus.DEAD, partner=partner, raw="MSH|^~\\&|LUMEN", attempts=12
    )
    login(client, admin_user)

    listed = client.get(reverse("hl7:dead_letters")).context["page"].rows
    response = client.post(reverse("hl7:resend", args=[dead.pk]))

    assert listed == [dead]
    assert response.status_code == 302
    dead.refresh_from_db()
    # Tried again at once with a fresh budget; nothing listens on port 9, so it waits for its next attempt.
    assert (dead.status, dead.attempts) == (MessageStatus.PENDING, 1)
    assert dead.reason.startswith("cannot connect to 127.0.0.1:9")


def test_it_adds_and_edits_partners(client, admin_user):
    login(client, admin_user)
    data = {"name": "EHR", "host": "ehr.example.org", "port": "2575", "application": "EPIC", "facility": "GEN"}

    client.post(reverse("hl7:partner_new"), {**data, "message_types": ["SIU", "ORU"], "enabled": "on"})
    partner = Partner.objects.get()
    client.post(reverse("hl7:partner", args=[partner.pk]), {**data, "message_types": ["OMI"]})

    partner.refresh_from_db()
    assert (partner.message_types, partner.enabled) == (["OMI"], False)
    bad = client.post(reverse("hl7:partner_new"), {**data, "name": "X", "port": "70000"})
    assert "port" in bad.context["form"].errors


def test_it_discards_a_dead_letter_only_with_a_reason(client, admin_user, transactional_db):
    partner = Partner.objects.create(name="EHR", host="127.0.0.1", port=9, application="EPIC")
    dead = Message.objects.create(
        direction=Direction.OUTBOUND, status=MessageStatus.DEAD, partner=partner, raw="MSH|^~\\&|LUMEN", attempts=12
    )
    login(client, admin_user)

    client.post(reverse("hl7:discard", args=[dead.pk]), {"reason": ""})
    assert Message.objects.get(pk=dead.pk).status == MessageStatus.DEAD
    page = client.get(reverse("hl7:message", args=[dead.pk]))
    assert "Discard" in page.content.decode()
    client.post(reverse("hl7:discard", args=[dead.pk]), {"reason": "Partner retired this interface"})

    assert Message.objects.get(pk=dead.pk).status == MessageStatus.DISCARDED
