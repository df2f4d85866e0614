"""The signed links a message carries: one-click unsubscribe (per member and kind of message),
the open-tracking image and click-tracking redirects (per delivery), CAMPAIGNS.md's "Consent and
unsubscribe" and "Delivery". Signed with the project's secret and a salt per purpose, so a token
made for one purpose is refused for another, and a member cannot unsubscribe anyone else by
changing a number. They do not expire: a mail read a year later still unsubscribes.

The pages behind them are the portal's (`unsubscribe`, `track-open`, `track-click`, `survey`);
this module only makes and reads the tokens and URLs.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "tessera.campaigns.unsubscribe"
OPEN_SALT = "tessera.campaigns.open"
CLICK_SALT = "tessera.campaigns.click"
SURVEY_SALT = "tessera.campaigns.survey"

# What a one-click unsubscribe withdraws: a marketing channel's consent, or program notices.
UNSUBSCRIBE_KINDS = ("email", "sms", "push", "program_notices")


def _sign(value, salt: str) -> str:
    return signing.Signer(salt=salt).sign_object(value, compress=True)


def _read(token: str, salt: str):
    try:
        return signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None


def unsubscribe_token(*, member_pk: int, kind: str) -> str:
    if kind not in UNSUBSCRIBE_KINDS:
        raise ValueError(f"unknown unsubscribe kind {kind!r}")
    return _sign([member_pk, kind], UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    """(member pk, kind) from a token this installation made, else None."""
    value = _read(token, UNSUBSCRIBE_SALT)
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and value[1] in UNSUBSCRIBE_KINDS
    ):
        return value[0], value[1]
    return None


def unsubscribe_url(*, member_pk: int, kind: str) -> str:
    token = unsubscribe_token(member_pk=member_pk, kind=kind)
    return settings.SITE_URL + reverse("unsubscribe", kwargs={"token": token})


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369's List-Unsubscribe with the https link (the only one: a mailto would need a
    mailbox that acts on mail) and RFC 8058's one-click POST, which mail providers require of
    bulk senders."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def open_url(*, delivery_pk: int) -> str:
    token = _sign(delivery_pk, OPEN_SALT)
    return settings.SITE_URL + reverse("track-open", kwargs={"token": token})


def open_read(token: str) -> int | None:
    value = _read(token, OPEN_SALT)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def click_url(*, delivery_pk: int, url: str) -> str:
    token = _sign([delivery_pk, url], CLICK_SALT)
    return settings.SITE_URL + reverse("track-click", kwargs={"token": token})


def click_read(token: str) -> tuple[int, str] | None:
    """(delivery pk, target) for a link this installation signed; only http(s) targets, so a
    signed link can never become a javascript: or data: redirect."""
    value = _read(token, CLICK_SALT)
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
        and value[1].startswith(("https://", "http://"))
    ):
        return value[0], value[1]
    return None


def survey_token(*, survey_pk: int) -> str:
    return _sign(survey_pk, SURVEY_SALT)


def survey_read(token: str) -> int | None:
    value = _read(token, SURVEY_SALT)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def survey_url(*, survey_pk: int) -> str:
    """The survey's page: answerable without signing in, by whoever holds the link (the mail
    went to the member), once."""
    return settings.SITE_URL + reverse(
        "survey", kwargs={"token": survey_token(survey_pk=survey_pk)}
    )
