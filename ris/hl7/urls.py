from django.urls import path

from ris.hl7 import views

app_name = "hl7"
urlpatterns = [
    path("", views.message_list, name="messages"),
    path("dead-letters/", views.dead_letters, name="dead_letters"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/replay/", views.message_replay, name="replay"),
    path("messages/<int:pk>/resend/", views.message_resend, name="resend"),
    path("messages/<int:pk>/discard/", views.message_discard, name="discard"),
    path("partners/", views.partner_list, name="partners"),
    path("partners/new/", views.partner_edit, name="partner_new"),
    path("partners/<int:pk>/", views.partner_edit, name="partner"),
]
