"""Front-desk search: partial, case- and accent-insensitive names, MRN, date of birth."""

import datetime as dt

import pytest
from django.urls import reverse

from ris.audit.models import AccessLog
from ris.patients.models import Patient


@pytest.fixture
def people(make_patient):
    return {
        "zoe": make_patient(
            family_name="Müller", given_name="Zoë", birth_date=dt.date(1975, 4, 23), mrn="H100", issuer="HOSP"
        ),
        "jose": make_patient(family_name="García Lorca", given_name="José", birth_date=dt.date(1961, 7, 14)),
        "bjorn": make_patient(family_name="Ørsted", given_name="Bjørn", birth_date=dt.date(1975, 4, 23)),
        "mull": make_patient(family_name="Mullins", given_name="Anna", birth_date=dt.date(1990, 1, 2)),
    }


def found(text):
    return sorted(p.given_name for p in Patient.objects.search(text))


def test_a_partial_name_without_accents_finds_the_accented_one(people):
    assert found("mull") == ["Anna", "Zoë"]
    assert found("MÜLLER") == ["Zoë"]
    assert found("muller zoe") == ["Zoë"]
    assert found("zoe muller") == ["Zoë"]


def test_each_word_must_match_the_start_of_a_name_word(people):
    assert found("lorca") == ["José"]
    assert found("garcia jos") == ["José"]
    assert found("arcia") == []
    assert found("orsted bjorn") == ["Bjørn"]


def test_dicom_and_comma_separated_names_are_understood(people):
    assert found("Müller^Zoë") == ["Zoë"]
    assert found("Müller, Zoë") == ["Zoë"]


def test_a_date_of_birth_in_any_common_form_finds_the_patients_born_that_day(people):
    assert found("1975-04-23") == ["Bjørn", "Zoë"]
    assert found("04/23/1975") == ["Bjørn", "Zoë"]
    assert found("23.04.1975 orsted") == ["Bjørn"]


def test_an_mrn_finds_its_patient_in_any_case(people):
    assert found("h100") == ["Zoë"]


def test_the_search_page_lists_matches_and_logs_the_search_once(client, front_desk, people):
    client.force_login(front_desk)
    response = client.get(reverse("patients:list"), {"q": "mull"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"].rows] == [people["mull"].pk, people["zoe"].pk]
    entry = AccessLog.objects.get(action="search")
    assert entry.user == front_desk
    assert entry.detail == {"query": {"q": "mull"}, "returned_ids": [people["mull"].pk, people["zoe"].pk]}


def test_the_search_page_without_a_query_reads_no_patient_data(client, front_desk, people):
    client.force_login(front_desk)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    assert response.context["page"] is None
    assert AccessLog.objects.filter(action="search").count() == 0


def test_the_api_searches_with_the_same_filter(api, front_desk, people):
    api.force_authenticate(front_desk)
    response = api.get("/api/v1/patients/", {"q": "garcia"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [row["display_name"] for row in body["results"]] == ["GARCÍA LORCA, José"]


def test_a_referring_physician_finds_only_patients_they_referred(
    api, referring_doctor, other_doctor, people, make_order
):
    make_order(people["zoe"], referring_physician=referring_doctor)
    api.force_authenticate(other_doctor)
    assert api.get("/api/v1/patients/", {"q": "mull"}).json()["count"] == 0
    api.force_authenticate(referring_doctor)
    assert [r["id"] for r in api.get("/api/v1/patients/", {"q": "mull"}).json()["results"]] == [people["zoe"].pk]
