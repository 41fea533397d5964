"""An autosave and a sign of the same report at the same moment (PostgreSQL row locks): whichever wins, the
autosaved text is never lost — it is in the signed report, or kept as a draft addendum, or the sign is refused."""

import threading

import pytest
from django.db import close_old_connections, connection

from reporting import services
from reporting.models import Addendum, Report
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks under real concurrency need PostgreSQL"),
]

ROUNDS = 5


def _race(report, radiologist, typed) -> dict[str, str]:
    """Autosave ``typed`` and sign the report at the same moment; each side's outcome ("ok" or "stale")."""
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def run(name, action):
        try:
            barrier.wait()
            action()
            results[name] = "ok"
        except services.StaleReport:
            results[name] = "stale"
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    def save():
        services.autosave_report(report=report, actor=radiologist, sections={"findings": typed}, version=report.version)

    def sign():
        services.sign_report(
            report=report,
            actor=radiologist,
            password=PASSWORD,
            sections={"impression": "Normal."},
            version=report.version,
        )

    workers = [threading.Thread(target=run, args=(n, a)) for n, a in (("save", save), ("sign", sign))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_an_autosave_racing_a_sign_never_loses_text(patient, make_order, complete, referring_doctor, radiologist):
    outcomes = set()
    for round_number in range(ROUNDS):
        order = complete(make_order(patient, referring_physician=referring_doctor))
        report = services.claim_report(order=order, actor=radiologist)
        typed = f"Late words {round_number}."
        results = _race(report, radiologist, typed)
        report = Report.objects.get(pk=report.pk)
        kept_in_report = report.sections["findings"] == typed
        kept_as_addendum = Addendum.objects.filter(report=report, signed_at__isnull=True, text__contains=typed).exists()
        if results["sign"] == "ok":
            assert (report.status, results["save"], kept_as_addendum) == ("final", "stale", True)
        else:
            assert (report.status, results["save"], kept_in_report) == ("draft", "ok", True)
        outcomes.add((results["save"], results["sign"]))
    assert outcomes <= {("stale", "ok"), ("ok", "stale")}
