from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    name = "ris.equipment"
    label = "equipment"
    verbose_name = "Equipment"
