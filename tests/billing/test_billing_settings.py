"""Bad billing settings stop Lumen at start, naming the variable; production has no demo billing provider."""

import pytest

from tests.test_settings import GOOD_KEY, run_manage


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LUMEN_BILLING_NPI": "1234567890"}, "LUMEN_BILLING_NPI must be a 10-digit NPI with a valid check digit"),
        ({"LUMEN_BILLING_TAX_ID": "12-3456789"}, "LUMEN_BILLING_TAX_ID must be the 9-digit employer identification"),
        ({"LUMEN_BILLING_ZIP": "62701"}, "LUMEN_BILLING_ZIP must be a 9-digit ZIP+4 code"),
        ({"LUMEN_BILLING_STATE": "Illinois"}, "LUMEN_BILLING_STATE must be a two-letter state code"),
        ({"LUMEN_BILLING_SPLIT": "both"}, "LUMEN_BILLING_SPLIT must be global or split"),
        ({"LUMEN_BILLING_PLACE_OF_SERVICE": "1"}, "LUMEN_BILLING_PLACE_OF_SERVICE must be a two-digit"),
        ({"LUMEN_BILLING_X12_USAGE": "X"}, "LUMEN_BILLING_X12_USAGE must be T or P"),
        ({"LUMEN_BILLING_SUBMITTER_ID": "A*B"}, "LUMEN_BILLING_SUBMITTER_ID must be 2 to 15 letters or digits"),
    ],
)
def test_a_bad_billing_setting_stops_lumen(tmp_path, env, message):
    result = run_manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_has_no_demo_billing_provider(tmp_path):
    env = {"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "lumen.example.org"}
    result = run_manage(
        tmp_path, "shell", "-c", "from django.conf import settings; print(repr(settings.LUMEN_BILLING_NPI))", **env
    )
    assert result.stdout.strip().splitlines()[-1] == "''", result.stderr
