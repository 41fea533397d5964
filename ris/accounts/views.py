"""Sign in, sign out and password change."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from ris.accounts.choices import ALL_ROLES
from ris.accounts.roles import PUBLIC, RoleRequiredMixin


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    allowed_roles = (PUBLIC,)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "idle_minutes": settings.SESSION_IDLE_MINUTES}


class LogoutView(auth_views.LogoutView):
    allowed_roles = (PUBLIC,)


class PasswordChangeView(RoleRequiredMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")
    allowed_roles = tuple(ALL_ROLES)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response
