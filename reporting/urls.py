from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("claim/<int:order_pk>/", views.claim, name="claim"),
    path("<int:pk>/", views.report_detail, name="report"),
    path("<int:pk>/autosave/", views.autosave, name="autosave"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/release/", views.release, name="release"),
    path("<int:pk>/key-images/", views.key_images, name="key_images"),
    path("<int:pk>/addendum/", views.addendum, name="addendum"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/dictation/", views.dictation_upload, name="dictation_upload"),
    path("dictation/<int:pk>/audio/", views.dictation_audio, name="dictation_audio"),
    path("dictation/<int:pk>/done/", views.dictation_done, name="dictation_done"),
    path("transcription/", views.transcription_queue, name="transcription"),
    path("critical/", views.critical_list, name="critical_list"),
    path("critical/<int:pk>/notify/", views.critical_notify, name="critical_notify"),
    path("peer-review/", views.peer_review_list, name="peer_reviews"),
    path("peer-review/<int:pk>/", views.peer_review, name="peer_review"),
    path("peer-review/scores/", views.peer_review_scores, name="peer_review_scores"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
]
