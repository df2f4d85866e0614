"""The analytics pages (ANALYTICS.md; console/analytics_views.py): who may open them, the figures
each shows for a small history written directly (the figures themselves are checked in
tests/analytics/test_figures.py and tests/campaigns/test_figures.py), Spanish and French with no
English left, the CSV in both layouts, the period picker's errors at its fields, and the
campaign page's note when there was no holdout.

The shop is in Madrid; the period is November 2026, the previous one 2 October to 1 November:

    member  joined  counted purchases (net)                  ledger
    ana     1 Sep   10 Oct 50 · 5 Nov 100 · 20 Nov 30-10      earn 100 + bonus 50 (5 Nov),
                                                              redeem 120 (22 Nov)
    bruno   3 Nov   4 Nov 40 refunded whole · 25 Nov 60 online adjust +25 (4 Nov)
    carla   5 Oct   15 Oct 80; silver on 10 Nov               earn 80 (15 Oct), expire 30 (15 Nov)

November: 3 purchases, 180.00 (previous 130.00: +38.5 %), 2 active members, repeat rate 50 %.
Points: 150 issued, 120 redeemed, 30 expired; outstanding 80 at the start, 105 at the end (the
25 of bruno's adjustment are the other movements); breakage 30 / 150 = 20 %.
"""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from analytics.figures import Period
from analytics.models import ForecastRun, MemberForecast
from campaigns.models import Campaign, Delivery, Referral, Survey
from campaigns.selectors.figures import analytics_summary
from console.analytics_forms import (
    LAST_12_MONTHS,
    LAST_30_DAYS,
    LAST_MONTH,
    THIS_MONTH,
    THIS_YEAR,
    preset_period,
)
from console.analytics_views import _step_label
from loyalty.models import TierChange
from loyalty.models.ledger import EntryKind
from loyalty.services.program import program_import
from members.roles import CASHIER, MANAGER, MARKETER
from tests.console.conftest import staff_user_create
from tests.factories.analytics import at, buy, entry
from tests.factories.ledger import MemberFactory, ledger_program_text
from tests.portal.test_translations import SAME_IN_EVERY_LANGUAGE, SAME_IN_FRENCH, Text, _words

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
NOVEMBER = {"from": "2026-11-01", "to": "2026-12-01"}
PERIOD_PAGES = [
    "overview",
    "activity",
    "points",
    "tiers",
    "cohorts",
    "channels",
    "funnel",
    "nps",
]


@pytest.fixture
def shop(db):
    program_import(text=ledger_program_text(signup_bonus=False), note="analytics pages")
    ana = MemberFactory(first_name="Ana", joined_at=at("2026-09-01T10:00"))
    bruno = MemberFactory(first_name="Bruno", joined_at=at("2026-11-03T10:00"))
    carla = MemberFactory(first_name="Carla", joined_at=at("2026-10-05T10:00"))

    buy(ana, at("2026-10-10T12:00"), "50")
    nov5 = buy(ana, at("2026-11-05T12:00"), "100")
    buy(ana, at("2026-11-20T12:00"), "30", refunded="10")
    buy(bruno, at("2026-11-04T12:00"), "40", refunded="40")
    buy(bruno, at("2026-11-25T12:00"), "60", channel="online")
    buy(carla, at("2026-10-15T12:00"), "80")

    entry(ana, EntryKind.EARN, 100, at("2026-11-05T12:00"))
    entry(ana, EntryKind.BONUS, 50, at("2026-11-05T12:00"))
    entry(ana, EntryKind.REDEEM, -120, at("2026-11-22T12:00"))
    entry(bruno, EntryKind.ADJUST, 25, at("2026-11-04T12:00"))
    entry(carla, EntryKind.EARN, 80, at("2026-10-15T12:00"))
    entry(carla, EntryKind.EXPIRE, -30, at("2026-11-15T12:00"))
    TierChange.objects.create(
        member=carla,
        from_code="bronze",
        to_code="silver",
        reason="upgrade",
        at=at("2026-11-10T12:00"),
    )
    Survey.objects.create(
        member=ana, purchase=nov5, answered_at=at("2026-11-08T12:00"), score=10, comment="Bien"
    )
    Referral.objects.create(referrer=ana, referee=bruno, created_at=at("2026-11-03T10:00"))
    return {"ana": ana, "bruno": bruno, "carla": carla}


