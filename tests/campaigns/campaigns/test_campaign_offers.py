"""A campaign's offer (CAMPAIGNS.md, Campaigns: "Either happens once per (campaign, member), in
the same transaction that marks the message sent"), sent in this process into a real SMTP sink:
the voucher the mail announces is the one the member holds, at no points; bonus points are one
ledger entry whose source is the campaign; neither is given twice, nor to a member whose message
was not sent; a message whose worker died while handing it over (`unknown`) gives what it
announced, and sending it again gives nothing more."""

import datetime
import re

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Delivery, DeliveryStatus
from campaigns.services.campaigns import (
    campaign_create,
    campaign_preview,
    campaign_schedule,
    campaigns_finish,
    campaigns_start_due,
)
from campaigns.services.deliveries import deliveries_send_again
from campaigns.services.sending import deliveries_abandoned_settle, deliveries_send
from loyalty.explanations import entry_title
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount
from loyalty.services.ledger import account_recompute
from members.services import member_consents_set
from rewards.codes import voucher_code_normalize
from rewards.models import Redemption, Reward, Voucher
from tests.campaigns.campaigns.conftest import NOW

pytestmark = pytest.mark.django_db

GIFT = {
    "es": {"subject": "Un regalo", "body": "Su código: {{ voucher_code }}"},
    "en": {"subject": "A gift", "body": "Your code: {{ voucher_code }}"},
}
POINTS = {"en": {"subject": "Points", "body": "100 points on us, {{ first_name }}."}}


def _campaign(**offer):
    content = GIFT if "reward" in offer else POINTS
    return campaign_create(
        code="gift", name="Gift", segment="everyone", content=content, offer=offer
    )


def _send(campaign):
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=NOW)
    report = deliveries_send()
    campaigns_finish()
    return report


def _code_in(mail) -> str:
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", text)
    assert found, text
    return found.group(0)


def test_each_member_holds_the_voucher_their_mail_announces_at_no_points(
    everyone, members, smtp_outbox
):
    reward = Reward.objects.get(code="free-bottle")
    stock_before = reward.stock
    assert _send(_campaign(reward="free-bottle")).sent == 3
    for member in members:
        (mail,) = smtp_outbox.mails_to(member.user.email)
        code = _code_in(mail)
        voucher = Voucher.objects.select_related("redemption").get(code=code)
        assert voucher_code_normalize(code) == voucher.code
        assert voucher.redemption.member_id == member.pk
        assert voucher.redemption.points_spent == 0
        assert voucher.redemption.redeem_entry_id is None
        assert voucher.redemption.gift_key == "campaign:gift"
        assert voucher.expires_at > NOW
    assert set(Delivery.objects.values_list("voucher_code", flat=True)) == {
        voucher.code for voucher in Voucher.objects.all()
    }
    reward.refresh_from_db()
    assert reward.stock == stock_before  # a gift is not taken from the catalog's stock
    for member in members:
        assert account_recompute(member=member)["consistent"]


def test_bonus_points_are_one_ledger_entry_whose_source_is_the_campaign(
    everyone, members, smtp_outbox
):
    before = {a.member_id: a.available for a in LoyaltyAccount.objects.all()}
    assert _send(_campaign(points=100)).sent == 3
    entries = LedgerEntry.objects.filter(bonus_key="campaign:gift")
    assert entries.count() == 3
    for entry in entries:
        assert entry.kind == EntryKind.BONUS
        assert entry.points == 100
        assert (entry.source_type, entry.source_id) == ("campaign", "gift")
        assert str(entry_title(entry)) == "A gift from the shop"
    for member in members:
        account = LoyaltyAccount.objects.get(member=member)
        assert account.available == before.get(member.pk, 0) + 100
        assert account_recompute(member=member)["consistent"]


def test_nobody_whose_message_was_not_sent_gets_the_offer(everyone, members, smtp_outbox):
    ana, luc, _bob = members
    member_consents_set(member=ana, marketing_email=False)
    campaign = _campaign(points=100)
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=NOW)
    # Luc's mail is refused for good by the server.
    smtp_outbox.refusals[luc.user.email] = ["550 5.1.1 No such user"]
    deliveries_send()
    statuses = dict(Delivery.objects.values_list("member_id", "status"))
    assert statuses[ana.pk] == DeliveryStatus.SKIPPED
    assert statuses[luc.pk] == DeliveryStatus.FAILED
    given = set(
        LedgerEntry.objects.filter(bonus_key="campaign:gift").values_list("member_id", flat=True)
    )
    assert given == {members[2].pk}


