from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "ris.orders"
    label = "orders"
    verbose_name = "Orders and procedures"
