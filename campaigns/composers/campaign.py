"""The campaign's message for one member (CAMPAIGNS.md, Campaigns): the campaign's content in
the member's language (else the program's, else any), its merge fields filled in with the
member's values of the moment, the HTML escaped, the links tracked and the unsubscribe link and
headers on every email.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from campaigns.channels import Message
from campaigns.composers.registry import CAMPAIGN, Outdated, address_of, composer
from campaigns.content import content_for_language, html_render, text_render
from campaigns.links import click_url, list_unsubscribe_headers, open_url, unsubscribe_url
from campaigns.merge_values import merge_values_for
from campaigns.models import CampaignChannel, Delivery, DeliveryPurpose
from loyalty.selectors.program import program_language
from members.models import Member


@composer(CAMPAIGN, purpose=DeliveryPurpose.MARKETING)
def campaign_message(delivery: Delivery, member: Member) -> Message:
    campaign = delivery.campaign
    found = content_for_language(
        campaign.content, member.language, program_language=program_language()
    )
    if found is None:
        raise Outdated(f"campaign {campaign.code} has no content")
    language, texts = found
    unsubscribe = unsubscribe_url(member_pk=member.pk, kind=campaign.channel)
    values = merge_values_for(
        members=[member], at=timezone.now(), unsubscribe_url=lambda _member: unsubscribe
    )[member.pk]
    text = text_render(texts["body"], values)
    if campaign.channel != CampaignChannel.EMAIL:
        return Message(to=address_of(member, campaign.channel), text=text, language=language)
    with translation.override(language):
        footer = _("You receive this because you agreed to our offers and news. Unsubscribe:")
    mentions_unsubscribe = "unsubscribe_url" in texts["body"]
    if not mentions_unsubscribe:
        text = f"{text}\n\n--\n{footer} {unsubscribe}"
    return Message(
        to=address_of(member, campaign.channel),
        subject=text_render(texts["subject"], values),
        text=text,
        html=_html(delivery, texts["body"], values, language, footer, unsubscribe),
        headers=list_unsubscribe_headers(unsubscribe),
        language=language,
    )


def _html(delivery, body: str, values, language: str, footer: str, unsubscribe: str) -> str:
    tracked = delivery.pk is not None  # a preview or a test send is not tracked

    def link(url: str) -> str:
        if not tracked or not settings.TESSERA_TRACK_CLICKS or url == unsubscribe:
            return url
        return click_url(delivery_pk=delivery.pk, url=url)

    parts = [html_render(body, values, link=link)]
    if "unsubscribe_url" not in body:
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
