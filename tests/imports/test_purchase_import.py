"""import_purchases: every bad row reported with its line and reason and nothing imported;
--skip-invalid with a rejects file; re-runs; the summary; scoring equal to purchase_record."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from loyalty.imports.base import import_run
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot, Purchase, TierChange
from loyalty.services.ledger import account_recompute
from loyalty.services.purchases import purchase_record
from tests.factories.ledger import MemberFactory, program_version_create
from tests.imports.conftest import NOW, PURCHASE_HEADER

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def at(days_ago: float) -> str:
    return (NOW - days_ago * DAY).isoformat()


def nothing_written() -> bool:
    return not Purchase.objects.exists() and not LedgerEntry.objects.filter(kind="earn").exists()


def test_every_kind_of_bad_row_is_reported_with_its_line_and_nothing_is_imported(
    ana, bob, write_csv
):
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok-1", "ana@example.com", at(30), "10.00", "EUR", "store"],  # line 2
            ["bad-member", "nobody@example.com", at(30), "10.00", "EUR", "store"],
            ["bad-date", "ana@example.com", "31/12/2025", "10.00", "EUR", "store"],
            ["bad-amount", "ana@example.com", at(30), "-5.00", "EUR", "store"],  # line 5
            ["bad-currency", "ana@example.com", at(30), "10.00", "USD", "store"],
            ["ok-1", "bob@example.com", at(20), "12.00", "EUR", "store"],  # duplicate id
            ["bad-channel", "ana@example.com", at(30), "10.00", "EUR", "phone"],
            ["bad-number", "ana@example.com", at(30), "ten", "EUR", "store"],  # line 9
            ["", "ana@example.com", at(30), "10.00", "EUR", "store"],
            ["future", "ana@example.com", at(-1), "10.00", "EUR", "store"],
            ["decimals", "ana@example.com", at(30), "10.001", "EUR", "store"],  # line 12
            ["short", "ana@example.com"],
            ["ok-2", "bob@example.com", at(10), "20.00", "EUR", "online"],  # line 14
            ["huge", "bob@example.com", at(10), "10000000000.00", "EUR", "store"],
        ]
    )
    balances = list(LoyaltyAccount.objects.values_list("member_id", "available", "lifetime"))

    report = import_run(importer=PurchaseImporter(), path=path)

    reasons = {problem.line: problem.reason for problem in report.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15]
    assert "unknown member" in reasons[3]
    assert "nobody@example.com" in reasons[3]
    assert "purchased_at '31/12/2025' is not a date" in reasons[4]
    assert "amount -5.00 is negative" in reasons[5]
    assert "currency USD: the program counts in EUR" in reasons[6]
    assert "external_id 'ok-1' appears more than once" in reasons[7]
    assert "channel 'phone' is not one of store, online, app" in reasons[8]
    assert "amount 'ten' is not a number" in reasons[9]
    assert "external_id is required" in reasons[10]
    assert "in the future" in reasons[11]
    assert "more than 2 decimals" in reasons[12]
    assert "2 values for 6 columns" in reasons[13]
    assert "amount 10000000000.00 is too large (the limit is 10,000,000,000)" in reasons[15]
    assert (report.rows_read, report.rejected, report.imported) == (14, 12, 0)
    assert not report.is_applied
    assert nothing_written()
    assert list(LoyaltyAccount.objects.values_list("member_id", "available", "lifetime")) == (
        balances
    )


def test_unknown_member_number_is_reported(ana, write_csv):
    path = write_csv(
        [
            ["external_id", "member_number", "purchased_at", "amount"],
            ["a", "4000000000006", at(3), "1.00"],
            ["b", "123", at(3), "1.00"],
            ["c", ana.member_number, at(3), "1.00"],
        ]
    )
    report = import_run(importer=PurchaseImporter(), path=path)
    assert [(p.line, p.reason) for p in report.problems] == [
        (2, "unknown member: no member has the number 4000000000006"),
        (3, "member_number '123' is not a valid member number"),
    ]
    assert nothing_written()


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (["external_id", "member_email", "purchased_at", "amount", "colour"], "unknown column"),
        (["external_id", "member_email", "amount"], "missing required column(s): purchased_at"),
        (["external_id", "purchased_at", "amount"], "member_email or member_number"),
    ],
)
def test_a_bad_header_refuses_the_file(ana, write_csv, header, reason):
    path = write_csv([header, ["x", "ana@example.com", at(1), "1.00", "red"][: len(header)]])
    report = import_run(importer=PurchaseImporter(), path=path)
    assert report.file_problem.startswith("line 1: ")
    assert reason in report.file_problem
    assert nothing_written()


def test_the_command_reports_bad_rows_and_fails_with_nothing_imported(ana, write_csv):
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok", "ana@example.com", at(3), "10.00", "EUR", "store"],
            ["bad", "ana@example.com", at(3), "-1.00", "EUR", "store"],
        ]
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_purchases", str(path), stdout=out)
    assert "line 3: amount -1.00 is negative" in out.getvalue()
    assert "Nothing was imported." in out.getvalue()
    assert "2 rows read, 0 imported, 0 skipped (already known), 1 rejected" in out.getvalue()
    assert nothing_written()


def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones_with_reasons(
    ana, write_csv, tmp_path
):
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok-1", "ana@example.com", at(30), "10.00", "EUR", "store"],
            ["bad", "ghost@example.com", at(30), "10.00", "EUR", "store"],
            ["ok-2", "ana@example.com", at(20), "30.00", "EUR", ""],
        ]
    )
    rejects = tmp_path / "rejects.csv"
    out = io.StringIO()
    call_command(
        "import_purchases", str(path), "--skip-invalid", "--rejects", str(rejects), stdout=out
    )
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"ok-1", "ok-2"}
    with open(rejects, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "reason", "row"]
    assert rows[1][:2] == ["3", "unknown member: no member has the email ghost@example.com"]
    assert rows[1][2].startswith("bad,ghost@example.com,")
    assert f"Rejected rows with their reasons: {rejects}" in out.getvalue()
    assert "3 rows read, 2 imported, 0 skipped (already known), 1 rejected" in out.getvalue()


def test_skip_invalid_without_a_path_writes_the_rejects_next_to_the_file(ana, write_csv):
    path = write_csv([PURCHASE_HEADER, ["bad", "ana@example.com", at(1), "-1", "EUR", "store"]])
    out = io.StringIO()
    call_command("import_purchases", str(path), "--skip-invalid", stdout=out)
    written = list(path.parent.glob("file.rejects-*.csv"))
    assert len(written) == 1
    assert str(written[0]) in out.getvalue()


def test_a_rerun_imports_nothing_twice(ana, write_csv):
    rows = [
        PURCHASE_HEADER,
        ["a", "ana@example.com", at(30), "10.00", "EUR", "store"],
        ["b", "ana@example.com", at(20), "120.00", "EUR", "store"],
    ]
    path = write_csv(rows)
    call_command("import_purchases", str(path), stdout=io.StringIO())
    entries = LedgerEntry.objects.count()
    account = LoyaltyAccount.objects.get(member=ana)

    out = io.StringIO()
    call_command("import_purchases", str(write_csv(rows, "again.csv")), stdout=out)

    assert "2 rows read, 0 imported, 2 skipped (already known), 0 rejected" in out.getvalue()
    assert Purchase.objects.count() == 2
    assert LedgerEntry.objects.count() == entries
    again = LoyaltyAccount.objects.get(member=ana)
    assert (again.available, again.pending, again.lifetime) == (
        account.available,
        account.pending,
        account.lifetime,
    )


def test_check_only_reports_and_writes_nothing(ana, write_csv):
    path = write_csv([PURCHASE_HEADER, ["a", "ana@example.com", at(1), "1.00", "EUR", "store"]])
    out = io.StringIO()
    call_command("import_purchases", str(path), "--check", stdout=out)
    assert "1 rows read, 0 imported" in out.getvalue()
    assert nothing_written()


def test_imported_purchases_are_dated_purchased_at_for_pending_and_expiry(ana, write_csv):
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["old", "ana@example.com", at(100), "40.00", "EUR", "store"],
            ["new", "ana@example.com", at(3), "25.00", "EUR", "store"],
        ]
    )
    call_command("import_purchases", str(path), stdout=io.StringIO())
    old = PointsLot.objects.get(purchase__external_id="old")
    new = PointsLot.objects.get(purchase__external_id="new")
    assert old.is_matured
    assert old.earned_at == NOW - 100 * DAY
    assert old.expires_at.date() == (NOW - 100 * DAY + datetime.timedelta(days=365)).date()
    assert not new.is_matured
    assert new.available_at == NOW - 3 * DAY + 14 * DAY
    account = LoyaltyAccount.objects.get(member=ana)
    assert (account.available, account.pending) == (100 + 40, 25)  # signup bonus + old


def _history(email: str, prefix: str) -> list[list[str]]:
    """Purchases that cross silver (500) then gold (1500) and include a line, a big basket and
    one backdated purchase after the upgrades."""
    amounts = ["120.00", "300.00", "99.99", "250.00", "800.00", "45.50", "600.00", "10.00"]
    days = [200, 180, 150, 120, 90, 60, 30, 5]
    rows = [
        [f"{prefix}-{n}", email, at(day), amount, "EUR", "store", "", "", "", ""]
        for n, (amount, day) in enumerate(zip(amounts, days, strict=True))
    ]
    rows.append(
        [f"{prefix}-wine", email, at(40), "50.00", "EUR", "app", "3", "RED", "wine", "16.50"]
    )
    rows.append([f"{prefix}-late", email, at(170), "70.00", "EUR", "online", "", "", "", ""])
    return rows


def _record_live(member, rows: list[list[str]]) -> None:
    """Each row through purchase_record, as the API records a purchase."""
    for row in rows:
        external_id, _email, purchased_at, amount, currency, channel = row[:6]
        items = []
        if row[6]:
            items = [{"sku": row[7], "category": row[8], "quantity": row[6], "unit_price": row[9]}]
        purchase_record(
            member=member,
            external_id=external_id,
            amount=Decimal(amount),
            currency=currency,
            purchased_at=datetime.datetime.fromisoformat(purchased_at),
            channel=channel,
            items=items,
        )


def _state(member) -> tuple:
    """A member's purchases (ids without their prefix), balances, tier and tier history."""
    purchases = [
        (p.external_id.split("-", 1)[1], p.points, p.tier_code, p.items, p.breakdown)
        for p in Purchase.objects.filter(member=member).order_by("pk")
    ]
    account = LoyaltyAccount.objects.get(member=member)
    changes = list(
        TierChange.objects.filter(member=member)
        .order_by("at")
        .values_list("from_code", "to_code", "at", "qualifying_total")
    )
    balances = (account.available, account.pending, account.lifetime, account.debt)
    return purchases, balances, account.tier_code, account.tier_review_on, changes


