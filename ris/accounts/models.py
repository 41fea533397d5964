"""Users, their roles and provider profiles."""

from __future__ import annotations

from functools import cached_property

from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser
from django.db import models

from ris.accounts.choices import DEPARTMENT_ROLES, Role
from ris.accounts.validators import validate_npi


class User(AbstractUser):
    """A person who signs in to Lumen. What they may do comes from their roles (Groups named as ``Role``)."""

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role_names(self) -> frozenset[str]:
        """The user's roles; a superuser holds the admin role whether or not they are in its group."""
        if not self.is_active:
            return frozenset()
        names = set(self.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if self.is_superuser:
            names.add(Role.ADMIN)
        return frozenset(names)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    def has_perm(self, perm, obj=None) -> bool:
        """The admin role holds every model permission, as a superuser does (the admin site is theirs)."""
        if self.is_active and Role.ADMIN in self.role_names:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        if self.is_active and Role.ADMIN in self.role_names:
            return True
        return super().has_module_perms(app_label)

    @property
    def is_department_staff(self) -> bool:
        """Department staff see every patient; referring physicians only their own."""
        return bool(self.role_names & DEPARTMENT_ROLES)


class ProviderProfile(models.Model):
    """Professional identity of a physician (referring or reading): NPI, specialty, contact."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="provider_profile")
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    specialty = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    organization = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"{self.user.display_name} (NPI {self.npi})"


auditlog.register(User, exclude_fields=["password", "last_login"])
auditlog.register(ProviderProfile)
