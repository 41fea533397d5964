"""Django admin for catalogs and configuration, open to the admin role only."""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

from ris.accounts.choices import Role


class LumenAdminSite(AdminSite):
    site_header = "Lumen administration"
    site_title = "Lumen admin"
    index_title = "Catalogs and configuration"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_authenticated and user.has_role(Role.ADMIN)


class LumenAdminConfig(AdminConfig):
    default_site = "ris.admin_site.LumenAdminSite"
