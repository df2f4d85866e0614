"""Making a message from a text with merge fields, the same way for a campaign and for an
automation: the values filled in, the HTML made from the text (escaped, links tracked), and on
marketing email the unsubscribe link in the footer and in the List-Unsubscribe headers (RFC 8058).
A program notice carries no unsubscribe link: program notices are turned off in the portal."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from campaigns.channels import Message
from campaigns.composers.registry import address_of
from campaigns.content import html_render, text_render
from campaigns.links import click_url, list_unsubscribe_headers, open_url, unsubscribe_url
from campaigns.models import CampaignChannel, Delivery
from loyalty.services.ledger import points_gift
from members.models import Member
from rewards.codes import voucher_code_generate
from rewards.services.redemption import reward_gift

# What a preview or a test send shows for the voucher a real send would issue.
SAMPLE_VOUCHER_CODE = "XXXX-XXXX-XXXX-XX"


def offered_voucher_code(delivery: Delivery) -> str:
    """The code of the voucher a message offers: chosen once and kept on the row by the sender
    with the handover, so a retry or a "send again" announces the same code, which is the
    voucher's when the message is recorded. A preview (no row) shows a sample."""
    if delivery.pk is None:
        return SAMPLE_VOUCHER_CODE
    delivery.voucher_code = delivery.voucher_code or voucher_code_generate()
    return delivery.voucher_code


def offer_give(
    member: Member,
    *,
    key: str,
    reward=None,
    points: int | None = None,
    voucher_code: str = "",
    event: str,
    source_type: str,
    source_id: str,
    reason: str,
) -> None:
    """Give what a message offers, once per member and `key` (the unique gift and bonus keys):
    `reward` as a voucher at no points under the code the message announced, or `points`.
    The campaigns' offers and the automations' rewards both give through here."""
    if reward is not None:
        reward_gift(member=member, reward=reward, gift_key=key, code=voucher_code)
    elif points:
        points_gift(
            member=member,
            points=points,
            bonus_key=key,
            event=event,
            source_type=source_type,
            source_id=source_id,
            reason=reason,
        )


def message_build(
    delivery: Delivery,
    member: Member,
    *,
    subject: str,
    body: str,
    values: Mapping[str, str],
    language: str,
    marketing: bool,
    channel: str = CampaignChannel.EMAIL,
    appendix: str = "",
) -> Message:
    """The message of `subject` and `body` (texts with merge fields) for `member`, in
    `language`. `appendix` is plain text added after the body (what an automation's reward
    is, when the marketer's text does not say it)."""
    unsubscribe = unsubscribe_url(member_pk=member.pk, kind=channel) if marketing else ""
    values = {**values, "unsubscribe_url": unsubscribe}
    if appendix:
        body = f"{body.rstrip()}\n\n{appendix}"
    text = text_render(body, values)
    if channel != CampaignChannel.EMAIL:
        return Message(to=address_of(member, channel), text=text, language=language)
    footer = ""
    if marketing and "unsubscribe_url" not in body:
        with translation.override(language):
            footer = _("You receive this because you agreed to our offers and news. Unsubscribe:")
        text = f"{text}\n\n--\n{footer} {unsubscribe}"
    return Message(
        to=address_of(member, channel),
        subject=text_render(subject, values),
        text=text,
        html=_html(delivery, body, values, language, footer, unsubscribe),
        headers=list_unsubscribe_headers(unsubscribe) if marketing else {},
        language=language,
    )


def _html(delivery, body: str, values, language: str, footer: str, unsubscribe: str) -> str:
    tracked = delivery.pk is not None  # a preview or a test send is not tracked

    def link(url: str) -> str:
        if not tracked or not settings.TESSERA_TRACK_CLICKS or url == unsubscribe:
            return url
        return click_url(delivery_pk=delivery.pk, url=url)

    parts = [html_render(body, values, link=link)]
    if footer:
        parts.append(
            f'<p style="font-size:small">{escape(footer)} '
            f'<a href="{escape(unsubscribe)}">{escape(unsubscribe)}</a></p>'
        )
    if tracked and settings.TESSERA_TRACK_OPENS:
        parts.append(
            f'<img src="{escape(open_url(delivery_pk=delivery.pk))}" width="1" height="1" alt="">'
        )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}"><head><meta charset="utf-8"></head>'
        f"<body>\n{chr(10).join(parts)}\n</body></html>\n"
    )
