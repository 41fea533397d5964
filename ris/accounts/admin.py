from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ris.accounts.models import ProviderProfile, User


class ProviderProfileInline(admin.StackedInline):
    model = ProviderProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProviderProfileInline]
    list_display = ("username", "first_name", "last_name", "email", "roles", "is_active")
    list_filter = ("groups", "is_active")

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(obj.groups.values_list("name", flat=True)))
