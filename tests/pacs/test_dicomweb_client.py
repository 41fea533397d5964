"""A third-party DICOMweb client (dicomweb-client, from PyPI) works against Lumen unchanged."""

import pytest
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread
from rest_framework.authtoken.models import Token

from pacs.models import Instance
from tests.pacs.conftest import write_series


@pytest.fixture
def client_for(live_server, transactional_db, storage_root, radiologist):
    token = Token.objects.create(user=radiologist)
    return DICOMwebClient(url=f"{live_server.url}/dicomweb", headers={"Authorization": f"Token {token.key}"})


def test_dicomweb_client_stores_searches_and_retrieves(client_for, tmp_path):
    study_uid, paths = write_series(tmp_path / "s", 3, accession="DWC1")
    datasets = [dcmread(p) for p in paths]
    client_for.store_instances(datasets)
    assert Instance.objects.count() == 3

    studies = client_for.search_for_studies(search_filters={"AccessionNumber": "DWC1"})
    assert [s["0020000D"]["Value"][0] for s in studies] == [study_uid]
    series_uid = client_for.search_for_series(study_uid)[0]["0020000E"]["Value"][0]
    metadata = client_for.retrieve_series_metadata(study_uid, series_uid)
    assert len(metadata) == 3
    sop_uid = str(datasets[0].SOPInstanceUID)
    instance = client_for.retrieve_instance(study_uid, series_uid, sop_uid)
    assert instance.PixelData == datasets[0].PixelData
    frames = client_for.retrieve_instance_frames(
        study_uid, series_uid, sop_uid, frame_numbers=[1], media_types=(("application/octet-stream", "*"),)
    )
    assert frames[0] == datasets[0].PixelData
    retrieved = client_for.retrieve_study(study_uid)
    assert sorted(str(d.SOPInstanceUID) for d in retrieved) == sorted(str(d.SOPInstanceUID) for d in datasets)
