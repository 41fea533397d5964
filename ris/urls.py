"""Lumen's URL map. Every view declares the roles that may use it (see ris/accounts/roles.py)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from pacs import viewer
from pacs.dicomweb import views as dicomweb_views
from ris import views
from ris.accounts.choices import ALL_ROLES
from ris.accounts.roles import HasRole

api_v1 = [
    path("", include("ris.patients.api.urls")),
    path("", include("ris.orders.api.urls")),
    path("", include("ris.equipment.api.urls")),
    path("", include("scheduling.api.urls")),
    path("", include("reporting.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("ris.hl7.api.urls")),
]


class SchemaView(SpectacularAPIView):
    permission_classes = [HasRole]
    allowed_roles = tuple(ALL_ROLES)


class SwaggerView(SpectacularSwaggerView):
    permission_classes = [HasRole]
    allowed_roles = tuple(ALL_ROLES)


urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("ris.accounts.urls")),
    path("patients/", include("ris.patients.urls")),
    path("orders/", include("ris.orders.urls")),
    path("equipment/", include("ris.equipment.urls")),
    path("studies/", include("pacs.urls")),
    path("dicomweb/", include("pacs.dicomweb.urls")),
    path("wado", dicomweb_views.wado_uri, name="wado-uri"),
    path("viewer/", viewer.viewer, name="viewer"),
    path("viewer/<path:path>", viewer.viewer, name="viewer-path"),
    path("scheduling/", include("scheduling.urls")),
    path("reports/", include("reporting.urls")),
    path("portal/", include("reporting.portal_urls")),
    path("billing/", include("billing.urls")),
    path("hl7/", include("ris.hl7.urls")),
    path("audit/", include("ris.audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
