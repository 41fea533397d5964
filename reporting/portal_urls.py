from django.urls import path

from reporting import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("orders/<int:pk>/", portal_views.order_detail, name="order"),
    path("orders/<int:pk>/share/", portal_views.share, name="share"),
    path("shares/<int:pk>/revoke/", portal_views.revoke, name="revoke"),
    path("reports/<int:pk>/pdf/", portal_views.report_pdf, name="pdf"),
    path("critical/<int:pk>/acknowledge/", portal_views.acknowledge, name="acknowledge"),
]
