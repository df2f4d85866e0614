"""A campaign sent at a wall-clock time on each member's own clock, on the days the clocks change,
from schedule to inbox: started and sent by the periodic task (campaigns.tasks.deliveries_send,
run here in the test's process at chosen moments), mail through a real SMTP conversation.

campaigns.schedule.local_due_at documents the two odd cases, and these tests hold it to them:
a wall time that the spring-forward change skips (02:30 in Madrid on 29 March 2026) is sent at
the same time after the jump (03:30 CEST, 01:30 UTC); one that the fall-back change repeats
(02:30 in Madrid on 25 October 2026) is sent at the first (CEST, 00:30 UTC), never at the second.
Mexico City has kept standard time all year since 2022: 02:30 there is always 08:30 UTC, also on
5 April 2026, the day its clocks would have jumped under the old rules.

The sender runs twice at every moment around each due time (a minute before, at it, at the
other reading of the wall time): nobody's mail leaves early, late, twice or never."""

import datetime
import zoneinfo

import pytest

from campaigns.models import CampaignState, Delivery, DeliveryStatus
from campaigns.services.campaigns import campaign_create, campaign_schedule
from campaigns.services.segments import segment_create
from campaigns.tasks import deliveries_send
from loyalty.services.program import program_import
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text

UTC = datetime.UTC
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
SEND_AT = datetime.time(2, 30)

# No quiet hours: with the default 21:00-09:00 a 02:30 send waits until 09:00, and this test is
# about the wall time itself (the quiet hours' own DST handling: delivery/test_marketing_rules).
PROGRAM_TEXT = example_program_text().replace(
    "  pending_days: 14",
    '  pending_days: 14\n  communications:\n    quiet_hours: {from: "00:00", to: "00:00"}',
    1,
)


def _utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


# (scheduled at, {member: (its due moment, the other reading of 02:30 that must send nothing)})
DAYS = {
    "madrid-spring-forward": (
        _utc(2026, 3, 28, 20, 0),
        {
            # 02:30 does not exist: 03:30 CEST; read with the offset after the jump it would be
            # 00:30 UTC, still 01:30 CET, before the jump.
            "madrid": (_utc(2026, 3, 29, 1, 30), _utc(2026, 3, 29, 0, 30)),
            "madrid-chosen": (_utc(2026, 3, 29, 1, 30), _utc(2026, 3, 29, 0, 30)),
            "mexico": (_utc(2026, 3, 29, 8, 30), _utc(2026, 3, 29, 7, 30)),
        },
    ),
    "madrid-fall-back": (
        _utc(2026, 10, 24, 20, 0),
        {
            # 02:30 happens twice: the first (CEST, 00:30 UTC), not the second (CET, 01:30 UTC).
            "madrid": (_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 1, 30)),
            "madrid-chosen": (_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 1, 30)),
            "mexico": (_utc(2026, 10, 25, 8, 30), _utc(2026, 10, 25, 7, 30)),
        },
    ),
    "mexico-old-spring-forward": (
        _utc(2026, 4, 4, 20, 0),
        {
            # Under the rules before 2022 Mexico City jumped to 03:00 at 02:00 this day (02:30
            # would be 07:30 UTC); now it does not.
            "madrid": (_utc(2026, 4, 5, 0, 30), _utc(2026, 4, 5, 1, 30)),
            "madrid-chosen": (_utc(2026, 4, 5, 0, 30), _utc(2026, 4, 5, 1, 30)),
            "mexico": (_utc(2026, 4, 5, 8, 30), _utc(2026, 4, 5, 7, 30)),
        },
    ),
}
ZONES = {"madrid": "", "madrid-chosen": "Europe/Madrid", "mexico": "America/Mexico_City"}


@pytest.mark.django_db
@pytest.mark.parametrize("day", list(DAYS))
def test_a_local_send_time_on_a_clock_change_day_goes_out_once_at_its_moment(
    day, time_machine, smtp_outbox
):
    scheduled_at, expected = DAYS[day]
    time_machine.move_to(scheduled_at, tick=False)
    program_import(text=PROGRAM_TEXT, note="no quiet hours")
    members = {
        name: MemberFactory(
            email=f"{name}@example.com",
            first_name=name,
            marketing_email_opt_in=True,
            time_zone=zone,  # "": the program's (Europe/Madrid)
        )
        for name, zone in ZONES.items()
    }
    segment_create(code="everyone", names={"en": "Everyone"}, match="all", rules=[])
    campaign = campaign_create(
        code="night",
        name="Night",
        segment="everyone",
        content={"en": {"subject": "At half past two", "body": "Hello {{ first_name }}"}},
    )
    campaign_schedule(campaign=campaign, local_time=SEND_AT)

    deliveries_send()  # beat's run: starts the campaign, sends nothing yet

    due = dict(Delivery.objects.values_list("member__user__first_name", "due_at"))
    assert due == {name: moments[0] for name, moments in expected.items()}
    for name, (moment, _other) in expected.items():
        zone = zoneinfo.ZoneInfo(ZONES[name] or "Europe/Madrid")
        assert moment.astimezone(zone).time() in (SEND_AT, datetime.time(3, 30)), name

    checks = sorted(
        {scheduled_at + HOUR}
        | {moment + offset for moment, _ in expected.values() for offset in (-MINUTE, 0 * MINUTE)}
        | {other for _, other in expected.values()}
        | {max(moment for moment, _ in expected.values()) + 2 * HOUR}
    )
    for moment in checks:
        time_machine.move_to(moment, tick=False)
        deliveries_send()
        deliveries_send()  # run twice at each moment: a second run sends nothing more
        received = [mail.recipients[0] for mail in smtp_outbox.mails]
        should_have = {
            f"{name}@example.com" for name, (due_at, _) in expected.items() if due_at <= moment
        }
        assert sorted(received) == sorted(should_have), moment.isoformat()

    rows = Delivery.objects.filter(campaign=campaign).select_related("member__user")
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    assert {row.member.user.first_name: row.sent_at for row in rows} == {
        name: moment for name, (moment, _) in expected.items()
    }
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENT
    assert len(members) == len(smtp_outbox.mails)
