"""Study shares that end exactly at their expiry, in front of django-guardian's object permission backend."""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied

from pacs.models import Study, consented_shares


class StudyShareBackend(BaseBackend):
    """Answers object permissions on studies from unexpired ``StudyShare`` rows, and for studies alone.

    guardian's backend (listed after this one) joins its permission rows from ``Permission`` and would still count
    a share past its ``expires_at``; so for a ``Study`` this backend decides: granted while a share is active and the
    patient's sharing consent stands, otherwise ``PermissionDenied``, which stops Django from asking the backends
    after it. Every other model is left to guardian as usual.
    """

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if not isinstance(obj, Study):
            return False
        app_label, _, codename = perm.rpartition(".")
        if (
            getattr(user_obj, "is_active", False)
            and not user_obj.is_anonymous
            and app_label in ("", "pacs")
            and consented_shares(user_obj).filter(content_object=obj, permission__codename=codename).exists()
        ):
            return True
        raise PermissionDenied

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not isinstance(obj, Study) or not getattr(user_obj, "is_active", False) or user_obj.is_anonymous:
            return set()
        shares = consented_shares(user_obj).filter(content_object=obj)
        return {f"pacs.{codename}" for codename in shares.values_list("permission__codename", flat=True)}
