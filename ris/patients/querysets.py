"""Patient queries: search as the front desk types it, and scoping to what a user may see."""

from __future__ import annotations

import datetime as dt
import re

from django.apps import apps
from django.db import models

from ris.accounts.choices import Role
from ris.patients.names import name_words

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d")
MAX_SEARCH_WORDS = 8
MAX_SEARCH_LENGTH = 200


def parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date, no time zone)
        except ValueError:
            continue
    return None


def _patients_with_word_starting(prefix: str) -> models.QuerySet:
    """Patient ids having a name word that starts with ``prefix``.

    The range (prefix <= word < prefix with its last character bumped) lets the index do the work on any
    collation; ``startswith`` keeps the match exact.
    """
    words = apps.get_model("patients", "PatientSearchWord").objects.filter(word__startswith=prefix)
    last = ord(prefix[-1])
    if last < 0xD7FF:  # below the surrogates and the end of Unicode there is always a next character
        words = words.filter(word__gte=prefix, word__lt=prefix[:-1] + chr(last + 1))
    return words.values("patient_id")


class PatientQuerySet(models.QuerySet):
    def active(self) -> PatientQuerySet:
        return self.filter(merged_into__isnull=True)

    def search(self, text: str) -> PatientQuerySet:
        """Free-text search: every word must match.

        A word that is a date matches the date of birth; anything else matches the start of the MRN or of any
        word of the name, ignoring case and accents ('mull jo' finds 'Müller, Johanna').
        """
        qs = self
        printable = "".join(
            ch for ch in text[:MAX_SEARCH_LENGTH] if ch.isprintable() and not 0xD800 <= ord(ch) < 0xE000
        )
        tokens = [t for t in re.split(r"[\s,^]+", printable.strip()) if t][:MAX_SEARCH_WORDS]
        for token in tokens:
            born = parse_date(token)
            words = name_words(token)
            if born is not None and token.isdigit():
                # 20240115 may be a date of birth or an all-digit MRN: match either.
                ids = list(_patients_with_word_starting(words[0]).values_list("patient_id", flat=True)[:1000])
                qs = qs.filter(models.Q(birth_date=born) | models.Q(pk__in=ids))
            elif born is not None:
                qs = qs.filter(birth_date=born)
            else:
                for word in words:
                    qs = qs.filter(pk__in=_patients_with_word_starting(word))
        return qs

    def for_user(self, user) -> PatientQuerySet:
        """Department staff see every patient; a referring physician only patients of orders they referred or
        whose studies are shared with them."""
        if not user.is_authenticated:
            return self.none()
        if user.is_department_staff:
            return self
        if user.has_role(Role.REFERRING_PHYSICIAN):
            referred = apps.get_model("orders", "Order").objects.for_user(user)
            return self.filter(pk__in=referred.values("patient_id"))
        return self.none()
