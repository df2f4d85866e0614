"""import_members: bad rows with line and reason, nothing imported; known emails skipped; members
enrolled like member_enrol (sign-up bonus as of joined_at, consistent accounts)."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from loyalty.imports.base import import_run
from loyalty.imports.members import MemberImporter
from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import account_recompute
from members.models import Member
from members.numbers import member_number_is_valid
from members.services import member_consents_set
from tests.imports.conftest import MEMBER_HEADER

pytestmark = pytest.mark.django_db

GOOD = ["new@example.com", "Nora", "Vidal", "+34 600 000 001", "1990-04-02", "es", "true",
        "2026-01-10T09:00:00+01:00"]  # fmt: skip


def test_every_kind_of_bad_member_row_is_reported_and_nothing_is_imported(ana, write_csv):
    path = write_csv(
        [
            MEMBER_HEADER,
            GOOD,
            ["not-an-email", "", "", "", "", "en", "false", ""],  # line 3
            ["x@example.com", "", "", "", "1990-02-30", "en", "false", ""],
            ["y@example.com", "", "", "", "", "de", "false", ""],  # line 5
            ["z@example.com", "", "", "", "", "en", "yes", ""],
            ["w@example.com", "", "", "", "", "en", "true", "yesterday"],  # line 7
            ["NEW@example.com", "", "", "", "", "en", "", ""],  # duplicate of line 2
            ["", "", "", "", "", "", "", ""],  # blank line: not a row
            ["", "Nameless", "", "", "", "", "", ""],  # line 10
        ]
    )
    members = Member.objects.count()
    report = import_run(importer=MemberImporter(), path=path)
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert reasons == {
        3: "email 'not-an-email' is not a valid email address",
        4: "birth_date '1990-02-30' is not a date",
        5: "language 'de' is not one of en, es, fr",
        6: "marketing_opt_in 'yes' is not true or false",
        7: "joined_at 'yesterday' is not a date and time (ISO 8601)",
        8: "email new@example.com appears more than once in the file",
        10: "email is required",
    }
    assert Member.objects.count() == members


def test_unknown_column_refuses_the_file(program, write_csv):
    report = import_run(
        importer=MemberImporter(), path=write_csv([["email", "age"], ["a@b.c", "3"]])
    )
    assert "unknown column(s): age" in report.file_problem
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_members", str(write_csv([["name"], ["x"]])), stdout=out)
    assert "missing required column(s): email" in out.getvalue()


def test_members_are_enrolled_with_the_signup_bonus_and_a_known_email_is_skipped(ana, write_csv):
    path = write_csv([MEMBER_HEADER, GOOD, ["ANA@example.com", "", "", "", "", "", "", ""]])
    out = io.StringIO()
    call_command("import_members", str(path), stdout=out)
    assert "2 rows read, 1 imported, 1 skipped (already known), 0 rejected" in out.getvalue()

    nora = Member.objects.get(user__email="new@example.com")
    assert member_number_is_valid(nora.member_number)
    assert (nora.user.first_name, nora.user.last_name, nora.language) == ("Nora", "Vidal", "es")
    assert (nora.birth_day, nora.birth_month, nora.birth_year) == (2, 4, 1990)
    assert nora.marketing_email_opt_in
    assert not nora.user.has_usable_password()
    assert nora.joined_at.isoformat() == "2026-01-10T08:00:00+00:00"
    bonus = LedgerEntry.objects.get(member=nora)
    assert (bonus.kind, bonus.points, bonus.bonus_key) == ("bonus", 100, "signup:once")
    account = LoyaltyAccount.objects.get(member=nora)
    assert (account.available, account.lifetime, account.tier_code) == (100, 100, "bronze")
    assert account_recompute(member=nora)["consistent"]

    again = io.StringIO()
    call_command("import_members", str(path), stdout=again)
    assert "2 rows read, 0 imported, 2 skipped (already known), 0 rejected" in again.getvalue()
    assert LedgerEntry.objects.filter(member=nora).count() == 1


def test_skip_invalid_imports_the_good_members(program, now, write_csv, tmp_path):
    path = write_csv([MEMBER_HEADER, GOOD, ["bad", "", "", "", "", "", "", ""]])
    call_command(
        "import_members",
        str(path),
        "--skip-invalid",
        "--rejects",
        str(tmp_path / "r.csv"),
        stdout=io.StringIO(),
    )
    assert Member.objects.filter(user__email="new@example.com").exists()
    assert "not a valid email address" in (tmp_path / "r.csv").read_text()


def test_an_email_given_again_in_a_later_batch_is_reported(program, now, write_csv):
    rows = [["a@example.com"], ["b@example.com"], ["c@example.com"], ["A@example.com"]]
    importer = MemberImporter()
    importer.batch_size = 2  # the second a@example.com comes in the second batch

    report = import_run(importer=importer, path=write_csv([["email"], *rows]))

    assert [(problem.line, problem.reason) for problem in report.problems] == [
        (5, "email a@example.com appears more than once in the file")
    ]
    assert not Member.objects.filter(user__email__in=["a@example.com", "b@example.com"]).exists()


def test_the_signup_bonus_and_account_equal_what_member_join_gives(program, now, write_csv):
    joined_at = "2026-01-10T09:00:00+01:00"
    import_run(
        importer=MemberImporter(),
        path=write_csv([["email", "joined_at"], ["imported@example.com", joined_at]]),
    )
    imported = Member.objects.get(user__email="imported@example.com")
    live = member_join(email="live@example.com", joined_at=imported.joined_at)

    def state(member):
        entry = LedgerEntry.objects.get(member=member)
        lot = PointsLot.objects.get(member=member)
        account = LoyaltyAccount.objects.get(member=member)
        return (
            [getattr(entry, name) for name in ENTRY_FIELDS],
            [getattr(lot, name) for name in LOT_FIELDS],
            [getattr(account, name) for name in ACCOUNT_FIELDS],
        )

    assert state(imported) == state(live)
    assert account_recompute(member=imported)["consistent"]


ENTRY_FIELDS = ("kind", "points", "reason", "breakdown", "program_version_id", "bonus_key",
                "source_type", "source_id", "occurred_at", "created_at")  # fmt: skip
LOT_FIELDS = ("points", "remaining", "debt_paid", "available_at", "is_matured", "expires_at",
              "earned_at")  # fmt: skip
ACCOUNT_FIELDS = ("available", "pending", "lifetime", "debt", "tier_code", "tier_since",
                  "tier_review_on")  # fmt: skip


def test_a_time_zone_column_sets_each_member_s_zone(program, write_csv):
    header = ["email", "time_zone"]
    rows = [["own@example.com", "europe/paris"], ["follows@example.com", ""]]

    report = import_run(importer=MemberImporter(), path=write_csv([header, *rows]))

    assert not report.problems
    zones = dict(Member.objects.values_list("user__email", "time_zone"))
    assert zones == {"own@example.com": "Europe/Paris", "follows@example.com": ""}


def test_an_unknown_time_zone_is_reported_with_its_line_and_nothing_is_imported(program, write_csv):
    header = ["email", "time_zone"]
    rows = [["a@example.com", "Europe/Madrid"], ["b@example.com", "Europe/Atlantis"],
            ["c@example.com", "GMT+25"]]  # fmt: skip

    report = import_run(importer=MemberImporter(), path=write_csv([header, *rows]))

    assert {problem.line: problem.reason for problem in report.problems} == {
        3: "time_zone 'Europe/Atlantis' is not a time zone (an IANA name such as Europe/Madrid)",
        4: "time_zone 'GMT+25' is not a time zone (an IANA name such as Europe/Madrid)",
    }
    assert not Member.objects.exists()


def test_the_export_writes_each_member_s_own_zone_and_consents(program):
    own = member_join(email="own@example.com", time_zone="Atlantic/Canary")
    member_consents_set(member=own, marketing_sms=True, program_notices=False)
    member_join(email="follows@example.com")
    out = io.StringIO()

    call_command("export_members", stdout=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    picked = [
        (r["email"], r["time_zone"], r["marketing_sms"], r["marketing_push"], r["program_notices"])
        for r in rows
    ]
    assert picked == [
        ("own@example.com", "Atlantic/Canary", "true", "false", "false"),
        ("follows@example.com", "", "false", "false", "true"),
    ]
