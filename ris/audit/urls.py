from django.urls import path

from ris.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.access_log, name="list"),
    path("export.csv", views.access_log_export, name="export"),
]
