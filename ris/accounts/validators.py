"""Validators for provider identifiers."""

from django.core.exceptions import ValidationError


def npi_check_digit_ok(npi: str) -> bool:
    """True when the 10-digit NPI's last digit is its Luhn check digit.

    CMS computes the check digit with the Luhn formula over the 9 leading digits prefixed by the card-issuer
    prefix 80840 (NPI final rule, 45 CFR 162.406); the prefix contributes a constant 24 to the sum.
    """
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    total = 24
    for position, char in enumerate(reversed(npi[:9])):
        digit = int(char)
        if position % 2 == 0:  # rightmost of the nine and every second one leftwards are doubled
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        raise ValidationError("An NPI is exactly 10 digits.", code="npi_format")
    if not npi_check_digit_ok(value):
        raise ValidationError("This NPI fails its check digit; check it for a typing error.", code="npi_check")