@pytest.mark.parametrize(
    ("batch_size", "skip_invalid", "members_kept", "purchases_kept"),
    [
        pytest.param(1000, False, 50_000, 2_000_000, id="one batch"),
        pytest.param(3, False, 50_000, 2_000_000, id="batches of 3 in one transaction"),
        pytest.param(3, True, 50_000, 2_000_000, id="batches of 3 each committed"),
        pytest.param(3, False, 1, 4, id="batches of 3 keeping one member between batches"),
    ],
)
def test_points_tiers_and_balances_equal_what_purchase_record_gives(
    program, now, write_csv, batch_size, skip_invalid, members_kept, purchases_kept
):
    imported = [MemberFactory(email=f"imported{n}@example.com") for n in range(3)]
    live = [MemberFactory(email=f"live{n}@example.com") for n in range(3)]
    header = [*PURCHASE_HEADER, "quantity", "sku", "category", "unit_price"]
    # The members' rows interleaved: each batch of 3 has all three members.
    histories = [_history(member.email, f"i{n}") for n, member in enumerate(imported)]
    path = write_csv([header, *(row for rows in zip(*histories, strict=True) for row in rows)])

    importer = PurchaseImporter()
    importer.batch_size = batch_size
    importer.members_kept, importer.purchases_kept = members_kept, purchases_kept
    report = import_run(importer=importer, path=path, skip_invalid=skip_invalid)
    assert report.is_applied
    assert report.imported == 30

    for n, member in enumerate(live):
        _record_live(member, _history(member.email, f"l{n}"))

    for n in range(3):
        mine, theirs = _state(imported[n]), _state(live[n])
        assert mine[0] == theirs[0]
        assert mine[1:] == theirs[1:]
        assert account_recompute(member=imported[n])["consistent"]
    assert LoyaltyAccount.objects.get(member=imported[0]).tier_code == "gold"
    assert TierChange.objects.filter(member=imported[0]).count() == 2


