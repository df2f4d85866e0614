"""Local wall-clock sends across daylight-saving changes, and the holdout's stable hash."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from campaigns.schedule import in_holdout, local_due_at

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
UTC = datetime.UTC


def _utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def test_later_today_or_tomorrow_in_the_members_own_zone():
    start = _utc(2026, 12, 2, 7, 30)  # 08:30 in Madrid, 02:30 in New York
    nine = datetime.time(9, 0)
    assert local_due_at(local_time=nine, zone=MADRID, start=start) == _utc(2026, 12, 2, 8, 0)
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert local_due_at(local_time=nine, zone=new_york, start=start) == _utc(2026, 12, 2, 14, 0)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")  # 16:30 there: 09:00 has passed, so tomorrow
    assert local_due_at(local_time=nine, zone=tokyo, start=start) == _utc(2026, 12, 3, 0, 0)


def test_exactly_now_is_due_now():
    start = _utc(2026, 12, 2, 8, 0)
    assert local_due_at(local_time=datetime.time(9), zone=MADRID, start=start) == start


def test_a_wall_time_skipped_by_spring_forward_is_sent_once_after_the_jump():
    # 29 March 2026: Madrid's clocks jump from 02:00 to 03:00 (01:00 UTC).
    start = _utc(2026, 3, 28, 23, 0)
    due = local_due_at(local_time=datetime.time(2, 30), zone=MADRID, start=start)
    assert due == _utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert due.astimezone(MADRID).strftime("%H:%M %Z") == "03:30 CEST"
    next_day = local_due_at(local_time=datetime.time(2, 30), zone=MADRID, start=due + _second())
    assert next_day == _utc(2026, 3, 30, 0, 30)  # 02:30 CEST the day after: one per day


def test_a_wall_time_repeated_by_fall_back_is_sent_once_at_the_first():
    # 25 October 2026: Madrid's clocks go back from 03:00 to 02:00 (01:00 UTC): 02:30 twice.
    start = _utc(2026, 10, 24, 22, 0)
    due = local_due_at(local_time=datetime.time(2, 30), zone=MADRID, start=start)
    assert due == _utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    after = local_due_at(local_time=datetime.time(2, 30), zone=MADRID, start=due + _second())
    assert after == _utc(2026, 10, 26, 1, 30)  # not the second 02:30 an hour later: tomorrow's


@pytest.mark.parametrize("hour", range(24))
def test_every_hour_of_a_dst_day_gets_exactly_one_send(hour):
    for day in (datetime.date(2026, 3, 29), datetime.date(2026, 10, 25)):
        midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=MADRID)
        start = midnight.astimezone(UTC)
        due = local_due_at(local_time=datetime.time(hour, 30), zone=MADRID, start=start)
        assert start <= due < start + datetime.timedelta(hours=25)
        assert due.astimezone(MADRID).date() == day


def _second():
    return datetime.timedelta(seconds=1)


def test_holdout_is_stable_and_near_its_share():
    members = [str(n) for n in range(10_000)]
    held = [m for m in members if in_holdout(campaign_key="c1", member_key=m, percent=10)]
    assert 900 < len(held) < 1100
    assert held == [m for m in members if in_holdout(campaign_key="c1", member_key=m, percent=10)]
    other = {m for m in members if in_holdout(campaign_key="c2", member_key=m, percent=10)}
    assert len(other & set(held)) < 200  # another campaign holds out other members
    assert not any(in_holdout(campaign_key="c1", member_key=m, percent=0) for m in members)
    assert (
        sum(in_holdout(campaign_key="c1", member_key=m, percent=Decimal("50")) for m in members)
        > 4800
    )
