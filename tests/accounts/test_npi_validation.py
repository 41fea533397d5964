import pytest
from django.core.exceptions import ValidationError

from ris.accounts.validators import npi_check_digit_ok, validate_npi


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1386719417", "1003000126"])
def test_it_accepts_npis_whose_luhn_check_digit_matches(npi):
    assert npi_check_digit_ok(npi) is True
    validate_npi(npi)


@pytest.mark.parametrize("npi", ["1234567890", "1245319598", "2234567893"])
def test_it_refuses_a_typo_with_the_check_digit_message(npi):
    with pytest.raises(ValidationError) as caught:
        validate_npi(npi)
    assert caught.value.messages == ["This NPI fails its check digit; check it for a typing error."]


@pytest.mark.parametrize("npi", ["123456789", "12345678931", "12345678a3", "", "１２３４５６７８９３"])
def test_it_refuses_anything_but_ten_ascii_digits(npi):
    with pytest.raises(ValidationError) as caught:
        validate_npi(npi)
    assert caught.value.messages == ["An NPI is exactly 10 digits."]
