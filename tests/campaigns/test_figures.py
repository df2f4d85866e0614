"""Campaign results, NPS and the referral funnel (ANALYTICS.md) against a history computed by hand.

The campaign "spring" went out at noon on 10 November 2026 in Madrid (T). Its log:

    recipients (sent at T)   r1 buys 50 at T+2d            converts
                             r2 buys 30 at T+20d           too late
                             r3 buys 40 at T-1d, 20 at T+14d (the window's last instant)  converts
                             r4 nothing; unsubscribes at T+1d
    holdout (due at T)       h1 buys 10 at T+1d, refunded whole (not counted)
                             h2 buys 25 at T+3d            converts
                             h3 nothing
    others                   one skipped (no consent), one failed, one unknown, one queued

Recipients: 2 of 4 convert (0.5), 70 spent (17.50 each). Holdout: 1 of 3 (0.3333), 25 spent
(8.33 each). Uplift 1/2 - 1/3 = 0.1667; incremental revenue (70/4 - 25/3) x 4 = 36.67; the
pooled two-proportion z-test gives p = 0.6592.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import Campaign, Delivery, Referral, Survey
from campaigns.selectors.figures import (
    campaign_results,
    nps_between,
    referral_funnel,
    two_proportion_p_value,
)
from loyalty.models import Purchase
from loyalty.services.program import program_import
from members.models import ConsentChange
from tests.factories.analytics import buy
from tests.factories.ledger import MemberFactory, ledger_program_text

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
T = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=MADRID)
DAY = datetime.timedelta(days=1)


def log(campaign, member, status, **fields):
    return Delivery.objects.create(
        campaign=campaign,
        member=member,
        purpose="marketing",
        channel="email",
        status=status,
        **fields,
    )


@pytest.fixture
def spring():
    program_import(text=ledger_program_text(signup_bonus=False), note="figures")
    spring = Campaign.objects.create(code="spring", name="Spring", state="done")
    later = Campaign.objects.create(code="later", name="Later", state="done")
    r1, r2, r3, r4, h1, h2, h3, s1, f1, u1, q1 = (MemberFactory() for _ in range(11))
    log(spring, r1, "sent", sent_at=T, opened_at=T + DAY, clicked_at=T + DAY)
    log(spring, r2, "sent", sent_at=T, opened_at=T + DAY)
    log(spring, r3, "sent", sent_at=T)
    log(spring, r4, "sent", sent_at=T)
    for member in (h1, h2, h3):
        log(spring, member, "holdout", due_at=T)
    log(spring, s1, "skipped", reason="no_consent")
    log(spring, f1, "failed", error="550 mailbox unavailable")
    log(spring, u1, "unknown")
    log(spring, q1, "queued", due_at=T + 30 * DAY)
    log(later, r2, "sent", sent_at=T + 4 * DAY)

    buy(r1, T + 2 * DAY, "50")
    buy(r2, T + 20 * DAY, "30")
    buy(r3, T - DAY, "40")
    buy(r3, T + 14 * DAY, "20")
    buy(h1, T + DAY, "10", refunded="10")
    buy(h2, T + 3 * DAY, "25")

    ConsentChange.objects.create(
        member=r4, kind="marketing_email", granted=False, at=T + DAY, source="unsubscribe"
    )
    # After "later" reached r2: that one is later's.
    ConsentChange.objects.create(
        member=r2, kind="marketing_email", granted=False, at=T + 5 * DAY, source="unsubscribe"
    )
    return spring


def test_the_campaigns_results(spring):
    results = campaign_results(campaign=spring)

    assert results["segment_size"] == 11
    assert results["holdout_size"] == 3
    assert (results["queued"], results["sent"], results["failed"]) == (1, 4, 1)
    assert results["skipped"] == 1
    assert results["skipped_by_reason"] == {"no_consent": 1}
    assert results["unknown"] == 1
    assert (results["opened"], results["clicked"]) == (2, 1)
    assert results["unsubscribed"] == 1
    assert results["recipients"] == {
        "members": 4,
        "converted": 2,
        "conversion": Decimal("0.5000"),
        "revenue": Decimal("70.00"),
        "revenue_per_member": Decimal("17.50"),
    }
    assert results["holdout"] == {
        "members": 3,
        "converted": 1,
        "conversion": Decimal("0.3333"),
        "revenue": Decimal("25.00"),
        "revenue_per_member": Decimal("8.33"),
    }
    assert results["has_holdout"] is True
    assert results["uplift"] == Decimal("0.1667")
    assert results["incremental_revenue"] == Decimal("36.67")
    assert results["p_value"] == Decimal("0.6592")


def test_without_a_holdout_there_is_nothing_to_compare(spring):
    Delivery.objects.filter(campaign=spring, status="holdout").delete()

    results = campaign_results(campaign=spring)

    assert results["has_holdout"] is False
    assert results["recipients"]["conversion"] == Decimal("0.5000")
    assert (results["uplift"], results["incremental_revenue"], results["p_value"]) == (
        None,
        None,
        None,
    )


def test_the_p_value_of_the_two_proportion_test():
    # 120 of 1,000 against 90 of 1,000: pooled 0.105, z = 0.03 / 0.01371 = 2.188, p = 0.0287.
    assert round(two_proportion_p_value(120, 1000, 90, 1000), 4) == 0.0287
    assert two_proportion_p_value(0, 10, 0, 10) is None
    assert two_proportion_p_value(3, 10, 1, 0) is None


def test_nps_counts_the_answers_of_the_period():
    program_import(text=ledger_program_text(signup_bonus=False), note="figures")
    member = MemberFactory()
    for score, when in [(10, T), (9, T), (7, T), (3, T), (0, T + 30 * DAY), (None, None)]:
        buy(member, T - DAY, "10")
        purchase = Purchase.objects.latest("pk")
        Survey.objects.create(member=member, purchase=purchase, score=score, answered_at=when)

    november = nps_between(
        datetime.datetime(2026, 11, 1, tzinfo=MADRID), datetime.datetime(2026, 12, 1, tzinfo=MADRID)
    )

    # Of 4 answers: 2 promoters (50 %) and 1 detractor (25 %).
    assert november["answers"] == 4
    assert november["nps"] == 25


def test_the_referral_funnel_follows_the_sign_ups_of_the_period():
    program_import(text=ledger_program_text(signup_bonus=False), note="figures")
    referrer = MemberFactory()
    november = T
    rows = [
        ("pending", "", False, november),
        ("rewarded", "", True, november),
        ("rewarded", "monthly_cap", True, november),
        ("held", "address_burst", False, november),
        ("rejected", "refunded", True, november),
        ("rewarded", "", True, november - 40 * DAY),  # joined in September
    ]
    for status, reason, bought, joined in rows:
        friend = MemberFactory()
        purchase = None
        if bought:
            buy(friend, joined + DAY, "10")
            purchase = Purchase.objects.get(member=friend)
        Referral.objects.create(
            referrer=referrer,
            referee=friend,
            status=status,
            reason=reason,
            purchase=purchase,
            created_at=joined,
            rewarded_at=joined + DAY if status == "rewarded" else None,
        )

    funnel = referral_funnel(
        datetime.datetime(2026, 11, 1, tzinfo=MADRID), datetime.datetime(2026, 12, 1, tzinfo=MADRID)
    )

    assert funnel == {
        "sign_ups": 5,
        "first_purchases": 3,
        "rewarded": 2,
        "held": 1,
        "rejected": 1,
    }
