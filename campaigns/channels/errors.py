"""A channel's failures, sorted by what the sender does next."""


class SendError(Exception):
    """The channel did not take the message."""


class TransientSendError(SendError):
    """Trying again later may work (connection refused or dropped, SMTP 4xx, a provider's
    429 or 5xx): the row is queued again, due after a back-off, up to the retry cap."""


class PermanentSendError(SendError):
    """Trying again will not help (SMTP 5xx, an address refused): the row fails at once."""
