"""Shared fixtures: role personas, a small catalog, and makers for patients and orders."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.test import APIClient

from ris.accounts.choices import Role
from ris.accounts.models import ProviderProfile, User
from ris.orders import services as order_services
from ris.orders.models import Procedure
from ris.patients import services as patient_services

PASSWORD = "correct-horse-battery-staple"


def pytest_sessionstart(session):
    """A killed test run (or a killed listener in one) can leave SQLite's WAL files beside the test database;
    Django recreates the database file but not those, so remove them first."""
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_name and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{test_name}{suffix}").unlink(missing_ok=True)


_npis = itertools.cycle(["1234567893", "1245319599", "1386719417", "1003000126", "1528060837"])


@pytest.fixture(autouse=True)
def _fresh_pacs_cache():
    """Test databases are emptied between tests; the ingest cache of study rows must not outlive them."""
    from pacs.services import forget_known

    forget_known()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production hashing costs ~0.25 s a user; tests only need hashing to work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *roles: str, npi: str | None = None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title(), last_name="Test")
    # get_or_create: transactional tests flush the tables, the roles of the data migration included.
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    if npi:
        ProviderProfile.objects.create(user=user, npi=npi)
    return user


@pytest.fixture
def front_desk(db):
    return make_user("fiona", Role.FRONT_DESK)


@pytest.fixture
def technologist(db):
    return make_user("tomas", Role.TECHNOLOGIST)


@pytest.fixture
def radiologist(db):
    return make_user("rita", Role.RADIOLOGIST, npi="1234567893")


@pytest.fixture
def billing_clerk(db):
    return make_user("bill", Role.BILLING)


@pytest.fixture
def referring_doctor(db):
    return make_user("drhouse", Role.REFERRING_PHYSICIAN, npi="1245319599")


@pytest.fixture
def other_doctor(db):
    """A referring physician who referred nothing here: must not see other doctors' patients."""
    return make_user("drother", Role.REFERRING_PHYSICIAN, npi="1386719417")


@pytest.fixture
def admin_user(db):
    return make_user("ada", Role.ADMIN)


@pytest.fixture
def no_role_user(db):
    return make_user("nobody")


@pytest.fixture
def personas(front_desk, technologist, radiologist, billing_clerk, referring_doctor, admin_user, no_role_user):
    return {
        "front_desk": front_desk,
        "technologist": technologist,
        "radiologist": radiologist,
        "billing": billing_clerk,
        "referring_physician": referring_doctor,
        "admin": admin_user,
        "no_role": no_role_user,
    }


@pytest.fixture
def ct_head(db):
    return Procedure.objects.create(
        code="CT-HEAD",
        name="CT head without contrast",
        modality_type="CT",
        cpt_code="70450",
        body_part="HEAD",
        default_duration=15,
    )


@pytest.fixture
def xr_chest(db):
    return Procedure.objects.create(
        code="XR-CHEST",
        name="X-ray chest, 2 views",
        modality_type="DX",
        cpt_code="71046",
        body_part="CHEST",
        default_duration=10,
    )


@pytest.fixture
def make_patient(db, front_desk):
    counter = itertools.count(1)

    def make(**fields):
        n = next(counter)
        defaults = {"family_name": f"Patient{n}", "given_name": "Test", "birth_date": dt.date(1980, 1, n % 28 + 1)}
        return patient_services.register_patient(actor=front_desk, **{**defaults, **fields})

    return make


@pytest.fixture
def patient(make_patient):
    return make_patient(family_name="Müller", given_name="Zoë", birth_date=dt.date(1975, 4, 23), sex="F")


@pytest.fixture
def make_order(db, front_desk, ct_head):
    def make(patient, **fields):
        defaults = {"procedure": ct_head, "reason": "Headache", "icd10_codes": ["R51.9"]}
        return order_services.create_order(actor=front_desk, patient=patient, **{**defaults, **fields})

    return make


@pytest.fixture
def storage_root(settings, tmp_path):
    """A storage root of the test's own."""
    settings.STORAGE_ROOT = tmp_path / "storage"
    settings.STORAGE_ROOT.mkdir()
    return settings.STORAGE_ROOT


@pytest.fixture
def api():
    return APIClient()


def login(client, user):
    client.force_login(user)
    return client


def on_postgres() -> bool:
    return connection.vendor == "postgresql"
