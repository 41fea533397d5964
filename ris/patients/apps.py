from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "ris.patients"
    label = "patients"
    verbose_name = "Patients"
