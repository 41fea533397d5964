import pytest
from django.core.management import CommandError, call_command

from ris.accounts.models import User
from ris.orders.models import Order
from ris.patients.models import Patient


def test_seed_demo_loads_one_user_per_role_and_can_run_twice(db, settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", patients=6)
    call_command("seed_demo", patients=6)
    out = capsys.readouterr().out
    assert "Demo sign-ins (password for all: lumen-demo):" in out
    roles = {u.username: sorted(u.role_names) for u in User.objects.all()}
    assert roles == {
        "frontdesk": ["front_desk"],
        "tech": ["technologist"],
        "radiologist": ["radiologist"],
        "billing": ["billing"],
        "drhouse": ["referring_physician"],
        "drwho": ["referring_physician"],
        "admin": ["admin"],
        "typist": ["transcriptionist"],  # added by reporting/demo.py
        "lead": ["department_lead"],  # added by reporting/demo.py
    }
    assert Patient.objects.count() == 6
    assert Order.objects.filter(referring_physician__username__in=["drhouse", "drwho"]).count() == Order.objects.count()
    assert User.objects.get(username="frontdesk").check_password("lumen-demo")


def test_seed_demo_refuses_to_run_on_a_production_site(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="seed_demo only runs with DEBUG on"):
        call_command("seed_demo")
