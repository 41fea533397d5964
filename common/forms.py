"""Putting a service's ValidationError onto the form the user filled in."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.forms import Form

T = TypeVar("T")


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Field errors land on their field when the form shows it, everything else at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc)


def submit(request, form: Form, action: Callable[[dict[str, Any]], T]) -> T | None:
    """Run ``action`` (a service call) on the form's data when a valid form was posted.

    Returns what the service returned, or None when there was nothing to do or the service refused; then its
    errors are on the form, ready to show again with what the user typed.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
