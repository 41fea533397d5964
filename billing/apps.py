from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Payers, fee schedules, charge capture, claims and claim export."""

    name = "billing"
