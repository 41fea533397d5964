"""QIDO-RS ``fuzzymatching=true``: person names match by word beginnings, ignoring case, accents and order."""

import pytest

from pacs import services
from tests.pacs.conftest import write_series


@pytest.fixture
def names(storage_root, db, tmp_path):
    uids = {}
    for index, name in enumerate(["Müller^Zoë", "Mullins^Anne", "Ørsted^Hans Christian", "Zoellner^Max"]):
        uid, paths = write_series(tmp_path / str(index), 1, accession=f"F{index}", patient_name=name)
        for path in paths:
            services.ingest_file(path, source="X", owned=False)
        uids[name] = uid
    return uids


def found_names(client, **params):
    response = client.get("/dicomweb/studies", params)
    if response.status_code == 204:
        return []
    assert response.status_code == 200
    return sorted(d["00100010"]["Value"][0]["Alphabetic"] for d in response.json())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("muller", ["Müller^Zoë"]),
        ("zoe mull", ["Müller^Zoë"]),
        ("MUL", ["Mullins^Anne", "Müller^Zoë"]),
        ("orsted christian", ["Ørsted^Hans Christian"]),
        ("hans", ["Ørsted^Hans Christian"]),
        ("zoe", ["Müller^Zoë", "Zoellner^Max"]),
        ("ller", []),
    ],
)
def test_it_matches_names_fuzzily_when_asked(client, radiologist, names, query, expected):
    client.force_login(radiologist)

    assert found_names(client, PatientName=query, fuzzymatching="true") == expected


def test_without_fuzzy_matching_a_name_must_match_exactly(client, radiologist, names):
    client.force_login(radiologist)

    assert found_names(client, PatientName="muller") == []
    assert found_names(client, PatientName="müller^zoë") == ["Müller^Zoë"]


def test_a_bad_fuzzymatching_value_gets_400(client, radiologist, names):
    client.force_login(radiologist)

    response = client.get("/dicomweb/studies", {"PatientName": "muller", "fuzzymatching": "yes"})

    assert (response.status_code, response.content) == (400, b"fuzzymatching must be true or false.")
