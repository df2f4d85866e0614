"""Where a purchase happened: declared once, for the ledger's rows, the program file's rules and
every form and endpoint that takes a channel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    STORE = "store", _("store")
    ONLINE = "online", _("online")
    APP = "app", _("app")


# For membership tests on hot paths: `Channel.values` builds a new list on every call.
CHANNELS = frozenset(Channel.values)
