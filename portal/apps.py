from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Member portal")

    def ready(self) -> None:
        from portal import account_signals  # noqa: F401 - connects the receivers
