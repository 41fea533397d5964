from django.urls import path

from pacs import views

app_name = "pacs"

urlpatterns = [
    path("", views.study_list, name="studies"),
    path("reconciliation/", views.reconciliation_list, name="reconciliation"),
    path("<int:pk>/", views.study_detail, name="study"),
    path("<int:pk>/send/", views.study_send, name="send"),
    path("<int:pk>/reconcile/", views.study_reconcile, name="reconcile"),
]
