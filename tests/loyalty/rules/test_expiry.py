"""rules.expiry and rules.months: expiry dates on the program's calendar."""

import datetime
import zoneinfo

from loyalty.rules.expiry import inactivity_cutoff, inactivity_deadline, lot_expires_at
from loyalty.rules.months import months_after
from tests.factories.ledger import INACTIVITY, NO_EXPIRY
from tests.loyalty.rules.conftest import NOW, program_with

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def test_a_month_after_the_31st_is_the_last_day_of_the_next_month():
    moment = datetime.datetime(2027, 1, 31, 12, 0, tzinfo=MADRID)

    assert months_after(moment, 1, zone=MADRID) == datetime.datetime(
        2027, 2, 28, 12, 0, tzinfo=MADRID
    )


def test_months_are_counted_on_the_program_clock():
    # 23:30 UTC on 31 December is already 1 January in Madrid.
    moment = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)

    assert months_after(moment, 1, zone=MADRID).date() == datetime.date(2027, 2, 1)


def test_rolling_expiry_dates_each_lot_from_when_it_was_earned():
    program = program_with()

    assert lot_expires_at(program=program, earned_at=NOW) == months_after(
        NOW, 12, zone=program.zone
    )
    assert inactivity_deadline(program=program, last_activity_at=NOW) is None


def test_inactivity_expiry_dates_no_lot_and_expires_everything_after_the_months():
    program = program_with(expiry=INACTIVITY)

    assert lot_expires_at(program=program, earned_at=NOW) is None
    deadline = inactivity_deadline(program=program, last_activity_at=NOW)
    assert deadline == months_after(NOW, 6, zone=program.zone)
    assert inactivity_cutoff(program=program, at=deadline) == NOW


def test_without_expiry_nothing_expires():
    program = program_with(expiry=NO_EXPIRY)

    assert lot_expires_at(program=program, earned_at=NOW) is None
    assert inactivity_deadline(program=program, last_activity_at=NOW) is None