@pytest.fixture
def campaign(shop):
    """The campaign "Invierno" went to ana and bruno on 12 November, without a holdout."""
    invierno = Campaign.objects.create(
        code="invierno", name="Invierno", state="sent", started_at=at("2026-11-12T10:00")
    )
    for member in (shop["ana"], shop["bruno"]):
        Delivery.objects.create(
            campaign=invierno,
            member=member,
            purpose="marketing",
            channel="email",
            status="sent",
            sent_at=at("2026-11-12T10:00"),
        )
    return invierno


@pytest.fixture
def forecast_run(shop):
    run = ForecastRun.objects.create(
        model="pareto_nbd",
        as_of=datetime.date(2026, 11, 30),
        horizon_days=182,
        parameters={"model": "pareto_nbd", "purchases": {"r": 0.55, "alpha": 10.6}},
        members=2,
        holdout_members=2,
        holdout_actual_purchases=4,
        holdout_predicted_purchases=3.5,
        holdout_error_percent=-12.5,
        holdout_mae=0.75,
    )
    for member, risk, p_alive, value in (
        (shop["ana"], "low", 0.9, "240.00"),
        (shop["carla"], "high", 0.2, "12.00"),
    ):
        MemberForecast.objects.create(
            member=member,
            run=run,
            churn_risk=risk,
            as_of=run.as_of,
            horizon_days=182,
            expected_purchases=3.2,
            p_alive=p_alive,
            expected_order_value=Decimal("75.00"),
            predicted_value=Decimal(value),
        )
    return run


