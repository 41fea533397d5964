"""Putting a service's ValidationError onto the form the user filled in."""

from django.core.exceptions import ValidationError
from django.forms import Form


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Field errors land on their field when the form shows it, everything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)
