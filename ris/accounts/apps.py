from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ris.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
