from django.apps import AppConfig


class PacsConfig(AppConfig):
    name = "pacs"
    label = "pacs"
    verbose_name = "PACS: image archive"
