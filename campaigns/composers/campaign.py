"""The campaign's message for one member (CAMPAIGNS.md, Campaigns): the campaign's content in
the member's language (else the program's, else any), its merge fields filled in with the
member's values of the moment, the HTML escaped, the links tracked and the unsubscribe link and
headers on every email.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from campaigns.channels import Message
from campaigns.composers.registry import CAMPAIGN, Outdated, address_of, composer
from campaigns.content import content_for_language, html_render, text_render
from campaigns.links import click_url, list_unsubscribe_headers, open_url, unsubscribe_url
from campaigns.merge_values import merge_values_for
from campaigns.models import Campaign, CampaignChannel, Delivery, DeliveryPurpose
from loyalty.selectors.program import program_language
from loyalty.services.ledger import points_gift
from members.models import Member
from rewards.codes import voucher_code_generate
from rewards.services.redemption import reward_gift

# What a preview or a test send shows for the voucher a real send would issue.
SAMPLE_VOUCHER_CODE = "XXXX-XXXX-XXXX-XX"


def campaign_offer_key(campaign: Campaign) -> str:
    """The occasion of a campaign's offer: the gift key of its voucher, the bonus key of its
    points; once per member each (the unique indexes in rewards and the ledger)."""
    return f"campaign:{campaign.code}"


def campaign_offers(delivery: Delivery) -> bool:
    campaign = delivery.campaign
    return campaign.offer_reward_id is not None or bool(campaign.offer_points)


def campaign_offer_issue(delivery: Delivery, member: Member) -> None:
    """Give what the campaign offers with the message recorded sent: its reward as a voucher at
    no points (under the code the message announced) or its bonus points. Once per campaign
    and member, however often this runs for the row."""
    campaign = delivery.campaign
    key = campaign_offer_key(campaign)
    if campaign.offer_reward_id is not None:
        reward_gift(
            member=member, reward=campaign.offer_reward, gift_key=key, code=delivery.voucher_code
        )
    elif campaign.offer_points:
        points_gift(
            member=member,
            points=campaign.offer_points,
            bonus_key=key,
            event="campaign",
            source_type="campaign",
            source_id=campaign.code,
            reason=f"campaign {campaign.code}",
        )


class _Batch:
    """What a batch of a campaign's rows shares, read once: the campaigns with their offers,
    the program's language, and every member's merge values (of the batch's start: a batch
    lasts seconds)."""

    def __init__(self, rows: Sequence[Delivery]) -> None:
        campaigns = Campaign.objects.select_related("offer_reward").in_bulk(
            {row.campaign_id for row in rows}
        )
        for row in rows:
            row.campaign = campaigns[row.campaign_id]
        members = list(
            Member.objects.select_related("user").filter(pk__in={row.member_id for row in rows})
        )
        self.program_language = program_language()
        self.values = merge_values_for(members=members, at=timezone.now())

    def compose(self, delivery: Delivery, member: Member) -> Message:
        values = self.values.get(member.pk)
        if values is None:  # not among the rows prepared: composed alone
            return campaign_message(delivery, member)
        return _message(delivery, member, values, self.program_language)


@composer(
    CAMPAIGN,
    purpose=DeliveryPurpose.MARKETING,
    prepare=lambda rows: _Batch(rows).compose,
    issue=campaign_offer_issue,
    offers=campaign_offers,
)
def campaign_message(delivery: Delivery, member: Member) -> Message:
    """One member's message, read alone (a preview, a test send)."""
    values = merge_values_for(members=[member], at=timezone.now())[member.pk]
    return _message(delivery, member, values, program_language())


def _message(delivery: Delivery, member: Member, values: dict, default_language: str) -> Message:
    campaign = delivery.campaign
    found = content_for_language(
        campaign.content, member.language, program_language=default_language
    )
    if found is None:
        raise Outdated(f"campaign {campaign.code} has no content")
    language, texts = found
    unsubscribe = unsubscribe_url(member_pk=member.pk, kind=campaign.channel)
    values = {**values, "unsubscribe_url": unsubscribe}
    if campaign.offer_reward_id is not None:
        if delivery.pk is None:
            values = {**values, "voucher_code": SAMPLE_VOUCHER_CODE}
        else:
            # Chosen once, kept by the sender with the handover: a retry or a "send again"
            # announces the same code, which is the voucher's when the message is recorded.
            delivery.voucher_code = delivery.voucher_code or voucher_code_generate()
            values = {**values, "voucher_code": delivery.voucher_code}
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
