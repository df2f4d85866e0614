from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "config.events"
    label = "events"
    verbose_name = _("domain events")

    def ready(self) -> None:
        # Consumers are declared by the apps above this one, each in its own `consumers.py`
        # (as the admin finds `admin.py`): config never names them, and every process that
        # loads the apps (web, worker) knows the same consumers.
        autodiscover_modules("consumers")
