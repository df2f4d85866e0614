"""Members' time zones (their own, or the program's) and consents (marketing per channel,
program notices), each change kept in the consent history."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from loyalty.models import Program
from loyalty.selectors.members import member_time_zone, member_time_zone_expression
from loyalty.selectors.program import program_in_force
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import, program_settings_save
from members.models import ConsentChange, ConsentKind, ConsentSource, Member
from members.services import member_consents_set, member_erase, member_profile_update
from members.time_zones import (
    LIKELY_TIME_ZONES,
    UnknownTimeZone,
    offered_time_zones,
    time_zone_choices,
    time_zone_clean,
)
from tests.factories.loyalty import example_program_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(db):
    return program_import(text=example_program_text(), note="example").version  # Europe/Madrid


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("  Atlantic/Canary ", "Atlantic/Canary"),
        ("europe/madrid", "Europe/Madrid"),
        ("AMERICA/ARGENTINA/BUENOS_AIRES", "America/Argentina/Buenos_Aires"),
        ("UTC", "UTC"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_typed_zone_is_read_as_iana_spells_it(typed, name):
    assert time_zone_clean(typed) == name


@pytest.mark.parametrize(
    "typed", ["Europe/Atlantis", "Madrid", "+01:00", "Europe/Madrid/", "../etc"]
)
def test_an_unknown_zone_is_refused_with_its_code_and_field(typed):
    with pytest.raises(UnknownTimeZone) as refused:
        time_zone_clean(typed)

    assert refused.value.code == "time_zone_unknown"
    assert refused.value.field == "time_zone"
    assert typed.strip() in refused.value.message("en")


def test_the_select_offers_the_program_s_then_the_likely_zones_then_all():
    with translation.override("en"):
        default, likely, everything = time_zone_choices(default_label="The shop's")
        likely = (str(likely[0]), [(name, str(label)) for name, label in likely[1]])

    assert default == ("", "The shop's")
    assert [name for name, _label in likely[1]] == [name for name, _ in LIKELY_TIME_ZONES]
    assert likely[1][0] == (
        "Europe/Madrid",
        "Spain (mainland and Balearic Islands)",
    )
    names = [name for name, _label in everything[1]]
    assert "Asia/Tokyo" in names
    assert "Europe/Madrid" not in names  # already offered first
    assert "US/Pacific" not in names  # an old alias: accepted when typed, not offered
    assert names == sorted(names) == list(offered_time_zones())
    assert ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos Aires") in everything[1]


def test_the_model_field_refuses_an_unknown_zone(program):
    member = member_join(email="ana@example.com")
    member.time_zone = "Mars/Olympus_Mons"

    with pytest.raises(ValidationError) as refused:
        member.full_clean()

    assert "time_zone" in refused.value.message_dict


# --- The zone in force ------------------------------------------------------------------------


def test_a_member_without_a_zone_follows_the_program_s_even_when_it_changes(program):
    member = member_join(email="ana@example.com")
    assert member.time_zone == ""
    assert member_time_zone(member=member) == zoneinfo.ZoneInfo("Europe/Madrid")

    settings = Program.objects.get()
    settings.timezone = "Europe/Paris"
    program_settings_save(actor=None, program=settings)

    assert member_time_zone(member=member) == zoneinfo.ZoneInfo("Europe/Paris")


def test_a_member_s_own_zone_wins_over_the_program_s(program):
    member = member_join(email="ana@example.com", time_zone="atlantic/canary")

    assert member.time_zone == "Atlantic/Canary"
    assert member_time_zone(member=member).key == "Atlantic/Canary"


def test_before_any_program_a_member_without_a_zone_is_on_utc(db):
    member = member_join(email="ana@example.com")

    assert member_time_zone(member=member).key == "UTC"


def test_the_sql_expression_gives_every_member_s_zone_in_one_query(
    program, django_assert_num_queries
):
    own = member_join(email="own@example.com", time_zone="America/Cayenne")
    follows = member_join(email="follows@example.com")
    zone = member_time_zone_expression(program=program_in_force())

    with django_assert_num_queries(1):
        zones = dict(Member.objects.annotate(zone=zone).values_list("pk", "zone"))

    assert zones == {own.pk: "America/Cayenne", follows.pk: "Europe/Madrid"}


def test_the_zone_expression_reads_through_a_relation(program):
    member = member_join(email="own@example.com", time_zone="Europe/Paris")
    member_consents_set(member=member, marketing_sms=True)

    zones = (
        ConsentChange.objects.filter(member=member)
        .annotate(zone=member_time_zone_expression(field="member__time_zone"))
        .values_list("zone", flat=True)
    )

    assert list(zones) == ["Europe/Paris"]


def test_enrolling_with_an_unknown_zone_writes_nothing(program):
    with pytest.raises(UnknownTimeZone):
        member_join(email="ana@example.com", time_zone="Europe/Atlantis")

    assert not Member.objects.exists()


def test_the_profile_sets_and_clears_the_zone(program):
    member = member_join(email="ana@example.com", first_name="Ana")
    person = {"member": member, "first_name": "Ana", "language": "es"}

    member_profile_update(**person, time_zone="Europe/Paris")
    assert Member.objects.get(pk=member.pk).time_zone == "Europe/Paris"

    member_profile_update(**person)  # time_zone not given: left as it is
    assert Member.objects.get(pk=member.pk).time_zone == "Europe/Paris"

    member_profile_update(**person, time_zone="")
    assert Member.objects.get(pk=member.pk).time_zone == ""


def test_a_profile_with_an_unknown_zone_changes_nothing(program):
    member = member_join(email="ana@example.com", first_name="Ana", time_zone="Europe/Paris")

    with pytest.raises(UnknownTimeZone):
        member_profile_update(member=member, first_name="Bea", language="fr", time_zone="Paris")

    stored = Member.objects.select_related("user").get(pk=member.pk)
    assert (stored.time_zone, stored.language, stored.user.first_name) == (
        "Europe/Paris",
        "en",
        "Ana",
    )


# --- Consents ---------------------------------------------------------------------------------


def test_a_new_member_wants_program_notices_and_no_marketing(program):
    member = member_join(email="ana@example.com")

    assert member.program_notices is True
    assert (member.marketing_email_opt_in, member.marketing_sms_opt_in) == (False, False)
    assert member.marketing_push_opt_in is False


def test_push_and_program_notices_changes_are_kept_in_the_history(program):
    member = member_join(email="ana@example.com")
    at = datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC)

    changes = member_consents_set(member=member, marketing_push=True, program_notices=False, at=at)

    assert {(change.kind, change.granted) for change in changes} == {
        (ConsentKind.MARKETING_PUSH, True),
        (ConsentKind.PROGRAM_NOTICES, False),
    }
    stored = Member.objects.get(pk=member.pk)
    assert (stored.marketing_push_opt_in, stored.program_notices) == (True, False)
    assert set(
        ConsentChange.objects.filter(member=member).values_list("kind", "granted", "source", "at")
    ) == {
        ("marketing_push", True, "profile", at),
        ("program_notices", False, "profile", at),
    }


def test_a_consent_left_out_is_left_as_it_is(program):
    member = member_join(email="ana@example.com", marketing_email_opt_in=True)

    changes = member_consents_set(
        member=member, marketing_email=False, source=ConsentSource.UNSUBSCRIBE
    )

    assert [(c.kind, c.granted, c.source) for c in changes] == [
        ("marketing_email", False, "unsubscribe")
    ]
    stored = Member.objects.get(pk=member.pk)
    assert stored.marketing_email_opt_in is False
    assert stored.program_notices is True


def test_setting_a_consent_to_what_it_is_records_nothing(program):
    member = member_join(email="ana@example.com")

    assert member_consents_set(member=member, program_notices=True, marketing_push=False) == []
    assert not ConsentChange.objects.filter(member=member).exists()


def test_erasure_withdraws_every_consent_and_forgets_the_zone(program):
    member = member_join(
        email="ana@example.com",
        time_zone="Europe/Paris",
        marketing_email_opt_in=True,
        marketing_push_opt_in=True,
    )

    member_erase(member=member)

    stored = Member.objects.get(pk=member.pk)
    assert stored.time_zone == ""
    assert (stored.marketing_email_opt_in, stored.marketing_push_opt_in) == (False, False)
    assert stored.program_notices is False
    assert set(
        ConsentChange.objects.filter(member=member).values_list("kind", "granted", "source")
    ) == {
        # Given when enrolled at the till, then withdrawn by the erasure.
        ("marketing_email", True, "staff"),
        ("marketing_push", True, "staff"),
        ("marketing_email", False, "erasure"),
        ("marketing_push", False, "erasure"),
        ("program_notices", False, "erasure"),
    }
