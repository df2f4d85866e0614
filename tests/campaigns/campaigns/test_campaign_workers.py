"""A real campaign, end to end, with real parts: a segment of 2,000 members, a campaign with
content in three languages and a holdout, started and sent by two Celery worker processes against
Redis and PostgreSQL into an SMTP server, one worker killed with `kill -9` in the middle and
replaced, every task message delivered twice (so both workers start the campaign at once), the
campaign paused half-way, consent withdrawn by members whose rows wait (between queueing and
sending), then resumed (listmonk#2070: a resume resent to everyone already sent). And two
dispatchers in threads starting one campaign at the same moment.

What must hold (CAMPAIGNS.md, "Delivery, exactly once"): every member of the segment gets exactly
one message, or their row is `unknown` (at most one per killed worker, and then at most one
message); nobody gets two; the holdout, the members outside the segment and those who withdrew
their consent get nothing, the last skipped with the reason.

The workers run on the real clock, so the program has no quiet hours: the test passes at any hour.
"""

import signal
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import Campaign, CampaignState, Delivery, DeliveryStatus, SkipReason
from campaigns.selectors.segments import segment_count
from campaigns.services.campaigns import (
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaigns_start_due,
)
from campaigns.services.segments import segment_create
from loyalty.services.program import program_import
from members.models import ConsentSource, Member
from members.services import member_consents_set
from tests.campaigns.workers import LEASE_SECONDS, drive, kick_twice
from tests.concurrency import run_together
from tests.factories.loyalty import example_program_text

MEMBERS = 2000
OUTSIDE = 100  # without email consent: outside the segment
HOLDOUT_PERCENT = 20  # a fifth held out: a smaller send, the suite's time kept modest
PROGRAM_TEXT = example_program_text().replace(
    "  pending_days: 14",
    '  pending_days: 14\n  communications:\n    quiet_hours: {from: "00:00", to: "00:00"}',
    1,
)
CONTENT = {
    "es": {"subject": "Novedades para {{ first_name }}", "body": "Tiene {{ points }} puntos."},
    "fr": {"subject": "Nouvelles pour {{ first_name }}", "body": "Vous avez {{ points }} points."},
    "en": {"subject": "News for {{ first_name }}", "body": "You have {{ points }} points."},
}
SUBJECT = {language: texts["subject"].split(" {{")[0] for language, texts in CONTENT.items()}


