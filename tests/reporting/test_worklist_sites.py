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
