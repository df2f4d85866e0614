"""The campaign's message for one member (CAMPAIGNS.md, Campaigns): the campaign's content in
the member's language (else the program's, else any), its merge fields filled in with the
member's values of the moment, the HTML escaped, the links tracked and the unsubscribe link and
headers on every email.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from campaigns.channels import Message
from campaigns.composers.building import message_build, offer_give, offered_voucher_code
from campaigns.composers.registry import CAMPAIGN, Outdated, composer
from campaigns.content import content_for_language
from campaigns.merge_values import merge_values_for
from campaigns.models import Campaign, Delivery, DeliveryPurpose
from loyalty.selectors.program import program_language
from members.models import Member


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
    offer_give(
        member,
        key=campaign_offer_key(campaign),
        reward=campaign.offer_reward if campaign.offer_reward_id is not None else None,
        points=campaign.offer_points,
        voucher_code=delivery.voucher_code,
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
    if campaign.offer_reward_id is not None:
        values = {**values, "voucher_code": offered_voucher_code(delivery)}
    return message_build(
        delivery,
        member,
        subject=texts.get("subject", ""),
        body=texts["body"],
        values=values,
        language=language,
        marketing=True,
        channel=campaign.channel,
    )
