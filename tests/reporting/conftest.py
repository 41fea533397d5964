"""Reporting fixtures: completed exams waiting to be read, a second radiologist, transcriptionist and lead."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from reporting import services
from reporting.models import ReportTemplate
from ris.accounts.choices import Role
from ris.orders import services as order_services
from ris.orders.choices import OrderStatus
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def radiologist2(db):
    return make_user("ravi", Role.RADIOLOGIST, npi="1003000126")


@pytest.fixture
def transcriptionist(db):
    return make_user("tess", Role.TRANSCRIPTIONIST)


@pytest.fixture
def lead(db):
    return make_user("leah", Role.DEPARTMENT_LEAD)


@pytest.fixture
def complete(technologist):
    """Move an order through arrival and the exam to ``completed``."""

    def run(order):
        for status in (OrderStatus.ARRIVED, OrderStatus.IN_PROGRESS, OrderStatus.COMPLETED):
            order = order_services.change_order_status(order=order, to=status, actor=technologist)
        return order

    return run


@pytest.fixture
def ct_template(ct_head):
    return ReportTemplate.objects.create(
        name="CT head",
        procedure=ct_head,
        sections=[
            {"key": "clinical_information", "title": "Clinical information", "text": "", "choices": []},
            {"key": "technique", "title": "Technique", "text": "Axial CT of the head.", "choices": []},
            {"key": "comparison", "title": "Comparison", "text": "None.", "choices": []},
            {
                "key": "findings",
                "title": "Findings",
                "text": "",
                "choices": ["No acute intracranial haemorrhage.", "No mass effect."],
            },
            {"key": "impression", "title": "Impression", "text": "", "choices": ["No acute abnormality."]},
        ],
        macros={"nad": "No acute abnormality."},
    )


@pytest.fixture
def exam(patient, make_order, complete, referring_doctor, ct_template):
    """A completed CT head of Zoë Müller, referred by drhouse, waiting to be read."""
    return complete(make_order(patient, referring_physician=referring_doctor, priority="routine"))


@pytest.fixture
def claimed(exam, radiologist):
    return services.claim_report(order=exam, actor=radiologist)


@pytest.fixture
def signed(claimed, radiologist):
    return services.sign_report(
        report=claimed,
        actor=radiologist,
        password=PASSWORD,
        sections={"findings": "Small left frontal subdural haematoma.", "impression": "Acute subdural haematoma."},
    )


def group(name):
    return Group.objects.get_or_create(name=name)[0]
