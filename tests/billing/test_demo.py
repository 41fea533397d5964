"""The demo has a charge for every completed exam and ready claims a new user can export at once."""

from django.core.management import call_command

from billing import export, services
from billing.models import Charge, Claim, FeeScheduleEntry, Payer
from ris.accounts.models import User
from ris.orders.choices import DONE_STATUSES
from ris.orders.models import Order, Procedure
from tests.billing.conftest import pyx12_errors


def test_the_demo_seeds_billing_twice_without_duplicates_and_exports_a_valid_batch(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", patients=30)
    counts = (Charge.objects.count(), Claim.objects.count(), FeeScheduleEntry.objects.count())
    call_command("seed_demo", patients=30)

    assert (Charge.objects.count(), Claim.objects.count(), FeeScheduleEntry.objects.count()) == counts
    assert "Acme Health" in Payer.objects.values_list("name", flat=True)
    cpt_codes = set(Procedure.objects.values_list("cpt_code", flat=True))
    assert cpt_codes <= set(FeeScheduleEntry.objects.filter(modifier="").values_list("code", flat=True))
    done = set(Order.objects.filter(status__in=DONE_STATUSES).values_list("pk", flat=True))
    assert set(Charge.objects.values_list("order_id", flat=True)) == done
    assert Charge.objects.filter(order_id__in=done).count() == len(done)  # one global charge each
    ready = Claim.objects.ready().count()
    assert ready >= 2

    batch = services.export_claims(actor=User.objects.get(username="billing"), format="x12")
    assert batch.claim_count == ready
    assert pyx12_errors("".join(export.render(batch))) == []
    assert "claims ready to export" in capsys.readouterr().out