def signed_in(client, role: str, language: str = "en"):
    client.force_login(staff_user_create(role, email=f"{role}@example.com"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def url(name: str, *args, **query) -> str:
    found = reverse(f"analytics:{name}", args=args)
    if query:
        found += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return found


def page(client, name: str, *args, **query) -> str:
    response = client.get(url(name, *args, **query))
    assert response.status_code == 200, (name, response.status_code)
    return response.content.decode()


def cell(html: str, figure: str) -> list[str]:
    """The texts of a figure's row: this period, previous period, change."""
    row = re.search(rf'<tr data-figure="{figure}">(.*?)</tr>', html, re.S)
    assert row, figure
    return [re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


# --- Who may open them -----------------------------------------------------------------------


ALL_PAGES = [*PERIOD_PAGES, "results", "forecast"]


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("role", [MARKETER, MANAGER])
def test_marketers_and_managers_open_every_page(client, shop, role, name):
    signed_in(client, role)

    assert client.get(url(name)).status_code == 200


@pytest.mark.parametrize("name", ALL_PAGES)
def test_a_cashier_gets_the_branded_403(client, shop, name):
    signed_in(client, CASHIER)

    response = client.get(url(name))

    assert response.status_code == 403
    assert "Your role does not allow this page." in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


@pytest.mark.parametrize("name", ALL_PAGES)
def test_a_visitor_is_sent_to_sign_in(client, shop, name):
    response = client.get(url(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_campaign_page_is_as_guarded(client, campaign):
    assert client.get(url("result", "invierno")).status_code == 302
    signed_in(client, CASHIER)
    assert client.get(url("result", "invierno")).status_code == 403


def test_the_staff_navigation_links_analytics_for_those_who_may_see_it(client, shop):
    signed_in(client, MARKETER)
    assert f'href="{reverse("analytics:overview")}"' in page(client, "overview")
    assert 'aria-current="page">Analytics</a>' in page(client, "overview")

    client.logout()
    signed_in(client, CASHIER)
    console = client.get(reverse("staff:search")).content.decode()
    assert reverse("analytics:overview") not in console


def test_the_manager_role_grants_the_analytics():
    group = Group.objects.get(name=MANAGER)

    assert group.permissions.filter(codename="view_analytics").exists()


# --- What each page shows --------------------------------------------------------------------


def test_the_overview_shows_each_headline_figure_beside_the_previous_period(client, shop):
    signed_in(client, MARKETER)

    html = page(client, "overview", **NOVEMBER)

    assert cell(html, "revenue") == ["€180.00", "€130.00", "+38.5%"]
    assert cell(html, "purchases") == ["3", "2", "+50.0%"]
    assert cell(html, "active_members") == ["2", "2", "0.0%"]
    assert cell(html, "average_order_value") == ["€60.00", "€65.00", "\N{MINUS SIGN}7.7%"]
    assert cell(html, "repeat_rate") == ["50.0%", "0.0%", "+50.0 pp"]
    assert cell(html, "retention") == ["50.0%", "—", "—"]
    assert cell(html, "points_issued") == ["150", "80", "+87.5%"]
    assert cell(html, "nps") == ["100", "—", "—"]
    # The liability is after breakage: the overview shows the breakage it was counted with.
    assert cell(html, "breakage") == ["20.0%", "not estimable yet", "—"]
    assert "1 November 2026 to 30 November 2026 (30 days)" in html
    assert "Compared with the previous period, from 2 October 2026 to 31 October 2026." in html
    # The chart's data and its table.
    assert 'data-chart="chart-series"' in html
    assert '<script id="chart-series" type="application/json">' in html
    assert 'data-testid="series"' in html


def test_the_overview_in_spanish_writes_money_and_rates_as_spanish_does(client, shop):
    signed_in(client, MARKETER, "es")

    html = page(client, "overview", **NOVEMBER)

    assert cell(html, "revenue") == ["180,00\xa0€", "130,00\xa0€", "+38,5\xa0%"]
    assert cell(html, "repeat_rate") == ["50,0\xa0%", "0,0\xa0%", "+50,0\xa0p.\xa0p."]


def test_the_overview_makes_few_queries(client, shop, django_assert_max_num_queries):
    """The figures' own queries (analytics_summary, for the period and the previous one) and a
    few of the page's: the session and the user's permissions, the program, the chart's one
    grouped query. However many members, days or purchases."""
    signed_in(client, MARKETER)
    client.get(url("overview", **NOVEMBER))  # sessions and the program's caches warmed
    with CaptureQueriesContext(connection) as summary:
        analytics_summary(Period(datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)))

    with django_assert_max_num_queries(len(summary.captured_queries) + 10):
        page(client, "overview", **NOVEMBER)
    with django_assert_max_num_queries(60):
        page(client, "overview", **NOVEMBER)


def test_members_and_activity(client, shop):
    signed_in(client, MANAGER)

    html = page(client, "activity", **NOVEMBER)

    assert cell(html, "members") == ["3", "2", "+50.0%"]
    assert cell(html, "new_members")[0] == "1"
    assert cell(html, "purchase_frequency")[0] == "1.50"
    assert cell(html, "historic_value")[0] == "€103.33"  # 310 over 3 buyers
    # One row per day of November in the chart's table.
    assert html.count('<tr><th scope="row">') >= 30


def test_points_and_liability_with_the_roll_forward(client, shop):
    signed_in(client, MARKETER)

    html = page(client, "points", **NOVEMBER)

    assert cell(html, "points_issued")[0] == "150"
    assert cell(html, "points_redeemed")[0] == "120"
    assert cell(html, "points_expired")[0] == "30"
    assert cell(html, "outstanding_points")[0] == "105"
    assert cell(html, "breakage")[0] == "20.0%"
    assert cell(html, "liability_without_breakage")[0] == "€1.05"
    assert cell(html, "liability")[0] == "€0.84"
    roll = dict(
        re.findall(
            r'<tr data-movement="(\w+)"[^>]*>.*?<td class="staff-table__number">([^<]*)</td>',
            html,
            re.S,
        )
    )
    assert roll == {
        "opening_outstanding": "80",
        "issued": "150",
        "redeemed": "\N{MINUS SIGN}120",
        "expired": "\N{MINUS SIGN}30",
        "other_movements": "25",
        "closing_outstanding": "105",
    }


def test_breakage_before_anything_expired_is_not_estimable_yet(client, shop):
    signed_in(client, MARKETER)

    html = page(client, "points", **{"from": "2026-10-01", "to": "2026-11-01"})

    assert cell(html, "breakage")[0] == "not estimable yet"


def test_tiers_distribution_and_movements(client, shop):
    signed_in(client, MARKETER, "es")

    html = page(client, "tiers", **NOVEMBER)

    distribution = re.search(r'data-testid="tier-distribution">(.*?)</table>', html, re.S)[1]
    assert re.findall(r'<th scope="row">(\w+)</th><td[^>]*>(\d+)</td>', distribution) == [
        ("Bronce", "2"),
        ("Plata", "1"),
        ("Oro", "0"),
    ]
    matrix = re.search(r'data-testid="tier-movements">(.*?)</table>', html, re.S)[1]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', matrix)
    cells = {name: re.findall(r">(\d+)<", row) for name, row in rows}
    assert cells["Bronce"] == ["1", "1", "0", "2"]  # ana stayed, carla rose
    assert cells["Plata"] == ["0", "0", "0", "0"]
    assert [cells[name] for name in cells if name not in ("Bronce", "Plata", "Oro")] == [
        ["1", "0", "0", "1"]  # bruno joined
    ]
    assert 'data-chart="chart-tiers"' in html


def test_cohorts_are_a_heatmap_shaded_by_class(client, shop):
    signed_in(client, MARKETER)

    html = page(client, "cohorts", **{"from": "2026-10-01", "to": "2026-12-01"})

    table = re.search(r'data-testid="cohorts">(.*?)</table>', html, re.S)[1]
    # October: ana and carla, ana again in November; November: bruno.
    assert "Oct 2026" in table
    assert '<td class="staff-table__number heat heat-10">100%</td>' in table
    assert '<td class="staff-table__number heat heat-5">50%</td>' in table
    assert "style=" not in html


def test_a_month_the_period_cuts_short_is_marked_in_each_cohort(client, shop):
    signed_in(client, MARKETER)

    whole = page(client, "cohorts", **{"from": "2026-10-01", "to": "2026-12-01"})
    cut = page(client, "cohorts", **{"from": "2026-10-01", "to": "2026-11-16"})

    assert "heat--partial" not in whole
    assert 'data-testid="cohorts-partial"' not in whole
    table = re.search(r'data-testid="cohorts">(.*?)</table>', cut, re.S)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[2:]  # after the two header rows
    for row in rows:  # October's row and November's: only the last cell of each, November's
        cells = re.findall(r'<td class="([^"]*heat[^"]*)"', row)
        assert ["heat--partial" in cell for cell in cells] == [False] * (len(cells) - 1) + [True]
    assert "(month not over)" in table  # read out by screen readers
    note = re.search(r'data-testid="cohorts-partial">(.*?)</p>', cut, re.S)[1]
    assert "November 2026 is not over in this period" in note
    assert "up to 15 November 2026 only" in note


def test_channels(client, shop):
    signed_in(client, MARKETER)

    html = page(client, "channels", **NOVEMBER)

    table = re.search(r'data-testid="channels">(.*?)</table>', html, re.S)[1]
    assert [name for name in re.findall(r'staff-table__title">([^<]+)<', table)] == [
        "In store",
        "Online",
    ]
    assert "€120.00" in table
    assert "66.7%" in table
    assert 'data-chart="chart-channels"' in html


def test_the_referral_funnel_and_nps(client, shop):
    signed_in(client, MARKETER)

    funnel = page(client, "funnel", **NOVEMBER)
    nps = page(client, "nps", **NOVEMBER)

    assert cell(funnel, "sign_ups")[0] == "1"
    assert cell(funnel, "first_purchases")[0] == "0"
    assert cell(nps, "nps")[0] == "100"
    assert cell(nps, "promoters")[0] == "1"
    assert cell(nps, "detractors")[0] == "0"


def test_the_campaigns_with_results_and_one_without_a_holdout(client, campaign):
    signed_in(client, MARKETER)

    listed = page(client, "results")
    html = page(client, "result", "invierno")

    assert f'href="{url("result", "invierno")}">Invierno</a>' in listed
    assert 'data-testid="no-holdout"' in html
    assert "results show what followed the message, not what the message caused" in html
    assert 'data-testid="comparison"' not in html
    assert 'data-testid="chance"' not in html  # no p-value to read
    # ana bought 20.00 on 20 November, within 14 days of the send; bruno 60.00 on the 25th.
    groups = re.search(r'data-testid="groups">(.*?)</table>', html, re.S)[1]
    assert "Recipients" in groups
    assert "100.0%" in groups
    assert "€80.00" in groups


def test_a_campaign_with_a_holdout_shows_the_uplift(client, campaign, shop):
    Delivery.objects.create(
        campaign=campaign,
        member=shop["carla"],
        purpose="marketing",
        channel="email",
        status="holdout",
        due_at=at("2026-11-12T10:00"),
    )
    signed_in(client, MARKETER)

    html = page(client, "result", "invierno")

    assert 'data-testid="no-holdout"' not in html
    comparison = re.search(r'data-testid="comparison">(.*?)</dl>', html, re.S)[1]
    assert "+100.0 pp" in comparison  # 2 of 2 recipients bought, 0 of 1 held out
    assert "€80.00" in comparison
    # Three members: p = 0.0833, which the page says could well be chance.
    assert "0.0833" in comparison
    chance = re.search(r'data-testid="chance">(.*?)</p>', html, re.S)[1]
    assert chance.startswith("This difference could well be chance")


def test_an_unknown_campaign_is_a_404(client, shop):
    signed_in(client, MARKETER)

    assert client.get(url("result", "nope")).status_code == 404


def test_the_forecast_page_shows_the_latest_run(client, forecast_run, shop):
    signed_in(client, MARKETER)

    html = page(client, "forecast")

    run = re.search(r'data-testid="run">(.*?)</dl>', html, re.S)[1]
    assert "Pareto/NBD" in run
    assert "30 November 2026" in run
    assert "182 days: 1 December 2026 to 31 May 2027" in run
    holdout = re.search(r'data-testid="holdout">(.*?)</dl>', html, re.S)[1]
    assert "\N{MINUS SIGN}12.5%" in holdout
    assert "0.750" in holdout
    risks = re.search(r'data-testid="churn-risk">(.*?)</table>', html, re.S)[1]
    assert re.findall(r'<th scope="row">(\w+)</th><td[^>]*>(\d+)</td>', risks) == [
        ("High", "1"),
        ("Medium", "0"),
        ("Low", "1"),
    ]
    top = re.search(r'data-testid="top-members">(.*?)</table>', html, re.S)[1]
    member_url = reverse("staff:member", args=[shop["ana"].member_number])
    assert top.index(member_url) < top.index(
        reverse("staff:member", args=[shop["carla"].member_number])
    )
    assert "€240.00" in top
    assert "below 30%; medium: below 70%" in html


def test_the_forecast_page_before_any_run(client, shop):
    signed_in(client, MARKETER)

    assert 'data-testid="no-forecast"' in page(client, "forecast")


# --- The period picker -------------------------------------------------------------------------


def test_the_default_period_is_the_last_30_days_ending_today_in_the_programs_zone(
    client, shop, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC), tick=False)
    signed_in(client, MARKETER)

    html = page(client, "overview")

    # 00:30 on 1 January in Madrid: today is 1 January 2027.
    assert 'name="from" value="2026-12-03"' in html
    assert 'name="to" value="2027-01-02"' in html
    assert 'aria-current="page">Last 30 days</a>' in html


def test_the_presets():
    today = datetime.date(2026, 3, 15)

    assert preset_period(LAST_30_DAYS, today).start == datetime.date(2026, 2, 14)
    assert (preset_period(THIS_MONTH, today).start, preset_period(THIS_MONTH, today).end) == (
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 16),
    )
    last = preset_period(LAST_MONTH, today)
    assert (last.start, last.end) == (datetime.date(2026, 2, 1), datetime.date(2026, 3, 1))
    year = preset_period(THIS_YEAR, today)
    assert (year.start, year.end) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 16))
    twelve = preset_period(LAST_12_MONTHS, today)
    assert (twelve.start, twelve.end) == (datetime.date(2025, 3, 16), datetime.date(2026, 3, 16))
    leap = preset_period(LAST_12_MONTHS, datetime.date(2028, 2, 28))
    assert leap.start == datetime.date(2027, 2, 28)
    january = preset_period(LAST_MONTH, datetime.date(2026, 1, 10))
    assert january.start == datetime.date(2025, 12, 1)


