"""The birthday automation: at 09:00 on the member's own clock, the bonus and the message, once
per member and year, whatever the time zone, the leap year or the daylight-saving day."""

import datetime

import pytest

from campaigns.models import Delivery, DeliveryStatus
from campaigns.services.automations import automation_update
from campaigns.services.birthdays import birthdays_queue
from campaigns.services.sending import deliveries_send
from loyalty.models import LedgerEntry
from members.models import Member
from tests.factories.ledger import MemberFactory

UTC = datetime.UTC


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def make(month: int, day: int, *, zone: str = "", changed_at=None, **fields) -> Member:
    member = MemberFactory(**fields)
    Member.objects.filter(pk=member.pk).update(
        birth_month=month, birth_day=day, time_zone=zone, birthday_changed_at=changed_at
    )
    return Member.objects.get(pk=member.pk)


def gifts(member: Member) -> list[str]:
    return sorted(
        LedgerEntry.objects.filter(member=member, bonus_key__startswith="birthday:").values_list(
            "bonus_key", flat=True
        )
    )


def rows(member: Member) -> list[str]:
    return sorted(
        Delivery.objects.filter(member=member, automation="birthday").values_list(
            "occasion", flat=True
        )
    )


@pytest.mark.django_db
def test_the_gift_and_the_message_come_at_nine_on_the_members_clock(program, time_machine):
    madrid = make(3, 15)  # the program's zone: UTC+1 in March
    time_machine.move_to(at("2027-03-15T07:59:00"), tick=False)
    assert birthdays_queue() == 0

    time_machine.move_to(at("2027-03-15T08:00:00"), tick=False)
    assert birthdays_queue() == 1
    assert gifts(madrid) == ["birthday:2027"]
    assert LedgerEntry.objects.get(member=madrid, bonus_key="birthday:2027").points == 200
    assert rows(madrid) == ["2027"]


@pytest.mark.django_db
def test_members_on_both_sides_of_midnight_are_greeted_on_their_own_day(program, time_machine):
    auckland = make(3, 16, zone="Pacific/Auckland")  # UTC+13 in March
    mexico = make(3, 15, zone="America/Mexico_City")  # UTC-6, no daylight saving
    # 15 March, 20:00 UTC: already 16 March, 09:00 in Auckland; 14:00 on the 15th in Mexico.
    time_machine.move_to(at("2027-03-15T20:00:00"), tick=False)
    assert birthdays_queue() == 2
    assert rows(auckland) == ["2027"]
    assert rows(mexico) == ["2027"]

    mexican_dawn = make(3, 16, zone="America/Mexico_City", email="dawn@example.com")
    time_machine.move_to(at("2027-03-16T14:59:00"), tick=False)  # 08:59 in Mexico City
    assert birthdays_queue() == 0
    time_machine.move_to(at("2027-03-16T15:00:00"), tick=False)
    assert birthdays_queue() == 1
    assert rows(mexican_dawn) == ["2027"]


@pytest.mark.django_db
def test_a_29_february_birthday_is_kept_on_28_february_in_other_years(program, time_machine):
    leapling = make(2, 29)
    time_machine.move_to(at("2027-02-28T10:00:00"), tick=False)
    assert birthdays_queue() == 1
    time_machine.move_to(at("2027-03-01T10:00:00"), tick=False)
    assert birthdays_queue() == 0

    time_machine.move_to(at("2028-02-28T10:00:00"), tick=False)
    assert birthdays_queue() == 0  # 2028 has a 29 February
    time_machine.move_to(at("2028-02-29T10:00:00"), tick=False)
    assert birthdays_queue() == 1
    assert gifts(leapling) == ["birthday:2027", "birthday:2028"]


