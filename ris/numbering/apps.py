from django.apps import AppConfig


class NumberingConfig(AppConfig):
    name = "ris.numbering"
    label = "numbering"
    verbose_name = "Number sequences"