def test_under_the_points_metric_tiers_equal_what_purchase_record_gives(program, now, write_csv):
    program_version_create(metric="points", signup_bonus=True, created_at=program.created_at + DAY)
    imported, live = MemberFactory(email="imported@example.com"), MemberFactory()
    header = [*PURCHASE_HEADER, "quantity", "sku", "category", "unit_price"]

    import_run(
        importer=PurchaseImporter(), path=write_csv([header, *_history(imported.email, "i")])
    )
    _record_live(live, _history(live.user.email, "l"))

    assert _state(imported) == _state(live)
    changes = TierChange.objects.filter(member=imported).order_by("at")
    spent = Purchase.objects.filter(member=imported, purchased_at__lte=changes[0].at)
    assert changes  # the history crosses a threshold
    # Counted in points: not the amounts spent up to the change.
    assert changes[0].qualifying_total != sum(p.amount for p in spent)


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_each_purchase_qualifies_with_the_purchases_of_its_own_window(
    program, now, write_csv, batch_size
):
    imported, live = MemberFactory(email="imported@example.com"), MemberFactory()

    def history(email: str, prefix: str) -> list[list[str]]:
        # The 12-month window of the second purchase leaves the first out (bronze); that of
        # the third, backdated, takes it in again: 460 + 250 reach silver (500).
        return [
            [f"{prefix}-{n}", email, at(days), amount, "EUR", "store", "", "", "", ""]
            for n, (days, amount) in enumerate([(390, "460.00"), (10, "50.00"), (385, "250.00")])
        ]

    header = [*PURCHASE_HEADER, "quantity", "sku", "category", "unit_price"]
    importer = PurchaseImporter()
    importer.batch_size = batch_size
    import_run(importer=importer, path=write_csv([header, *history(imported.email, "i")]))
    _record_live(live, history(live.user.email, "l"))

    assert _state(imported) == _state(live)
    assert TierChange.objects.get(member=imported).at == NOW - 385 * DAY


