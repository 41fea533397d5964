from django.urls import path

from ris.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/<int:patient_pk>/", views.order_create, name="create"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/edit/", views.order_edit, name="edit"),
    path("<int:pk>/status/", views.order_transition, name="transition"),
]
