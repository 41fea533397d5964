"""Billing figures over a date range: capture completeness, charges and claims by state, revenue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from billing.choices import ChargeStatus, ClaimStatus, Component
from billing.models import Charge, ChargeLine, Claim
from ris.orders.models import OrderStatusChange


def _range(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def figures(start: dt.date, end: dt.date) -> dict:
    """Everything the dashboard shows for exams completed and services dated ``start`` to ``end`` (inclusive)."""
    low, high = _range(start, end)
    completed = set(
        OrderStatusChange.objects.filter(to_status="completed", at__gte=low, at__lt=high).values_list(
            "order_id", flat=True
        )
    )
    charged = set(Charge.objects.filter(order_id__in=completed).values_list("order_id", flat=True))
    missing = sorted(completed - charged)
    # Split billing: a report made final (the order's "final" state) must have brought its professional component.
    finals = OrderStatusChange.objects.filter(to_status="final", at__gte=low, at__lt=high).values("order_id")
    split = set(
        Charge.objects.filter(order_id__in=finals, component=Component.TECHNICAL).values_list("order_id", flat=True)
    )
    professional = set(
        Charge.objects.filter(order_id__in=split, component=Component.PROFESSIONAL).values_list("order_id", flat=True)
    )
    missing_professional = sorted(split - professional)
    charges = Charge.objects.filter(date_of_service__gte=start, date_of_service__lte=end)
    line_total = ExpressionWrapper(F("amount") * F("units"), output_field=DecimalField(max_digits=14, decimal_places=2))
    lines = ChargeLine.objects.filter(
        charge__date_of_service__gte=start, charge__date_of_service__lte=end, amount__isnull=False
    ).exclude(charge__status=ChargeStatus.VOID)
    by_modality = (
        lines.values(key=F("charge__order__procedure__modality_type"))
        .annotate(amount=Sum(line_total), count=Count("charge", distinct=True))
        .order_by("key")
    )
    by_payer = (
        lines.values(key=F("charge__payer__name"))
        .annotate(amount=Sum(line_total), count=Count("charge", distinct=True))
        .order_by("key")
    )
    charge_states = list(charges.values(key=F("status")).annotate(count=Count("id")).order_by("key"))
    claim_states = list(
        Claim.objects.filter(date_of_service__gte=start, date_of_service__lte=end)
        .values(key=F("status"))
        .annotate(count=Count("id"), amount=Sum("total"))
        .order_by("key")
    )
    for row in charge_states:
        row["label"] = ChargeStatus(row["key"]).label
    for row in claim_states:
        row["label"] = ClaimStatus(row["key"]).label
    return {
        "start": start,
        "end": end,
        "exams_completed": len(completed),
        "charges_captured": len(charged),
        "missing_order_ids": missing[:100],
        "missing_count": len(missing),
        "missing_professional_order_ids": missing_professional[:100],
        "missing_professional_count": len(missing_professional),
        "charges_by_status": charge_states,
        "attention_count": charges.needing_attention().count(),
        "claims_by_status": claim_states,
        "revenue_by_modality": list(by_modality),
        "revenue_by_payer": list(by_payer),
        "revenue_total": sum((row["amount"] or Decimal(0) for row in by_modality), Decimal("0.00")),
    }


def csv_rows(data: dict):
    """The figures as (section, key, count, amount) rows."""
    yield ["section", "key", "count", "amount"]
    yield ["range", f"{data['start']}..{data['end']}", "", ""]
    yield ["capture", "exams completed", data["exams_completed"], ""]
    yield ["capture", "charges captured", data["charges_captured"], ""]
    yield ["capture", "completed without a charge", data["missing_count"], ""]
    yield ["capture", "final report without a professional charge", data["missing_professional_count"], ""]
    for row in data["charges_by_status"]:
        yield ["charges by state", row["key"], row["count"], ""]
    for row in data["claims_by_status"]:
        yield ["claims by state", row["key"], row["count"], f"{row['amount'] or 0:.2f}"]
    for row in data["revenue_by_modality"]:
        yield ["revenue by modality", row["key"], row["count"], f"{row['amount'] or 0:.2f}"]
    for row in data["revenue_by_payer"]:
        yield ["revenue by payer", row["key"] or "(no payer)", row["count"], f"{row['amount'] or 0:.2f}"]
