"""Every search form's fields have a label a person can read (django-filter shows "[invalid name]" for a
method filter on a name that is not a model field, unless it is given a label)."""

import importlib

import django_filters
import pytest
from django.apps import apps


def filtersets():
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.filtersets")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, django_filters.FilterSet)
                and value.__module__ == module.__name__
                and getattr(value._meta, "model", None) is not None
            ):
                found.append(value)
    return found


def test_the_search_forms_are_found():
    names = {cls.__name__ for cls in filtersets()}
    assert {"WorklistFilterSet", "FeeFilterSet", "OrderFilterSet", "PatientFilterSet"} <= names


@pytest.mark.parametrize("filterset", filtersets(), ids=lambda cls: cls.__name__)
def test_every_field_has_a_readable_label(filterset, db):
    form = filterset(None, queryset=filterset._meta.model.objects.none(), request=None).form

    assert {name: str(field.label) for name, field in form.fields.items() if "invalid" in str(field.label)} == {}


def test_the_needs_attention_choice_reads_any_yes_no(db):
    from billing.filtersets import ChargeFilterSet
    from billing.models import Charge

    field = ChargeFilterSet(None, queryset=Charge.objects.none()).form["attention"]

    assert list(field.field.widget.choices) == [("", "Any"), ("true", "Yes"), ("false", "No")]
