"""Billing lists cost the same number of queries for 1 row or many (no N+1)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import services
from tests.conftest import login


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_charge_and_claim_lists_do_not_grow_with_rows(
    client, billing_clerk, insured, make_order, complete, code_and_release, referring_doctor
):
    login(client, billing_clerk)
    urls = [reverse("billing:charges"), reverse("billing:claims")]
    urls += ["/api/v1/billing/charges/", "/api/v1/billing/claims/"]

    def add():
        code_and_release(complete(make_order(insured(), referring_physician=referring_doctor)))
        services.build_claims(actor=billing_clerk)

    add()
    few = [queries(client, url) for url in urls]
    for _ in range(4):
        add()
    assert [queries(client, url) for url in urls] == few
