"""Campaign drafts are checked whole before anything is written; the states move only as
CAMPAIGNS.md says; starting resolves the segment then and writes one row per member."""

import datetime

import pytest

from campaigns.models import Campaign, CampaignState, Delivery, DeliveryStatus
from campaigns.services.campaigns import (
    STALE_AFTER,
    CampaignExists,
    CampaignInvalid,
    CampaignNotDraft,
    CampaignStateError,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_start,
    campaign_update,
    campaigns_finish,
    campaigns_start_due,
)
from tests.campaigns.campaigns.conftest import CONTENT, NOW
from tests.factories.ledger import MemberFactory

pytestmark = pytest.mark.django_db


def _create(**overrides):
    fields = {"code": "c1", "name": "C1", "segment": "everyone", "content": CONTENT}
    return campaign_create(**(fields | overrides))


def test_a_draft_keeps_its_content_stripped(everyone):
    campaign = _create(content={"es": {"subject": "  Hola ", "body": " Cuerpo \n"}})
    assert campaign.state == CampaignState.DRAFT
    assert campaign.content == {"es": {"subject": "Hola", "body": "Cuerpo"}}
    assert campaign.segment == everyone


def test_every_problem_is_named_at_its_path_and_nothing_is_written(everyone):
    with pytest.raises(CampaignInvalid) as refused:
        _create(
            code="Bad Code",
            name="",
            channel="fax",
            segment="nobody",
            holdout_percent=60,
            offer={"reward": "free-bottle", "points": 5},
            content={
                "es": {"subject": "", "body": "Hola {{ nombre }}"},
                "de": {"subject": "x", "body": "y"},
                "en": {"subject": "Hi", "body": "Your code {{ voucher_code }}"},
            },
        )
    errors = refused.value.errors("en")
    assert set(errors) == {
        "code",
        "name",
        "channel",
        "segment",
        "holdout_percent",
        "offer",
        "content.es.subject",
        "content.es.body",
        "content.de",
        "content.en.body",
    }
    assert "{{ nombre }}" in errors["content.es.body"][0]
    assert "voucher_code" in errors["content.en.body"][0]  # no voucher offered: not a field here
    assert Campaign.objects.count() == 0


def test_the_refusal_is_in_the_askers_language(everyone):
    with pytest.raises(CampaignInvalid) as refused:
        _create(holdout_percent=-1)
    assert (
        refused.value.errors("es")["holdout_percent"]
        != refused.value.errors("en")["holdout_percent"]
    )


def test_a_voucher_offer_allows_the_voucher_code_and_points_are_positive(everyone):
    # free-bottle is in the example program's catalog.
    content = {"en": {"subject": "Gift", "body": "Your code: {{ voucher_code }}"}}
    campaign = _create(offer={"reward": "free-bottle"}, content=content)
    assert campaign.offer_reward.code == "free-bottle"
    with pytest.raises(CampaignInvalid) as refused:
        _create(code="c2", offer={"points": 0})
    assert set(refused.value.errors()) == {"offer.points"}
    with pytest.raises(CampaignInvalid) as refused:
        _create(code="c3", offer={"reward": "unknown"})
    assert set(refused.value.errors()) == {"offer.reward"}


def test_an_offer_is_a_reward_or_points_not_both(everyone):
    with pytest.raises(CampaignInvalid) as refused:
        _create(offer={"points": 100, "reward": "free-bottle"})
    assert set(refused.value.errors()) == {"offer"}
    assert not Campaign.objects.exists()


def test_sms_has_no_subject_and_a_short_body(everyone):
    campaign = _create(channel="sms", content={"es": {"body": "Hola {{ first_name }}"}})
    assert campaign.channel == "sms"
    with pytest.raises(CampaignInvalid) as refused:
        _create(code="c2", channel="sms", content={"es": {"body": "x" * 641}})
    assert set(refused.value.errors()) == {"content.es.body"}


def test_a_code_is_taken_once(draft):
    with pytest.raises(CampaignExists):
        _create(code="december")


def test_only_a_draft_changes_and_is_scheduled(draft):
    updated = campaign_update(
        campaign=draft, name="New", channel="email", segment="everyone", content=CONTENT
    )
    assert updated.name == "New"
    scheduled = campaign_schedule(campaign=draft)
    assert (scheduled.state, scheduled.send_at) == (CampaignState.SCHEDULED, None)
    with pytest.raises(CampaignNotDraft) as refused:
        campaign_update(
            campaign=draft, name="Again", channel="email", segment="everyone", content=CONTENT
        )
    assert refused.value.code == "campaign_not_draft"
    assert refused.value.status == 409
    with pytest.raises(CampaignNotDraft):
        campaign_schedule(campaign=draft)


def test_pause_resume_and_cancel_follow_the_states(draft):
    with pytest.raises(CampaignStateError) as refused:
        campaign_pause(campaign=draft)
    assert refused.value.code == "campaign_state"
    with pytest.raises(CampaignStateError):
        campaign_resume(campaign=draft)
    campaign_schedule(campaign=draft)
    assert campaign_pause(campaign=draft).state == CampaignState.PAUSED
    assert campaign_resume(campaign=draft).state == CampaignState.SCHEDULED
    assert campaign_cancel(campaign=draft).state == CampaignState.CANCELLED
    with pytest.raises(CampaignStateError):
        campaign_cancel(campaign=draft)
    with pytest.raises(CampaignStateError):
        campaign_resume(campaign=draft)


