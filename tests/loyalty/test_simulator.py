"""`manage.py program simulate DRAFT --from --to [--json]` (ANALYTICS.md, "The program simulator"):
a window of history recorded through the live services, replayed under drafts whose figures are
worked out by hand below.

The history (Europe/Madrid; the window is 2026-01-01..2026-07-01; the live program is
tests.factories.ledger's: 1 point per EUR, +50 from 100.00, Silver x2 from 500 spent, a 100-point
welcome bonus):

- Ana, Bea and Carla join on 2025-12-01 (welcome bonuses before the window);
- Carla buys 150.00 on 2025-12-15 (before the window: 200 points, and 150 of spend that her
  qualifying totals in the window count);
- Bea buys 80.00 on 2026-02-01 and returns all of it on 2026-02-05: 80 - 80;
- Ana buys 40.00 on 2026-02-10 and 60.00 on 2026-03-10, and returns 20.00 of the second on
  2026-03-15: 40 + 60 - 20;
- Carla buys 300.00 on 2026-04-01 (300 + 50) and 40.00 on 2026-05-01 (40): 490 spent in 12
  months, Bronze throughout;
- Dora joins on 2026-06-01: her welcome bonus (100) is in the window.

Live: 570 points issued (base 420, big_basket 50, welcome 100); outstanding at the end: Ana 180,
Bea 100, Carla 690, Dora 100 = 1,070.
"""

import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection

from analytics.figures import Period, period_summary
from loyalty.models import Program
from loyalty.program_file import parse_program_text
from loyalty.services.purchases import purchase_record, refund_record
from loyalty.simulation import FIGURE_KEYS, simulation_compute
from loyalty.simulation.attribution import contributions
from loyalty.simulation.history import read_only
from tests.factories.ledger import MemberFactory, ledger_program_text, program_version_create
from tests.factories.loyalty import ProgramFactory

MADRID = datetime.timezone(datetime.timedelta(hours=1))  # winter; the times below are noon
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
WINDOW = ("--from", "2026-01-01", "--to", "2026-07-01")
LIVE_TEXT = ledger_program_text()

DOUBLE_BASE = LIVE_TEXT.replace(
    '{code: base, kind: per_currency_unit, points: 1, per: "1.00"}',
    '{code: base, kind: per_currency_unit, points: 2, per: "1.00"}',
)
SPRING_PROMO = LIVE_TEXT.replace(
    "rules:\n",
    'rules:\n  - {code: spring, kind: promo_multiplier, multiplier: "2",'
    " starts: 2026-03-01, ends: 2026-03-31}\n",
)
LOWER_SILVER = LIVE_TEXT.replace('threshold: "500"', 'threshold: "400"')


def _at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=MADRID)


def _buy(member, day: str, amount: str):
    with time_machine.travel(_at(day), tick=False):
        purchase, _ = purchase_record(
            member=member,
            external_id=f"{member.pk}-{day}",
            amount=Decimal(amount),
            currency="EUR",
            purchased_at=_at(day),
            channel="store",
        )
    return purchase


def _return(purchase, day: str, amount: str) -> None:
    with time_machine.travel(_at(day), tick=False):
        refund_record(purchase=purchase, external_id=f"r-{day}", amount=Decimal(amount))


def _join(name: str, day: str):
    with time_machine.travel(_at(day), tick=False):
        return MemberFactory(email=f"{name}@example.com", first_name=name.title())


def history_record() -> dict:
    program_version_create(signup_bonus=True)
    ana, bea, carla = (_join(name, "2025-12-01") for name in ("ana", "bea", "carla"))
    _buy(carla, "2025-12-15", "150.00")
    _return(_buy(bea, "2026-02-01", "80.00"), "2026-02-05", "80.00")
    _buy(ana, "2026-02-10", "40.00")
    _return(_buy(ana, "2026-03-10", "60.00"), "2026-03-15", "20.00")
    _buy(carla, "2026-04-01", "300.00")
    _buy(carla, "2026-05-01", "40.00")
    dora = _join("dora", "2026-06-01")
    return {"ana": ana, "bea": bea, "carla": carla, "dora": dora}


@pytest.fixture
def history(db):
    found = history_record()
    with time_machine.travel(NOW, tick=False):
        yield found


@pytest.fixture
def draft_file(tmp_path):
    def write(text: str):
        path = tmp_path / "draft.yaml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def simulate(path: str, *options: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("program", "simulate", path, *WINDOW, *options, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def figures(path: str) -> dict:
    return json.loads(simulate(path, "--json")[0])


def _by_rule(side: dict) -> dict:
    return {code: points for code, points in side["points_by_rule"].items() if points}


# --- The live side -------------------------------------------------------------------------------


