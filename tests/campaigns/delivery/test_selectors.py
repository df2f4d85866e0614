"""A campaign's figures from its delivery log (API.md `counts`), and when it is done."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Delivery
from campaigns.selectors.deliveries import (
    campaign_delivery_counts,
    campaign_is_settled,
    deliveries_unknown_for_campaign,
    delivery_list_for_campaign,
)
from campaigns.services.sending import deliveries_send
from tests.campaigns.delivery.conftest import queue
from tests.factories.ledger import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_counts_follow_the_log(program, campaign, smtp):
    sent, held, skipped, lost = (
        MemberFactory(marketing_email_opt_in=True),
        MemberFactory(marketing_email_opt_in=True),
        MemberFactory(marketing_email_opt_in=False),
        MemberFactory(marketing_email_opt_in=True),
    )
    for member in (sent, skipped, lost):
        queue(member, campaign=campaign)
    queue(held, campaign=campaign, status="holdout")
    # A handover whose worker died, its lease run out.
    ran_out = timezone.now() - datetime.timedelta(seconds=1)
    Delivery.objects.filter(member=lost).update(
        status="handing", handed_at=ran_out, claimed_until=ran_out
    )
    assert not campaign_is_settled(campaign=campaign)

    deliveries_send()
    Delivery.objects.filter(member=sent).update(opened_at=timezone.now())

    assert campaign_delivery_counts(campaign=campaign) == {
        "queued": 0,
        "holdout": 1,
        "skipped": 1,
        "sent": 1,
        "failed": 0,
        "unknown": 1,
        "opened": 1,
        "clicked": 0,
    }
    assert campaign_is_settled(campaign=campaign)
    assert [row.member_id for row in deliveries_unknown_for_campaign(campaign=campaign)] == [
        lost.pk
    ]


def test_the_log_reads_the_latest_handed_over_first_then_the_rest_as_queued(program, campaign):
    members = [MemberFactory(marketing_email_opt_in=True) for _ in range(4)]
    for member in members:
        queue(member, campaign=campaign)
    moment = timezone.now()
    for minutes, member in ((5, members[2]), (9, members[0])):
        at = moment + datetime.timedelta(minutes=minutes)
        Delivery.objects.filter(member=member).update(status="sent", handed_at=at, sent_at=at)

    log = delivery_list_for_campaign(campaign=campaign)

    assert [row.member_id for row in log] == [
        m.pk for m in (members[0], members[2], members[1], members[3])
    ]