def test_imported_points_pay_an_existing_debt_first(ana, write_csv):
    LoyaltyAccount.objects.filter(member=ana).update(debt=30, available=70)
    # The signup lot keeps 100 remaining, so recompute would disagree: make the lot agree.
    PointsLot.objects.filter(member=ana).update(remaining=70, debt_paid=30)
    path = write_csv([PURCHASE_HEADER, ["d", "ana@example.com", at(60), "50.00", "EUR", "store"]])
    import_run(importer=PurchaseImporter(), path=path)
    account = LoyaltyAccount.objects.get(member=ana)
    lot = PointsLot.objects.get(purchase__external_id="d")
    assert (account.debt, account.available, lot.remaining, lot.debt_paid) == (0, 90, 20, 30)


def test_every_account_stays_consistent_after_an_import(program, now, write_csv):
    members = [MemberFactory(email=f"m{n}@example.com") for n in range(6)]
    rows = [PURCHASE_HEADER]
    for n in range(60):
        member = members[n % 6]
        rows.append([f"c-{n}", member.email, at(300 - n * 5), f"{(n * 37) % 400 + 1}.{n % 100:02d}",
                     "EUR", ["store", "online", "app"][n % 3]])  # fmt: skip
    importer = PurchaseImporter()
    importer.batch_size = 7  # members spread over many batches
    report = import_run(importer=importer, path=write_csv(rows))
    assert report.imported == 60
    for member in members:
        check = account_recompute(member=member)
        assert check["consistent"], check["problems"]


