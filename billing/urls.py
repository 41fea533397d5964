from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.charge_list, name="charges"),
    path("charges/<int:pk>/", views.charge_detail, name="charge"),
    path("charges/<int:pk>/<str:action>/", views.charge_action, name="charge_action"),
    path("claims/", views.claim_list, name="claims"),
    path("claims/build/", views.claim_build, name="claim_build"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/<str:action>/", views.claim_action, name="claim_action"),
    path("exports/", views.export_list, name="exports"),
    path("exports/new/", views.export_create, name="export_create"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("payers/", views.payer_list, name="payers"),
    path("payers/<int:pk>/", views.payer_detail, name="payer"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
]