def test_the_live_side_is_what_the_ledger_recorded(history, draft_file):
    found = figures(draft_file(LIVE_TEXT))

    live = found["live"]
    assert live["points_issued"] == 570
    assert _by_rule(live) == {"base": 420, "big_basket": 50, "welcome": 100}
    assert live["members_per_tier"] == {"bronze": 4, "silver": 0, "gold": 0}
    assert (live["upgrades"], live["downgrades"]) == (0, 0)
    assert live["outstanding_points"] == 1070
    assert live["liability"] == "10.70"  # nothing expired: no breakage
    assert live["expected_reward_cost"] == "0.00"  # nothing redeemed
    # The analytics page's figures for the same period, from the same definitions.
    summary = period_summary(Period(datetime.date(2026, 1, 1), datetime.date(2026, 7, 1)))
    assert live["points_issued"] == summary["points_issued"]
    assert live["outstanding_points"] == summary["outstanding_points"]
    assert Decimal(live["liability"]) == summary["liability"]
    assert live["members_per_tier"] == summary["tier_distribution"]
    # The live program as a draft changes nothing.
    assert found["draft"] == live


def test_json_has_exactly_the_keys_of_the_spec(history, draft_file):
    found = figures(draft_file(DOUBLE_BASE))

    assert set(found) == {"live", "draft"}
    for side in found.values():
        assert tuple(side) == FIGURE_KEYS
        assert isinstance(side["points_by_rule"], dict)
        assert isinstance(side["members_per_tier"], dict)


# --- Drafts --------------------------------------------------------------------------------------


def test_doubling_the_base_rate_doubles_the_base_points(history, draft_file):
    draft = figures(draft_file(DOUBLE_BASE))["draft"]

    # Ana 80 + 120 - 40, Bea 160 - 160, Carla 600 + 50 + 80; Dora's welcome as recorded.
    assert draft["points_issued"] == 160 + 0 + 730 + 100
    assert _by_rule(draft) == {"base": 840, "big_basket": 50, "welcome": 100}
    assert draft["outstanding_points"] == 1070 + (990 - 570)
    assert draft["liability"] == "14.90"


def test_a_promotion_rule_shows_what_it_added(history, draft_file):
    found = figures(draft_file(SPRING_PROMO))

    # Ana's March purchase doubled: 60 x 2 = 120, then 40 x 2 = 80 once 20.00 came back.
    assert found["draft"]["points_by_rule"]["spring"] == 40
    assert found["live"]["points_by_rule"]["spring"] == 0
    assert found["draft"]["points_issued"] == 570 + 40
    assert _by_rule(found["draft"]) == {"base": 420, "big_basket": 50, "spring": 40, "welcome": 100}


def test_a_lower_threshold_upgrades_a_member_the_live_program_did_not(history, draft_file):
    found = figures(draft_file(LOWER_SILVER))

    live, draft = found["live"], found["draft"]
    assert (live["upgrades"], draft["upgrades"]) == (0, 1)
    assert draft["downgrades"] == 0
    # Carla: 150 before the window + 300 = 450 >= 400 on 2026-04-01 (the purchase before it
    # counts); her 40.00 of May is then Silver's: 40 x 2.
    assert draft["members_per_tier"] == {"bronze": 3, "silver": 1, "gold": 0}
    assert live["members_per_tier"] == {"bronze": 4, "silver": 0, "gold": 0}
    assert draft["points_issued"] == 570 + 40
    assert draft["points_by_rule"]["tier:silver"] == 40


def test_a_review_under_the_draft_takes_back_a_tier_the_live_program_kept(db, draft_file):
    program_version_create(signup_bonus=False)
    eva = _join("eva", "2025-02-01")
    _buy(eva, "2025-02-15", "600.00")  # Silver from then: reviewed on 2026-02-15

    with time_machine.travel(NOW, tick=False):
        found = figures(draft_file(LIVE_TEXT.replace('threshold: "500"', 'threshold: "700"')))

    # The review of 2026-02-15 finds 600.00 in the 12 months: Silver kept live, not at 700.
    assert found["live"]["members_per_tier"] == {"bronze": 0, "silver": 1, "gold": 0}
    assert found["draft"]["members_per_tier"] == {"bronze": 1, "silver": 0, "gold": 0}
    assert (found["draft"]["upgrades"], found["draft"]["downgrades"]) == (0, 1)
    assert (found["live"]["upgrades"], found["live"]["downgrades"]) == (0, 0)