@pytest.fixture
def database_refuses(db):
    """The database refuses to store a purchase whose external_id starts with "refused", as it
    would refuse a row for a constraint or a concurrent insert: a failure the check cannot see,
    at write time."""
    if connection.vendor != "postgresql":
        pytest.skip("the refusal is a PostgreSQL trigger")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_purchase_refuse() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'purchase % refused by the test', NEW.external_id "
            "USING ERRCODE = 'check_violation'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER test_purchase_refuse BEFORE INSERT ON loyalty_purchase FOR EACH ROW "
            "WHEN (NEW.external_id LIKE 'refused%') EXECUTE FUNCTION test_purchase_refuse()"
        )


def test_skip_invalid_rejects_a_row_refused_when_written_with_its_line_and_reason(
    ana, bob, write_csv, tmp_path, database_refuses
):
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok-1", "ana@example.com", at(30), "10.00", "EUR", "store"],
            ["bad", "ghost@example.com", at(30), "10.00", "EUR", "store"],  # line 3
            ["ok-2", "bob@example.com", at(25), "20.00", "EUR", "store"],
            ["refused-1", "ana@example.com", at(20), "30.00", "EUR", "store"],  # line 5
            ["ok-3", "ana@example.com", at(10), "40.00", "EUR", "online"],
        ]
    )
    rejects = tmp_path / "rejects.csv"
    importer = PurchaseImporter()
    importer.batch_size = 2  # the refused row shares its batch with a good one

    report = import_run(importer=importer, path=path, skip_invalid=True, rejects_path=rejects)

    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"ok-1", "ok-2", "ok-3"}
    with open(rejects, newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[0] for row in rows[1:]] == ["3", "5"]
    _line, reason, text = rows[2]
    assert reason == "the database refused the row: purchase refused-1 refused by the test"
    assert text.startswith("refused-1,ana@example.com,")
    assert [(problem.line, problem.reason) for problem in report.problems][1] == (5, reason)
    assert (report.rows_read, report.imported, report.rejected) == (5, 3, 2)
    assert report.rejects_path == str(rejects)
    account = LoyaltyAccount.objects.get(member=ana)
    assert account.lifetime == 100 + 10 + 40  # signup bonus, ok-1, ok-3
    assert account_recompute(member=ana)["consistent"]


def test_a_row_refused_when_written_is_reported_and_nothing_is_imported(
    ana, write_csv, database_refuses
):
    path = write_csv(
        [
            PURCHASE_HEADER,
            *[
                [f"ok-{n}", "ana@example.com", at(40 - n), "10.00", "EUR", "store"]
                for n in range(4)
            ],
            ["refused-1", "ana@example.com", at(20), "30.00", "EUR", "store"],  # line 6
            ["ok-9", "ana@example.com", at(10), "40.00", "EUR", "online"],
        ]
    )
    balances = list(LoyaltyAccount.objects.values_list("member_id", "available", "lifetime"))
    importer = PurchaseImporter()
    importer.batch_size = 2  # refused in the third batch, after two written

    report = import_run(importer=importer, path=path)

    assert [(problem.line, problem.reason) for problem in report.problems] == [
        (6, "the database refused the row: purchase refused-1 refused by the test")
    ]
    assert (report.imported, report.rejected, report.is_applied) == (0, 1, False)
    assert nothing_written()
    assert list(LoyaltyAccount.objects.values_list("member_id", "available", "lifetime")) == (
        balances
    )


