"""A campaign's figures from its delivery log (API.md `counts`), and when it is done."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Delivery
from campaigns.selectors.deliveries import (
    campaign_delivery_counts,
    campaign_is_settled,
    deliveries_unknown_for_campaign,
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
