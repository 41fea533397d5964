"""Code validators for orders and the procedure catalog."""

import re
from functools import cache
from types import ModuleType

from django.core.exceptions import ValidationError

_CPT = re.compile(r"^(\d{5}|\d{4}[FTU])$")


def validate_cpt(value: str) -> None:
    """CPT: five digits (Category I) or four digits and F, T or U (Categories II, III and PLA)."""
    if not _CPT.match(value):
        raise ValidationError(
            f"“{value}” is not a CPT code: five digits, or four digits followed by F, T or U.", code="cpt"
        )


def messages_of(validator, codes) -> list[str]:
    """The messages ``validator`` gives for each of ``codes``, in order (empty: all valid)."""
    errors: list[str] = []
    for code in codes:
        try:
            validator(code)
        except ValidationError as exc:
            errors.extend(exc.messages)
    return errors


def normalize_icd10(value: str) -> str:
    """ICD-10-CM in its printed form: upper case with the dot after the third character (R51.9)."""
    code = value.strip().upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


@cache
def _icd10() -> ModuleType:
    """The ICD-10-CM code set (simple-icd-10-cm ships the CMS tables); loaded on first use, ~2 s."""
    import simple_icd_10_cm

    return simple_icd_10_cm


def validate_icd10(value: str) -> None:
    """The code must exist in ICD-10-CM and be billable (a leaf: most specific level)."""
    icd10 = _icd10()
    code = normalize_icd10(value)
    if not icd10.is_valid_item(code):
        raise ValidationError(f"“{value}” is not an ICD-10-CM code.", code="icd10_unknown")
    if not icd10.is_leaf(code):
        raise ValidationError(
            f"“{code}” is a category; use a more specific code (for example {icd10.get_children(code)[0]}).",
            code="icd10_not_billable",
        )


def icd10_description(value: str) -> str:
    icd10 = _icd10()
    code = normalize_icd10(value)
    return icd10.get_description(code) if icd10.is_valid_item(code) else ""