def _members_create(count: int, *, consent: bool, offset: int = 0) -> list[Member]:
    """Bulk, in three languages: this is a test of sending, not of enrolment."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(email=f"m{number}@example.com", first_name=f"M{number}", password="!")
        for number in range(offset, offset + count)
    )
    return Member.objects.bulk_create(
        Member(
            user=user,
            member_number=f"{number:013d}",
            referral_code=f"R{number:08d}",
            language=("en", "es", "fr")[number % 3],
            marketing_email_opt_in=consent,
        )
        for number, user in enumerate(users, start=offset)
    )


def _campaign_scheduled(*, members: int, outside: int = 0, holdout_percent: int = 0) -> Campaign:
    program_import(text=PROGRAM_TEXT, note="no quiet hours")
    _members_create(members, consent=True)
    _members_create(outside, consent=False, offset=members)
    segment = segment_create(
        code="opted-in",
        names={"en": "Opted in", "es": "Con permiso", "fr": "Avec accord"},
        match="all",
        rules=[{"field": "consent", "op": "eq", "value": "email"}],
    )
    assert segment_count(segment=segment) == members
    campaign = campaign_create(
        code="spring-news",
        name="Spring news",
        segment="opted-in",
        content=CONTENT,
        holdout_percent=holdout_percent,
    )
    return campaign_schedule(campaign=campaign)  # now


def _state(campaign: Campaign) -> str:
    return Campaign.objects.values_list("state", flat=True).get(pk=campaign.pk)


def _quiet(campaign: Campaign) -> bool:
    """No worker holds or hands over any of the campaign's rows (a killed worker's lease has
    run out, its handover settled `unknown`)."""
    rows = Delivery.objects.filter(campaign=campaign)
    return not (
        rows.filter(status=DeliveryStatus.HANDING).exists()
        or rows.filter(status=DeliveryStatus.QUEUED, claimed_until__gte=timezone.now()).exists()
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_campaign_sent_by_two_workers_one_killed_and_paused_reaches_each_member_once(
    sink, workers
):
    campaign = _campaign_scheduled(
        members=MEMBERS, outside=OUTSIDE, holdout_percent=HOLDOUT_PERCENT
    )
    began = time.monotonic()
    first, _second = workers("campaign-a", "campaign-b")
    print(f"\nworkers up after {time.monotonic() - began:.1f} s")

    # Both workers take the first kick's two copies at once: two starters, one start.
    drive(until=lambda: len(sink.mails) >= MEMBERS // 5, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    print(f"killed after {time.monotonic() - began:.1f} s, {len(sink.mails)} mails")
    workers("campaign-c")
    drive(until=lambda: len(sink.mails) >= MEMBERS // 3, timeout=60)

    campaign_pause(campaign=campaign)
    drive(until=lambda: _quiet(campaign), timeout=LEASE_SECONDS * 4)
    before_pause = Counter(mail.recipients[0] for mail in sink.mails)
    # Between queueing and sending: members whose rows wait, untouched, withdraw their consent.
    waiting = list(
        Member.objects.filter(
            deliveries__campaign=campaign,
            deliveries__status=DeliveryStatus.QUEUED,
            deliveries__claimed_by="",
        ).order_by("-pk")[:6]
    )
    withdrawn, unsubscribed = waiting[:4], waiting[4:]
    for member in withdrawn:
        member_consents_set(member=member, marketing_email=False)
    for member in unsubscribed:
        member_consents_set(member=member, marketing_email=False, source=ConsentSource.UNSUBSCRIBE)
    for _ in range(3):  # kicks while paused: nothing is claimed
        kick_twice()
        time.sleep(0.5)
    assert len(sink.mails) == sum(before_pause.values())
    assert _state(campaign) == CampaignState.PAUSED
    assert len(waiting) == 6  # the pause stopped a campaign with work left

    print(f"paused after {time.monotonic() - began:.1f} s, {len(sink.mails)} mails")
    campaign_resume(campaign=campaign)
    drive(until=lambda: _state(campaign) == CampaignState.SENT, timeout=90)
    print(f"sent after {time.monotonic() - began:.1f} s")

    received = Counter(mail.recipients[0] for mail in sink.mails)
    after_resume = received - before_pause
    rows = Delivery.objects.filter(campaign=campaign)
    by_email = dict(rows.values_list("member__user__email", "status"))
    languages = dict(Member.objects.values_list("user__email", "language"))
    statuses = Counter(by_email.values())
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    print(
        f"\ncampaign: {len(sink.mails)} mails to {len(received)} members; log {dict(statuses)}; "
        f"{duplicates} duplicates; paused after {sum(before_pause.values())} mails, "
        f"{sum(after_resume.values())} after resuming"
    )
    assert rows.count() == MEMBERS  # one row per member of the segment, none for the others
    assert set(statuses) <= {
        DeliveryStatus.SENT,
        DeliveryStatus.UNKNOWN,
        DeliveryStatus.HOLDOUT,
        DeliveryStatus.SKIPPED,
    }
    assert statuses[DeliveryStatus.UNKNOWN] <= 1  # one killed worker, one handover at a time
    assert 300 < statuses[DeliveryStatus.HOLDOUT] < 500  # ~20 % of 2,000
    assert duplicates == 0
    assert not set(after_resume) & set(before_pause)  # the resume resent to no one
    skipped = dict(rows.filter(status=DeliveryStatus.SKIPPED).values_list("member_id", "reason"))
    assert skipped == {
        **{member.pk: SkipReason.NO_CONSENT for member in withdrawn},
        **{member.pk: SkipReason.UNSUBSCRIBED for member in unsubscribed},
    }
    for email, status in by_email.items():
        got = received[email]
        if status == DeliveryStatus.SENT:
            assert got == 1, (email, status)
        elif status == DeliveryStatus.UNKNOWN:
            assert got <= 1, (email, status)
        else:  # held out, or skipped for the consent withdrawn
            assert got == 0, (email, status)
    assert set(received) <= set(by_email)  # nobody outside the segment got anything
    assert sum(received.values()) in (
        statuses[DeliveryStatus.SENT],
        statuses[DeliveryStatus.SENT] + statuses[DeliveryStatus.UNKNOWN],
    )
    for mail in sink.mails:  # each in the member's language
        assert mail.subject.startswith(SUBJECT[languages[mail.recipients[0]]]), mail.subject


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_start_the_campaign_once():
    campaign = _campaign_scheduled(members=MEMBERS)

    started = run_together(2, lambda _index: campaigns_start_due())

    assert sorted(started) == [0, 1], started  # no exception, one start
    assert _state(campaign) == CampaignState.SENDING
    assert Delivery.objects.filter(campaign=campaign).count() == MEMBERS
    assert campaigns_start_due() == 0