@pytest.mark.django_db
def test_a_birthday_set_less_than_30_days_before_counts_from_next_year(program, time_machine):
    late = make(3, 15, changed_at=at("2027-02-20T12:00:00"))  # 23 days before
    early = make(3, 15, changed_at=at("2027-02-10T12:00:00"), email="early@example.com")
    time_machine.move_to(at("2027-03-15T10:00:00"), tick=False)
    assert birthdays_queue() == 1
    assert gifts(late) == []
    assert gifts(early) == ["birthday:2027"]

    time_machine.move_to(at("2028-03-15T10:00:00"), tick=False)
    birthdays_queue()
    assert gifts(late) == ["birthday:2028"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Madrid", "2027-03-28"),  # clocks go forward at 02:00
        ("Europe/Madrid", "2027-10-31"),  # clocks go back at 03:00: 02:00-03:00 twice
        ("America/Mexico_City", "2027-04-04"),  # the old first Sunday of April change
    ],
)
def test_a_daylight_saving_day_neither_skips_nor_doubles_the_gift(program, time_machine, zone, day):
    month, dom = int(day[5:7]), int(day[8:10])
    member = make(month, dom, zone=zone)
    start = at(f"{day}T00:00:00") - datetime.timedelta(hours=14)
    moment = start
    while moment < start + datetime.timedelta(hours=48):
        time_machine.move_to(moment, tick=False)
        birthdays_queue()
        birthdays_queue()  # every periodic run twice in a row
        moment += datetime.timedelta(minutes=15)
    assert rows(member) == [day[:4]]
    assert gifts(member) == [f"birthday:{day[:4]}"]


@pytest.mark.django_db
def test_two_years_of_scans_give_each_member_one_gift_a_year(program, time_machine):
    kiritimati = make(1, 1, zone="Pacific/Kiritimati")  # UTC+14: its new year comes first
    pago_pago = make(12, 31, zone="Pacific/Pago_Pago", email="last@example.com")  # UTC-11
    others = [
        make(2, 29, email="leap@example.com"),  # 2028 is a leap year, 2029 is not
        make(7, 14, zone="America/Mexico_City", email="july@example.com"),
        make(10, 29, email="autumn@example.com"),  # Madrid's clocks go back on it in 2028
    ]
    # The first scan past 09:00 in Pago Pago on 31 December is 00:00 UTC the next day, and the
    # last scan, 00:00 UTC on 1 January 2030, is 13:00 on 31 December there and already 14:00
    # on 1 January 2030 in Kiritimati: both see one more birthday than the others.
    moment = at("2027-12-31T12:00:00")
    while moment <= at("2030-01-01T00:00:00"):  # scanned four times a day
        time_machine.move_to(moment, tick=False)
        birthdays_queue()
        moment += datetime.timedelta(hours=6)
    assert rows(kiritimati) == ["2028", "2029", "2030"]
    assert rows(pago_pago) == ["2027", "2028", "2029"]
    for member in others:
        assert rows(member) == ["2028", "2029"], (member.birth_month, member.birth_day)
        assert gifts(member) == ["birthday:2028", "birthday:2029"]


@pytest.mark.django_db
def test_the_message_tells_the_gift_in_the_members_language(program, time_machine, smtp_outbox):
    member = make(3, 15, language="fr", first_name="Chloé", email="chloe@example.fr")
    time_machine.move_to(at("2027-03-15T09:00:00"), tick=False)
    birthdays_queue()
    assert deliveries_send().sent == 1
    (mail,) = smtp_outbox.mails
    assert mail.recipients == ["chloe@example.fr"]
    assert "Chloé" in mail.subject
    assert "200" in mail.text
    assert "anniversaire" in mail.text.lower()
    assert Delivery.objects.get(member=member).status == DeliveryStatus.SENT


@pytest.mark.django_db
def test_with_the_automation_off_the_programs_gift_comes_unannounced(program, time_machine):
    member = make(3, 15)
    automation_update(code="birthday", enabled=False)
    time_machine.move_to(at("2027-03-15T10:00:00"), tick=False)
    assert birthdays_queue() == 1
    assert birthdays_queue() == 0
    assert gifts(member) == ["birthday:2027"]
    assert rows(member) == []
    automation_update(code="birthday", enabled=True)  # later the same day: not told late
    assert birthdays_queue() == 0
    assert rows(member) == []


@pytest.mark.django_db
def test_a_member_with_notices_off_gets_the_gift_without_the_message(program, time_machine):
    member = make(3, 15)
    Member.objects.filter(pk=member.pk).update(program_notices=False)
    time_machine.move_to(at("2027-03-15T10:00:00"), tick=False)
    birthdays_queue()
    deliveries_send()
    assert gifts(member) == ["birthday:2027"]
    assert Delivery.objects.get(member=member).status == DeliveryStatus.SKIPPED
