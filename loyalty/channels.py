"""Where a purchase happened: declared once, for the ledger's rows, the program file's rules and
every form and endpoint that takes a channel."""

from django.db import models
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    # The names staff read on forms, refunds and segments ("In store", not `store`).
    STORE = "store", pgettext_lazy("channel", "In store")
    ONLINE = "online", pgettext_lazy("channel", "Online")
    APP = "app", pgettext_lazy("channel", "In the app")


# For membership tests on hot paths: `Channel.values` builds a new list on every call.
CHANNELS = frozenset(Channel.values)


def channel_name(code: str) -> str:
    """The channel's name in the active language; an unknown code as it is."""
    return str(Channel(code).label) if code in CHANNELS else code