def test_the_command_reports_a_row_refused_when_written_and_fails(ana, write_csv, database_refuses):
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok-1", "ana@example.com", at(30), "10.00", "EUR", "store"],
            ["refused-1", "ana@example.com", at(20), "30.00", "EUR", "store"],
        ]
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_purchases", str(path), stdout=out)
    assert "line 3: the database refused the row: purchase refused-1" in out.getvalue()
    assert "Nothing was imported." in out.getvalue()
    assert nothing_written()


def test_a_duplicate_id_is_found_in_a_later_batch_and_after_a_known_one(ana, write_csv):
    call_command(
        "import_purchases",
        str(write_csv([PURCHASE_HEADER, ["old", "ana@example.com", at(50), "5.00", "", ""]])),
        stdout=io.StringIO(),
    )
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["a", "ana@example.com", at(30), "10.00", "EUR", "store"],
            ["old", "ana@example.com", at(50), "5.00", "", ""],  # line 3: known, skipped
            ["b", "ana@example.com", at(29), "-1", "EUR", "store"],  # bad, still seen
            ["c", "ana@example.com", at(28), "10.00", "EUR", "store"],
            ["a", "ana@example.com", at(27), "10.00", "EUR", "store"],  # line 6
            ["b", "ana@example.com", at(26), "10.00", "EUR", "store"],
            ["old", "ana@example.com", at(50), "5.00", "", ""],  # line 8
        ],
        "second.csv",
    )
    importer = PurchaseImporter()
    importer.batch_size = 2

    report = import_run(importer=importer, path=path, is_applied=False)

    assert [(problem.line, problem.reason) for problem in report.problems] == [
        (4, "amount -1 is negative"),
        (6, "external_id 'a' appears more than once in the file"),
        (7, "external_id 'b' appears more than once in the file"),
        (8, "external_id 'old' appears more than once in the file"),
    ]
    assert (report.rows_read, report.skipped, report.rejected) == (7, 1, 4)


def test_rows_that_would_mint_points_are_refused_with_their_line(now, write_csv):
    # The live path's limits hold for history too: the program refuses purchases above 500.00.
    program_version_create(
        max_purchase_amount="500.00", created_at=NOW - datetime.timedelta(days=400)
    )
    MemberFactory(email="ana@example.com")
    header = [*PURCHASE_HEADER, "quantity", "sku", "category", "unit_price"]
    path = write_csv(
        [
            header,
            ["ok", "ana@example.com", at(30), "500.00", "EUR", "store", "", "", "", ""],  # line 2
            ["zero", "ana@example.com", at(30), "0.00", "EUR", "store", "", "", "", ""],
            ["exponent", "ana@example.com", at(30), "1e2", "EUR", "store", "", "", "", ""],
            ["above", "ana@example.com", at(30), "500.01", "EUR", "store", "", "", "", ""],
            ["lines", "ana@example.com", at(30), "10.00", "EUR", "store", "100", "V", "wine", "50"],
            ["qty", "ana@example.com", at(30), "10.00", "EUR", "store", "1E3", "V", "wine", "0"],
        ]
    )

    report = import_run(importer=PurchaseImporter(), path=path)

    reasons = {problem.line: problem.reason for problem in report.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3] == "amount must be greater than zero"
    assert "amount '1e2' is not written as a plain decimal number" in reasons[4]
    assert "above the program's limit of €500.00" in reasons[5]
    assert "The items add up to €5,000.00, more than the amount of €10.00." in reasons[6]
    assert "quantity '1E3' is not written as a plain decimal number" in reasons[7]
    assert nothing_written()


def test_imported_history_keeps_its_own_dates(ana, write_csv, now):
    path = write_csv([PURCHASE_HEADER, ["old-1", "ana@example.com", at(30), "10.00", "EUR", ""]])

    call_command("import_purchases", str(path), stdout=io.StringIO())

    entry = LedgerEntry.objects.get(purchase__external_id="old-1")
    assert entry.occurred_at == Purchase.objects.get(external_id="old-1").purchased_at
    assert entry.occurred_at < entry.created_at == now