def _field_errors(html: str, name: str) -> str:
    field = re.search(
        rf'<div class="field field--invalid">\s*<label for="id_{name}">.*?</div>', html, re.S
    )
    assert field, f"no error at {name}"
    return field[0]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, "to", "The period must end after it starts."),
        ({"from": "2026-11-01", "to": "2026-11-01"}, "to", "The period must end after it starts."),
        ({"from": "yesterday", "to": "2026-11-01"}, "from", "Enter a valid date."),
        ({"from": "2026-11-01"}, "to", "This field is required."),
        ({"from": "2000-01-01", "to": "2026-11-01"}, "to", "A period is at most 3700 days."),
        ({"from": "0001-01-01", "to": "2026-11-01"}, "from", "Choose a date between 1900"),
    ],
)
def test_a_bad_period_is_told_at_its_field(client, shop, query, field, message):
    signed_in(client, MARKETER)

    response = client.get(url("overview", **query))

    assert response.status_code == 400
    html = response.content.decode()
    assert message in _field_errors(html, field)
    assert 'aria-invalid="true"' in html
    assert 'data-testid="period-invalid"' in html


def test_a_bad_period_with_csv_asked_is_the_page_with_its_error(client, shop):
    signed_in(client, MARKETER)

    response = client.get(url("points", **{"from": "2026-12-01", "to": "2026-11-01"}, format="csv"))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- CSV ---------------------------------------------------------------------------------------


