"""Template context: the signed-in user's roles, for role-aware navigation."""

from ris.accounts.choices import Role


def roles(request):
    user = getattr(request, "user", None)
    names = user.role_names if user is not None and user.is_authenticated else frozenset()
    return {"user_roles": names, "Role": Role}
