"""django-guardian's object permission backend, with study shares that end exactly at their expiry."""

from __future__ import annotations

from guardian.backends import ObjectPermissionBackend

from pacs.models import Study, StudyShare


class ExpiringObjectPermissionBackend(ObjectPermissionBackend):
    """Guardian joins its permission rows from ``Permission``, which would count an expired ``StudyShare``; for
    studies the check reads the unexpired shares instead. Every other model is guardian's as usual."""

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if isinstance(obj, Study):
            if not getattr(user_obj, "is_active", False) or user_obj.is_anonymous:
                return False
            app_label, _, codename = perm.rpartition(".")
            if app_label and app_label != "pacs":
                return False
            return StudyShare.objects.filter(user=user_obj, content_object=obj, permission__codename=codename).exists()
        return super().has_perm(user_obj, perm, obj)

    def get_all_permissions(self, user_obj, obj=None):
        if isinstance(obj, Study):
            if not getattr(user_obj, "is_active", False) or user_obj.is_anonymous:
                return set()
            shares = StudyShare.objects.filter(user=user_obj, content_object=obj)
            return set(shares.values_list("permission__codename", flat=True))
        return super().get_all_permissions(user_obj, obj)
