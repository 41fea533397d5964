"""The critical-results banner for the home page and the portal (no patient data in it, just the count)."""

from django import template

from reporting.models import CriticalResult
from ris.accounts.choices import Role

register = template.Library()


@register.inclusion_tag("reporting/critical_banner.html", takes_context=True)
def critical_banner(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"count": 0}
    count = CriticalResult.objects.unacknowledged().waiting_for(user).count()
    return {"count": count, "portal": user.has_role(Role.REFERRING_PHYSICIAN)}
