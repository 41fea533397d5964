from django.urls import path

from ris.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/coverage/", views.coverage_add, name="coverage_add"),
    path("<int:pk>/consent/", views.consent_record, name="consent_record"),
    path("<int:pk>/merge/", views.patient_merge, name="merge"),
]