def test_the_overview_as_csv_for_programs(client, shop):
    signed_in(client, MARKETER)

    response = client.get(url("overview", **NOVEMBER, format="csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="analytics-overview-2026-11-01-2026-12-01.csv"'
    )
    text = response.content.decode()
    lines = text.split("\r\n")
    assert lines[0] == "figure,value,previous,difference,relative_change"
    assert "revenue,180.00,130.00,50.00,0.3846" in lines
    assert "repeat_rate,0.5000,0.0000,0.5000," in lines
    assert "retention,0.5000,,," in lines
    # The chart's table after an empty line.
    assert "day,purchases,revenue" in lines
    assert lines[lines.index("day,purchases,revenue") - 1] == ""
    assert "2026-11-05,1,100.00" in lines


def test_the_csv_for_excel(client, shop):
    signed_in(client, MARKETER)

    response = client.get(url("overview", **NOVEMBER, format="csv", layout="excel"))

    body = response.content.decode("utf-8")
    assert body.startswith("\ufefffigure;value;previous;difference;relative_change\r\n")
    assert body.count("\ufeff") == 1
    assert "revenue;180,00;130,00;50,00;0,3846\r\n" in body
    assert "05/11/2026;1;100,00\r\n" in body
    assert response["Content-Disposition"].endswith('-2026-12-01-excel.csv"')


def test_one_table_of_a_page(client, shop):
    signed_in(client, MARKETER)

    response = client.get(url("points", **NOVEMBER, format="csv", table="roll_forward"))

    assert response.content.decode().split("\r\n") == [
        "movement,points",
        "opening_outstanding,80",
        "issued,150",
        "redeemed,-120",
        "expired,-30",
        "other_movements,25",
        "closing_outstanding,105",
        "",
    ]
    assert client.get(url("points", **NOVEMBER, format="csv", table="nope")).status_code == 404


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("activity", "figure,value,previous,difference,relative_change"),
        ("tiers", "tier,members"),
        ("cohorts", "cohort,size,month_0"),
        ("channels", "channel,purchases,revenue,active_members"),
        ("funnel", "figure,value,previous,difference,relative_change"),
        ("nps", "figure,value,previous,difference,relative_change"),
    ],
)
def test_every_period_page_has_its_csv(client, shop, name, header):
    signed_in(client, MARKETER)

    response = client.get(url(name, **NOVEMBER, format="csv"))

    assert response.status_code == 200
    assert response.content.decode().startswith(header)