def test_starting_resolves_the_segment_then(draft, members, now):
    campaign_schedule(campaign=draft)
    late = MemberFactory(email="late@example.com", marketing_email_opt_in=True)  # after scheduling
    assert campaigns_start_due(at=now) == 1
    draft.refresh_from_db()
    assert (draft.state, draft.started_at) == (CampaignState.SENDING, now)
    rows = Delivery.objects.filter(campaign=draft)
    assert {row.member_id for row in rows} == {m.pk for m in [*members, late]}
    assert {row.status for row in rows} == {DeliveryStatus.QUEUED}
    assert {row.due_at for row in rows} == {now}
    # Starting again (a second worker, the next beat) writes nothing more.
    assert campaign_start(campaign_pk=draft.pk, at=now) is False
    assert campaigns_start_due(at=now) == 0
    assert rows.count() == 4


def test_a_future_schedule_waits_and_a_stale_one_is_paused(draft, members, now):
    campaign_schedule(campaign=draft, send_at=now + datetime.timedelta(hours=1))
    assert campaigns_start_due(at=now) == 0
    assert campaigns_start_due(at=now + datetime.timedelta(hours=1)) == 1

    other = _create(code="stale")
    campaign_schedule(campaign=other, send_at=now - STALE_AFTER - datetime.timedelta(minutes=1))
    assert campaigns_start_due(at=now) == 0
    other.refresh_from_db()
    assert other.state == CampaignState.PAUSED  # for the marketer to resume or cancel
    assert not Delivery.objects.filter(campaign=other).exists()
    resumed = campaign_resume(campaign=other)
    assert resumed.state == CampaignState.SCHEDULED
    assert resumed.send_at == now
    assert campaigns_start_due(at=now) == 1


def test_the_holdout_gets_rows_of_its_own_and_is_stable(everyone, program, now):
    for number in range(200):
        MemberFactory(email=f"h{number}@example.com", marketing_email_opt_in=True)
    campaign = _create(code="held", holdout_percent=20)
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=now)
    held = set(
        Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.HOLDOUT).values_list(
            "member_id", flat=True
        )
    )
    assert 20 < len(held) < 60
    assert Delivery.objects.filter(campaign=campaign).count() == 200


def test_local_time_is_each_members_own_clock(everyone, program, now):
    madrid = MemberFactory(email="m@example.es", marketing_email_opt_in=True)
    tokyo = MemberFactory(email="t@example.jp", marketing_email_opt_in=True, time_zone="Asia/Tokyo")
    campaign = _create(code="nine")
    campaign_schedule(campaign=campaign, local_time=datetime.time(14, 0))
    campaigns_start_due(at=now)  # 13:00 in Madrid, 21:00 in Tokyo
    due = dict(Delivery.objects.filter(campaign=campaign).values_list("member_id", "due_at"))
    assert due[madrid.pk] == datetime.datetime(2026, 12, 2, 13, 0, tzinfo=datetime.UTC)
    assert due[tokyo.pk] == datetime.datetime(2026, 12, 3, 5, 0, tzinfo=datetime.UTC)


def test_cancelling_skips_what_is_still_queued_and_finishing_needs_nothing_left(
    draft, members, now
):
    campaign_schedule(campaign=draft)
    campaigns_start_due(at=now)
    first = Delivery.objects.filter(campaign=draft).order_by("pk").first()
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.SENT, sent_at=now)
    assert campaigns_finish(at=now) == 0  # two still queued
    campaign_cancel(campaign=draft)
    statuses = sorted(Delivery.objects.filter(campaign=draft).values_list("status", "reason"))
    assert statuses == [("sent", ""), ("skipped", "cancelled"), ("skipped", "cancelled")]


def test_a_campaign_is_sent_when_no_row_is_queued_or_being_handed(draft, members, now):
    campaign_schedule(campaign=draft)
    campaigns_start_due(at=now)
    rows = Delivery.objects.filter(campaign=draft)
    rows.update(status=DeliveryStatus.HANDING, claimed_until=now, handed_at=now)
    assert campaigns_finish(at=now) == 0
    rows.update(status=DeliveryStatus.UNKNOWN)
    assert campaigns_finish(at=now) == 1
    draft.refresh_from_db()
    assert (draft.state, draft.finished_at) == (CampaignState.SENT, NOW)


def test_queueing_writes_in_batches_and_keeps_each_members_row(everyone, members, now, monkeypatch):
    monkeypatch.setattr("campaigns.services.campaigns.QUEUE_BATCH_SIZE", 2)
    extra = [
        MemberFactory(email=f"b{n}@example.com", marketing_email_opt_in=True) for n in range(3)
    ]
    campaign = _create(code="batches")
    campaign_schedule(campaign=campaign)
    assert campaigns_start_due(at=now) == 1
    queued = set(Delivery.objects.filter(campaign=campaign).values_list("member_id", flat=True))
    assert queued == {member.pk for member in [*members, *extra]}