def _left_by_a_dead_worker(row, **fields) -> None:
    """What a worker killed while handing the mail over leaves: `handing`, its lease run out."""
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.HANDING,
        claimed_by="dead-worker",
        claimed_until=NOW - datetime.timedelta(seconds=1),
        handed_at=NOW - datetime.timedelta(minutes=3),
        attempts=1,
        **fields,
    )


def test_a_message_whose_fate_is_unknown_gives_its_offer_once_even_sent_again(
    everyone, members, smtp_outbox
):
    campaign = _campaign(reward="free-bottle")
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=NOW)
    ana = members[0]
    row = Delivery.objects.get(member=ana)
    _left_by_a_dead_worker(row, voucher_code="ABCD-EFGH-JKMN-PQ")  # the code it announced
    assert deliveries_abandoned_settle(at=NOW) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.UNKNOWN
    voucher = Voucher.objects.get(redemption__member=ana)
    assert voucher.code == "ABCD-EFGH-JKMN-PQ"  # what the member may hold works at the till

    assert deliveries_send_again(delivery_ids=[row.pk], at=NOW) == 1
    deliveries_send()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    (mail,) = smtp_outbox.mails_to(ana.user.email)
    assert _code_in(mail) == "ABCD-EFGH-JKMN-PQ"  # the same code announced again
    assert Redemption.objects.filter(member=ana).count() == 1


def test_bonus_points_of_a_message_whose_fate_is_unknown_are_given_once_even_sent_again(
    everyone, members, smtp_outbox
):
    # The sender records a sent message and gives its offer with its statements pipelined: a
    # gift given already must be told apart without an error the pipeline cannot take back.
    campaign = _campaign(points=100)
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=NOW)
    ana = members[0]
    before = LoyaltyAccount.objects.get(member=ana).available
    row = Delivery.objects.get(member=ana)
    _left_by_a_dead_worker(row)
    assert deliveries_abandoned_settle(at=NOW) == 1
    assert LoyaltyAccount.objects.get(member=ana).available == before + 100

    assert deliveries_send_again(delivery_ids=[row.pk], at=NOW) == 1
    report = deliveries_send()
    row.refresh_from_db()
    assert (row.status, row.error) == (DeliveryStatus.SENT, "")
    assert report.sent == 3  # ana's again, and the two others
    assert len(smtp_outbox.mails_to(ana.user.email)) == 1
    assert LedgerEntry.objects.filter(member=ana, bonus_key="campaign:gift").count() == 1
    assert LoyaltyAccount.objects.get(member=ana).available == before + 100
    assert account_recompute(member=ana)["consistent"]


def test_a_retry_announces_the_code_chosen_for_the_first_attempt(
    everyone, members, smtp_outbox, time_machine
):
    campaign = _campaign(reward="free-bottle")
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=NOW)
    ana = members[0]
    smtp_outbox.refusals[ana.user.email] = ["451 4.3.0 Try again later"]
    deliveries_send()
    row = Delivery.objects.get(member=ana)
    assert row.status == DeliveryStatus.QUEUED
    assert row.voucher_code
    assert not Redemption.objects.filter(member=ana).exists()  # not sent: nothing given yet
    time_machine.move_to(NOW + datetime.timedelta(minutes=5), tick=False)
    deliveries_send()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    (mail,) = smtp_outbox.mails_to(ana.user.email)
    assert _code_in(mail) == row.voucher_code
    assert Voucher.objects.get(redemption__member=ana).code == row.voucher_code


def test_the_database_refuses_a_second_gift_for_the_same_occasion(everyone, members, smtp_outbox):
    _send(_campaign(reward="free-bottle"))
    first = Redemption.objects.filter(member=members[0]).get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Redemption.objects.create(
            member=members[0],
            reward=first.reward,
            ordinal=first.ordinal + 1,
            points_spent=0,
            reward_code=first.reward_code,
            kind=first.kind,
            gift_key="campaign:gift",
        )


def test_a_preview_shows_a_sample_code_and_gives_nothing(everyone, members):
    campaign = _campaign(reward="free-bottle")
    message = campaign_preview(campaign=campaign, member=members[0])
    assert "XXXX-XXXX-XXXX-XX" in message.text
    assert not Redemption.objects.exists()