def test_the_tier_movements_and_campaign_and_forecast_csv(client, campaign, forecast_run):
    signed_in(client, MARKETER)

    movements = client.get(url("tiers", **NOVEMBER, format="csv", table="movements"))
    result = client.get(url("result", "invierno", format="csv"))
    listed = client.get(url("results", format="csv"))
    forecast = client.get(url("forecast", format="csv", table="churn_risk", layout="excel"))

    assert movements.content.decode().split("\r\n")[:3] == [
        "tier_at_start,bronze,silver,gold",
        "joined_in_period,1,0,0",
        "bronze,1,1,0",
    ]
    assert "sent,2" in result.content.decode().split("\r\n")
    assert "recipients,2,2,1.0000,80.00,40.00" in result.content.decode().split("\r\n")
    assert listed.content.decode().split("\r\n")[1].startswith("invierno,Invierno,sent,")
    assert (
        forecast.content.decode() == "\ufeffchurn_risk;members\r\nlow;1\r\nmedium;0\r\nhigh;1\r\n"
    )


# --- Languages ---------------------------------------------------------------------------------

# Data, the same in every language: people's and campaigns' names, model names.
SAME_ON_THESE_PAGES = {"Ana", "Bruno", "Carla", "Invierno", "Pareto/NBD", "marketer@example.com"}
# The model's parameters, by their names in the model ("purchases.r"); "Total".
SAME_ON_THESE_PAGES |= {"purchases.r", "purchases.alpha", "Total"}
# Months Spanish abbreviates as English does; the channel Spanish calls "Online" too.
SAME_ON_THESE_PAGES |= {"Oct 2026", "Nov 2026", "Online", "Invierno · Test club"}
# French words of the pages that English writes the same, and the test program's tiers, which it
# names in English and Spanish only.
SAME_ON_THESE_PAGES_IN_FRENCH = {"Segments", "Bronze", "Silver", "Gold", "Conversion", "Horizon"}
SAME_ON_THESE_PAGES_IN_FRENCH |= {"Messages", "Points", "Segment"}


