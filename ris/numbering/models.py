"""Named counters behind generated MRNs and accession numbers."""

from django.db import models, transaction


class Counter(models.Model):
    """The last number handed out for one named sequence (e.g. ``accession-2026``, ``mrn``)."""

    name = models.CharField(max_length=60, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


@transaction.atomic
def next_value(name: str) -> int:
    """The next number of the sequence ``name``; gap-free and safe under concurrency.

    The counter row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions hold the
    database write lock) until the caller's transaction ends, so two transactions never get the same number and
    a rolled-back transaction gives its number back.
    """
    Counter.objects.bulk_create([Counter(name=name, value=0)], ignore_conflicts=True)
    counter = Counter.objects.select_for_update().get(name=name)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value