def test_a_fully_refunded_purchase_earns_nothing_under_the_draft(db, draft_file):
    program_version_create(signup_bonus=False)
    bea = _join("bea", "2025-12-01")
    _return(_buy(bea, "2026-02-01", "120.00"), "2026-02-05", "120.00")

    with time_machine.travel(NOW, tick=False):
        found = figures(draft_file(DOUBLE_BASE))

    # 240 + 50 earned, all of it taken back by the refund rescored under the draft.
    assert found["draft"]["points_issued"] == 0
    assert found["live"]["points_issued"] == 0
    assert found["draft"]["points_by_rule"]["base"] == 0
    assert found["draft"]["outstanding_points"] == 0


def test_the_report_shows_both_sides_and_what_liability_rests_on(history, draft_file):
    out, _ = simulate(draft_file(DOUBLE_BASE))

    lines = out.splitlines()
    assert lines[0] == (
        f"Simulation of {draft_file(DOUBLE_BASE)} from 2026-01-01 to 2026-07-01 (excluded, "
        "Europe/Madrid): 5 purchases and 2 refunds rescored under the draft."
    )
    rows = {line[:32].strip(): line[32:].split() for line in lines[3:18]}
    assert rows["Points issued"] == ["570", "990", "+420"]
    assert rows["base"] == ["420", "840", "+420"]
    assert rows["Liability (EUR)"] == ["10.70", "14.90", "+4.20"]
    assert "breakage is not estimable yet" in out
    assert "the window's redemption rate (0.00%)" in out  # nothing redeemed


# --- Refusals and writing nothing ------------------------------------------------------------


def test_a_bad_draft_lists_its_errors_and_fails(history, draft_file):
    path = draft_file(LIVE_TEXT.replace("currency: EUR", "currency: EURO"))
    stderr = StringIO()

    with pytest.raises(CommandError, match="1 error; nothing was changed"):
        call_command("program", "simulate", path, *WINDOW, stdout=StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        "line 3: program.currency: unknown currency 'EURO' (an ISO 4217 code such as EUR)"
    ]


def test_a_window_that_ends_before_it_starts_is_refused(history, draft_file):
    with pytest.raises(CommandError, match="--to must be after --from"):
        call_command(
            "program", "simulate", draft_file(LIVE_TEXT), "--from", "2026-07-01",
            "--to", "2026-01-01", stdout=StringIO(),
        )  # fmt: skip


def test_the_replay_reads_in_a_transaction_that_cannot_write(db):
    with read_only(), pytest.raises(DatabaseError, match="read-only transaction"):
        ProgramFactory()

    assert not Program.objects.exists()
    ProgramFactory()  # the transaction around it is writable again


def _tables_checksum() -> dict[str, tuple]:
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608
                f' FROM "{table}" t'
            )
            found[table] = cursor.fetchone()
    return found


@pytest.mark.django_db(transaction=True)
def test_two_workers_find_the_same_and_no_row_of_any_table_changes(draft_file):
    history_record()
    path = draft_file(LOWER_SILVER)
    with time_machine.travel(NOW, tick=False):
        before = _tables_checksum()
        alone = figures(path)
        shared = json.loads(simulate(path, "--json", "--workers", "2")[0])
        after = _tables_checksum()

    assert shared == alone
    assert alone["draft"]["upgrades"] == 1
    assert after == before


def test_workers_stay_in_process_inside_another_transaction(history):
    draft = parse_program_text(DOUBLE_BASE)
    window = Period(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 7, 1))

    simulation = simulation_compute(draft=draft, window=window, workers=2)

    assert simulation.figures["draft"]["points_issued"] == 990


# --- Points per rule -------------------------------------------------------------------------


def test_contributions_credit_each_multiplier_with_what_it_added():
    # The PROGRAM.md worked example: floor((54.9 + 25 + 2) x 2 x 1.25) = 204.
    breakdown = [
        {"part": "B", "code": "base", "kind": "per_currency_unit", "value": "54.9"},
        {"part": "C", "code": "wine_double", "kind": "category_multiplier", "value": "25"},
        {"part": "I", "code": "bottle", "kind": "per_item", "value": "2"},
        {"part": "M", "code": "tuesdays", "kind": "promo_multiplier", "value": "2"},
        {"part": "M", "code": "silver", "kind": "tier", "value": "1.25"},
        {"part": "T", "code": "big_basket", "kind": "spend_threshold_bonus", "value": "0"},
        {"part": "total", "code": None, "kind": "total", "value": "204"},
    ]

    shares = contributions(breakdown, 204)

    assert shares == {
        "base": Decimal("54.9"),
        "wine_double": Decimal(25),
        "bottle": Decimal(2),
        "tuesdays": Decimal("81.9"),
        "tier:silver": Decimal("40.95"),
        "big_basket": Decimal(0),
        "rounding": Decimal("-0.75"),
    }
    assert sum(shares.values()) == 204


def test_an_entry_without_a_breakdown_counts_as_other():
    assert contributions([], 35) == {"other": Decimal(35)}