def _text(client, path: str, language: str) -> set[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return Text(response.content.decode()).pieces


@pytest.mark.parametrize("language", ["es", "fr"])
def test_the_pages_leave_no_english_behind(client, campaign, forecast_run, language):
    signed_in(client, MARKETER)
    paths = [url(name, **NOVEMBER) for name in PERIOD_PAGES]
    paths += [url("results"), url("result", "invierno"), url("forecast")]
    paths += [url("overview", **{"from": "2026-12-01", "to": "2026-11-01"})]
    for path in paths:
        if "2026-12-01&to=2026-11-01" in path:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
            english = Text(client.get(path).content.decode()).pieces
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            translated = Text(client.get(path).content.decode()).pieces
        else:
            english = _text(client, path, "en")
            translated = _text(client, path, language)
        english -= SAME_IN_EVERY_LANGUAGE | SAME_ON_THESE_PAGES
        if language == "fr":
            english = {piece for piece in english if _words(piece) not in SAME_IN_FRENCH}
            english -= SAME_ON_THESE_PAGES_IN_FRENCH
        left = sorted(piece for piece in english & translated if not piece.isupper())
        assert not left, f"{path} in {language} still says {left}"


def test_the_chart_names_its_datasets_in_the_readers_language(client, shop):
    signed_in(client, MARKETER, "fr")

    html = page(client, "overview", **NOVEMBER)

    data = re.search(r'<script id="chart-series" type="application/json">(.*?)</script>', html)[1]
    assert '"label": "Chiffre d' in data or '"label": "Chiffre' in data
    assert '"currency": "EUR"' in data


def test_now_is_after_the_period(shop):
    # The history above is read as the past: the ledger's positions at 1 December, not the
    # accounts' balances of today.
    assert timezone.now() > at("2026-12-01T00:00")


@pytest.mark.parametrize("name", ALL_PAGES)
def test_the_pages_open_before_any_program_or_purchase(client, db, name):
    signed_in(client, MARKETER)

    response = client.get(url(name))

    assert response.status_code == 200
    assert client.get(url(name, format="csv")).status_code == 200


@pytest.mark.parametrize(
    ("language", "day", "month"),
    [("en", "1 Dec", "Dec 2026"), ("es", "1 dic", "dic 2026"), ("fr", "1 déc", "déc 2026")],
)
def test_the_charts_name_months_as_each_language_writes_them(language, day, month):
    with translation.override(language):
        assert _step_label(datetime.date(2026, 12, 1), "day", short=True) == day
        assert _step_label(datetime.date(2026, 12, 1), "month", short=True) == month
