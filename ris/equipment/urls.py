from django.urls import path

from ris.equipment import views

app_name = "equipment"

urlpatterns = [
    path("", views.modality_list, name="list"),
    path("<int:pk>/", views.modality_detail, name="detail"),
]
