"""The analytics pages under /analytics/ (ANALYTICS.md): the overview, members and activity,
points and liability, tiers, cohorts, channels, the referral funnel, NPS, campaign results and
the forecast. Staff whose role grants `members.view_analytics` (marketers and managers); anyone
else signed in gets the 403 page, and a visitor the sign-in page.

Every figure comes from analytics.figures, analytics.series and campaigns.selectors.figures;
these views only choose the period, write the figures in the reader's language
(console.analytics_text) and lay them out. A period page reads `?from=YYYY-MM-DD&to=YYYY-MM-DD`,
the dates `[from, to)` in the program's time zone (the last 30 days ending today without them);
a period that does not parse or make sense is told at its field with a 400, never a 500.

`&format=csv` on any page gives its tables as CSV, as the admin's exports do: for programs
(`,`, a decimal point, ISO dates) by default, for Excel in Spain and France with `&layout=excel`
(`;`, decimal commas, day-first dates, a BOM); `&table=NAME` keeps one table of the page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_safe

from analytics.figures import (
    NOT_YET_A_MEMBER,
    Period,
    Sources,
    channel_mix,
    cohort_retention,
    figures_zone,
    member_figures_of,
    points_figures_of,
    points_roll_forward,
    tier_figures,
)
from analytics.forecast.model import BG_NBD, PARETO_NBD
from analytics.models import ChurnRisk, ForecastRun, MemberForecast
from analytics.series import DAY, MONTH, WEEK, purchase_series, step_of
from analytics.services import CHURN_HIGH_BELOW, CHURN_MEDIUM_BELOW
from campaigns.models import Campaign, SkipReason
from campaigns.selectors.deliveries import campaign_delivery_counts_of
from campaigns.selectors.figures import (
    analytics_summary,
    campaign_results,
    nps_between,
    referral_funnel,
)
from console.analytics_forms import PeriodForm, presets
from console.analytics_text import (
    COUNT,
    DASH,
    MINUS,
    MONEY,
    POINTS,
    RATE,
    RATIO,
    SCORE,
    change_text,
    difference,
    figure_text,
    number_text,
    percent_text,
    relative_change,
    signed_percent_text,
)
from console.permissions import VIEW_ANALYTICS, staff_can
from console.views import _language, staff_required
from loyalty.channels import channel_name
from loyalty.exports import LAYOUTS, MACHINE, CsvLayout, csv_lines
from loyalty.selectors.program import program_version_latest

# snake_case name (ANALYTICS.md, API.md) -> (label, kind).
FIGURES: dict[str, tuple[Any, str]] = {
    "members": (gettext_lazy("Members"), COUNT),
    "new_members": (gettext_lazy("New members"), COUNT),
    "active_members": (gettext_lazy("Active members"), COUNT),
    "purchases": (gettext_lazy("Purchases"), COUNT),
    "revenue": (gettext_lazy("Revenue"), MONEY),
    "average_order_value": (gettext_lazy("Average order value"), MONEY),
    "purchase_frequency": (gettext_lazy("Purchases per active member"), RATIO),
    "repeat_rate": (gettext_lazy("Repeat rate"), RATE),
    "retention": (gettext_lazy("Retention"), RATE),
    "historic_value": (gettext_lazy("Historic value per buyer"), MONEY),
    "points_issued": (gettext_lazy("Points issued"), POINTS),
    "points_redeemed": (gettext_lazy("Points redeemed"), POINTS),
    "points_expired": (gettext_lazy("Points expired"), POINTS),
    "redemption_rate": (gettext_lazy("Redemption rate"), RATE),
    "outstanding_points": (gettext_lazy("Outstanding points"), POINTS),
    "breakage": (gettext_lazy("Breakage"), RATE),
    "liability": (gettext_lazy("Liability"), MONEY),
    "liability_without_breakage": (gettext_lazy("Liability without breakage"), MONEY),
    "nps": (gettext_lazy("Net promoter score"), SCORE),
    "answers": (gettext_lazy("Survey answers"), COUNT),
    "promoters": (gettext_lazy("Promoters (9–10)"), COUNT),  # noqa: RUF001
    "passives": (gettext_lazy("Passives (7–8)"), COUNT),  # noqa: RUF001
    "detractors": (gettext_lazy("Detractors (0–6)"), COUNT),  # noqa: RUF001
    "sign_ups": (gettext_lazy("Sign-ups with a code"), COUNT),
    "first_purchases": (gettext_lazy("Friends with a first purchase"), COUNT),
    "rewarded": (pgettext_lazy("referrals", "Rewarded"), COUNT),
    "held": (gettext_lazy("Held for review"), COUNT),
    "rejected": (gettext_lazy("Rejected"), COUNT),
}
# Below it, a campaign's difference from its holdout is read as unlikely to be chance.
SIGNIFICANCE = 0.05

OVERVIEW = [
    "revenue",
    "purchases",
    "active_members",
    "new_members",
    "average_order_value",
    "repeat_rate",
    "retention",
    "points_issued",
    "points_redeemed",
    "outstanding_points",
    "liability",
    # Beside the liability it is counted after: outstanding points may rise while the liability
    # falls, when breakage becomes estimable or grows.
    "breakage",
    "nps",
]
ACTIVITY = [
    "members",
    "new_members",
    "active_members",
    "purchases",
    "revenue",
    "average_order_value",
    "purchase_frequency",
    "repeat_rate",
    "retention",
    "historic_value",
]
POINTS_FIGURES = [
    "points_issued",
    "points_redeemed",
    "points_expired",
    "redemption_rate",
    "outstanding_points",
    "breakage",
    "liability",
    "liability_without_breakage",
]
NPS_FIGURES = ["nps", "answers", "promoters", "passives", "detractors"]
FUNNEL = ["sign_ups", "first_purchases", "rewarded", "held", "rejected"]

# The pages, in the order of their navigation: (URL name, label, reads a period).
PAGES = [
    ("overview", gettext_lazy("Overview"), True),
    ("activity", gettext_lazy("Members and activity"), True),
    ("points", gettext_lazy("Points and liability"), True),
    ("tiers", gettext_lazy("Tiers"), True),
    ("cohorts", gettext_lazy("Cohorts"), True),
    ("channels", gettext_lazy("Channels"), True),
    ("funnel", gettext_lazy("Referrals"), True),
    ("nps", gettext_lazy("NPS"), True),
    ("results", gettext_lazy("Campaign results"), False),
    ("forecast", gettext_lazy("Forecast"), False),
]
MODEL_NAMES = {PARETO_NBD: "Pareto/NBD", BG_NBD: "BG/NBD"}
TOP_MEMBERS = 20
CAMPAIGNS_SHOWN = 100
# Cohort cells are shaded in ten steps of their share (analytics.css: heat-0 ... heat-10).
HEAT_STEPS = 10


# --- What a page holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """What the figures are read in: the latest program's currency, point value and tiers."""

    currency: str
    point_value: Decimal
    tiers: list[tuple[str, str]]  # (code, name in the reader's language)
    zone: datetime.tzinfo

    @classmethod
    def latest(cls, language: str) -> Program:
        version = program_version_latest()
        definition = version.definition if version else None
        if definition is None:
            return cls("", Decimal(0), [], figures_zone())
        tiers = [(tier.code, tier.localized_name(language)) for tier in definition.tiers]
        return cls(definition.currency, definition.point_value, tiers, figures_zone())

    def tier_name(self, code: str) -> str:
        return dict(self.tiers).get(code, code)


@dataclass(frozen=True)
class FigureRow:
    """One figure of a table, this period's value beside the previous period's."""

    key: str
    value: Any
    previous: Any = None
    currency: str = ""
    compared: bool = True
    none_text: str = DASH

    @property
    def label(self) -> str:
        return str(FIGURES[self.key][0])

    @property
    def kind(self) -> str:
        return FIGURES[self.key][1]

    def _text(self, value) -> str:
        return self.none_text if value is None else figure_text(value, self.kind, self.currency)

    @property
    def value_text(self) -> str:
        return self._text(self.value)

    @property
    def previous_text(self) -> str:
        return self._text(self.previous)

    @property
    def change_text(self) -> str:
        return change_text(self.value, self.previous, self.kind)

    def csv_row(self) -> list:
        if not self.compared:
            return [self.key, self.value]
        relative = None if self.kind == RATE else relative_change(self.value, self.previous)
        return [
            self.key,
            self.value,
            self.previous,
            difference(self.value, self.previous),
            relative,
        ]


def figure_rows(
    names: Iterable[str], current: dict, previous: dict | None, currency: str
) -> list[FigureRow]:
    rows = []
    for name in names:
        row = FigureRow(
            name,
            current.get(name),
            previous.get(name) if previous is not None else None,
            currency=currency,
            compared=previous is not None,
            none_text=_("not estimable yet") if name == "breakage" else DASH,
        )
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Table:
    """A table as the CSV writes it: its name (`&table=`), header and rows of raw values."""

    name: str
    header: list[str]
    rows: list[list]


def figures_table(name: str, rows: list[FigureRow]) -> Table:
    compared = bool(rows) and rows[0].compared
    header = ["figure", "value", "previous", "difference", "relative_change"]
    return Table(name, header if compared else header[:2], [row.csv_row() for row in rows])


@dataclass
class Page:
    context: dict = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)


# --- Period pages --------------------------------------------------------------------------------


def _today(zone: datetime.tzinfo) -> datetime.date:
    return timezone.now().astimezone(zone).date()


def _period_text(period: Period) -> str:
    last = period.end - datetime.timedelta(days=1)
    first_text = formats.date_format(period.start, "DATE_FORMAT")
    if last == period.start:
        return first_text
    return _("%(first)s to %(last)s") % {
        "first": first_text,
        "last": formats.date_format(last, "DATE_FORMAT"),
    }


def _query(period: Period, **extra) -> str:
    return urlencode({"from": period.start.isoformat(), "to": period.end.isoformat(), **extra})


def _navigation(request: HttpRequest, current: str) -> list[dict]:
    carried = {name: request.GET[name] for name in ("from", "to") if request.GET.get(name)}
    suffix = f"?{urlencode(carried)}" if carried else ""
    return [
        {
            "url": reverse(f"analytics:{name}") + (suffix if reads_period else ""),
            "label": label,
            "current": name == current,
        }
        for name, label, reads_period in PAGES
    ]


def _base_context(request: HttpRequest, page: str, program: Program) -> dict:
    return {
        "analytics_pages": _navigation(request, page),
        "analytics_page": page,
        "currency": program.currency,
        "time_zone": str(program.zone),
    }


def _csv_links(request: HttpRequest, query: dict) -> dict:
    base = request.path + "?"
    return {
        "csv_url": base + urlencode({**query, "format": "csv"}),
        "excel_url": base + urlencode({**query, "format": "csv", "layout": "excel"}),
    }


def _period_page(
    request: HttpRequest, page: str, build: Callable[[Period, Program], Page]
) -> HttpResponse:
    program = Program.latest(_language(request))
    today = _today(program.zone)
    form = PeriodForm.for_query(request.GET, today=today)
    context = _base_context(request, page, program)
    context["form"] = form
    template = f"console/analytics/{page}.html"
    if not form.is_valid():
        context["presets"] = _presets(today, None)
        return render(request, template, context, status=400)
    period = form.period
    built = build(period, program)
    if request.GET.get("format") == "csv":
        return _csv_response(request, page, built.tables, period)
    previous = period.previous()
    context.update(
        built.context,
        period=period,
        period_text=_period_text(period),
        period_days=period.days,
        previous_first=formats.date_format(previous.start, "DATE_FORMAT"),
        previous_last=formats.date_format(previous.end - datetime.timedelta(days=1), "DATE_FORMAT"),
        presets=_presets(today, period),
        tables=[table.name for table in built.tables],
        **_csv_links(request, {"from": period.start.isoformat(), "to": period.end.isoformat()}),
    )
    return render(request, template, context)


def _presets(today: datetime.date, shown: Period | None) -> list[dict]:
    return [
        {"name": name, "label": label, "query": _query(period), "current": period == shown}
        for name, label, period in presets(today)
    ]


# --- CSV -----------------------------------------------------------------------------------------


def _csv_value(value, layout: CsvLayout):
    if isinstance(value, datetime.datetime):
        return layout.moment(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y") if layout.is_day_first else value.isoformat()
    if isinstance(value, float):
        return Decimal(str(round(value, 6)))
    return "" if value is None else value


def _csv_response(
    request: HttpRequest, page: str, tables: list[Table], period: Period | None = None
) -> HttpResponse:
    layout = LAYOUTS.get(request.GET.get("layout", ""), MACHINE)
    wanted = request.GET.get("table")
    if wanted:
        tables = [table for table in tables if table.name == wanted]
        if not tables:
            raise Http404(_("This page has no such table."))
    lines: list[str] = []
    for index, table in enumerate(tables):
        rows = ([_csv_value(value, layout) for value in row] for row in table.rows)
        written = list(csv_lines(table.header, rows, layout=layout))
        if index:
            # One file: the BOM only at its start, an empty line between two tables.
            written[0] = written[0].removeprefix("\ufeff")
            lines.append("\r\n")
        lines += written
    name = f"analytics-{page}"
    if wanted:
        name += f"-{wanted}"
    if period is not None:
        name += f"-{period.start.isoformat()}-{period.end.isoformat()}"
    if layout is not MACHINE:
        name += f"-{layout.name}"
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# --- Charts --------------------------------------------------------------------------------------


def _month_short() -> str:
    """The date format of a month's short name: capitalised in English ("Nov"), lower case in
    Spanish and French, as they write them mid-text ("7 nov", "7 déc")."""
    return "M" if translation.get_language() in (None, "en") else "b"


def _step_label(day: datetime.date, step: str, *, short: bool = False) -> str:
    """A step as the table writes it, or `short` as the chart's axis does ("7 Nov")."""
    if step == MONTH:
        return formats.date_format(day, f"{_month_short()} Y" if short else "YEAR_MONTH_FORMAT")
    return formats.date_format(day, f"j {_month_short()}" if short else "SHORT_DATE_FORMAT")


def _series(
    period: Period, program: Program, sources: Sources | None = None
) -> tuple[dict, Table, list[dict]]:
    """The purchases and revenue of the period, step by step: the chart's data, the CSV's
    table and the rows of the table beside the chart. `sources`: where the page's figures
    were counted (read once per page)."""
    step = step_of(period)
    steps = purchase_series(period, program.zone, step, sources)
    step_names = {
        DAY: _("Day"),
        WEEK: _("Week starting"),
        MONTH: _("Month"),
    }
    chart = {
        "type": "bar",
        "labels": [_step_label(row.start, step, short=True) for row in steps],
        "currency": program.currency,
        "datasets": [
            {
                "label": _("Revenue"),
                "data": [float(row.revenue) for row in steps],
                "format": "money",
                "axis": "y",
            },
            {
                "label": _("Purchases"),
                "data": [row.purchases for row in steps],
                "format": "count",
                "axis": "y1",
                "type": "line",
            },
        ],
    }
    rows = [
        {
            "label": _step_label(row.start, step),
            "purchases": number_text(row.purchases),
            "revenue": figure_text(row.revenue, MONEY, program.currency),
        }
        for row in steps
    ]
    table = Table(
        f"per_{step}",
        [step, "purchases", "revenue"],
        [[row.start, row.purchases, row.revenue] for row in steps],
    )
    chart_context = {
        "chart": chart,
        "step_name": step_names[step],
        "step_rows": rows,
        "chart_label": {
            DAY: _("Chart of revenue and purchases per day; the table below has its figures."),
            WEEK: _("Chart of revenue and purchases per week; the table below has its figures."),
            MONTH: _("Chart of revenue and purchases per month; the table below has its figures."),
        }[step],
    }
    return chart_context, table, rows


def _bar_chart(labels: list[str], label: str, values: list, *, money: bool, currency: str):
    return {
        "type": "bar",
        "horizontal": True,
        "labels": labels,
        "currency": currency,
        "datasets": [
            {
                "label": label,
                "data": [float(value) for value in values],
                "format": "money" if money else "count",
                "axis": "x",
            }
        ],
    }


# --- The pages -----------------------------------------------------------------------------------


def _overview(period: Period, program: Program) -> Page:
    sources = Sources.now(program.zone)
    summary = analytics_summary(period, sources)
    rows = figure_rows(OVERVIEW, summary, summary["previous"], program.currency)
    chart_context, series_table, _rows = _series(period, program, sources)
    return Page(
        {"rows": rows, **chart_context},
        [figures_table("figures", rows), series_table],
    )


def _activity(period: Period, program: Program) -> Page:
    sources = Sources.now(program.zone)
    current, previous = member_figures_of([period, period.previous()], program.zone, sources)
    rows = figure_rows(ACTIVITY, current, previous, program.currency)
    chart_context, series_table, _rows = _series(period, program, sources)
    return Page({"rows": rows, **chart_context}, [figures_table("figures", rows), series_table])


def _points(period: Period, program: Program) -> Page:
    current, previous = points_figures_of(
        [period, period.previous()], program.zone, program.point_value
    )
    rows = figure_rows(POINTS_FIGURES, current, previous, program.currency)
    moved = points_roll_forward(period, program.zone, current)
    opening, issued, redeemed = moved["opening"], moved["issued"], moved["redeemed"]
    expired, other, closing = moved["expired"], moved["other"], moved["closing"]
    roll = [
        ("opening_outstanding", _("Outstanding at the start"), opening, ""),
        ("issued", _("Issued"), issued, "+"),
        ("redeemed", _("Redeemed"), -redeemed, MINUS),
        ("expired", pgettext("points", "Expired"), -expired, MINUS),
        ("other_movements", _("Other movements (adjustments and debts)"), other, "±"),
        ("closing_outstanding", _("Outstanding at the end"), closing, "="),
    ]
    roll_rows = [
        {"key": key, "label": label, "points": figure_text(points, POINTS), "sign": sign}
        for key, label, points, sign in roll
    ]
    roll_table = Table(
        "roll_forward", ["movement", "points"], [[key, points] for key, _l, points, _s in roll]
    )
    return Page(
        {
            "rows": rows,
            "roll_rows": roll_rows,
            "point_value": figure_text(program.point_value, MONEY, program.currency)
            if program.point_value
            else DASH,
        },
        [figures_table("figures", rows), roll_table],
    )


def _tiers(period: Period, program: Program) -> Page:
    found = tier_figures(period, program.zone, [code for code, _name in program.tiers])
    distribution = found["tier_distribution"]
    movements = found["tier_movements"]
    total = sum(distribution.values())
    codes = list(distribution)
    tier_rows = [
        {
            "name": program.tier_name(code),
            "members": number_text(count),
            "share": percent_text(Decimal(count) / total if total else None),
        }
        for code, count in distribution.items()
    ]
    matrix = [
        {
            "name": _("Joined during the period")
            if start == NOT_YET_A_MEMBER
            else program.tier_name(start),
            "cells": [number_text(cells.get(code, 0)) for code in codes],
            "total": number_text(sum(cells.values())),
        }
        for start, cells in movements.items()
    ]
    names = [program.tier_name(code) for code in codes]
    chart = _bar_chart(names, _("Members"), list(distribution.values()), money=False, currency="")
    return Page(
        {"tier_rows": tier_rows, "matrix": matrix, "tier_names": names, "chart": chart},
        [
            Table("distribution", ["tier", "members"], [[c, n] for c, n in distribution.items()]),
            Table(
                "movements",
                ["tier_at_start", *codes],
                [
                    [start or "joined_in_period", *(cells.get(code, 0) for code in codes)]
                    for start, cells in movements.items()
                ],
            ),
        ],
    )


def _heat(share) -> int:
    return 0 if share is None else min(HEAT_STEPS, int(Decimal(share) * HEAT_STEPS))


def _cohorts(period: Period, program: Program) -> Page:
    cohorts = cohort_retention(period, program.zone)
    width = max((len(row["retention"]) for row in cohorts), default=0)
    # The period's last month is cut short when the period ends before that month does, or
    # the month is not over yet: its shares (each row's last cell) count only some of its days.
    today = timezone.localdate(timezone=program.zone)
    last_day = period.end - datetime.timedelta(days=1)
    partial = period.end.day != 1 or last_day > today
    counted_to = min(last_day, today)
    rows = []
    for row in cohorts:
        first = datetime.date.fromisoformat(row["month"] + "-01")
        last = len(row["retention"]) - 1
        cells = [
            {"text": percent_text(share, 0), "heat": _heat(share), "partial": partial and k == last}
            for k, share in enumerate(row["retention"])
        ]
        rows.append(
            {
                "month": formats.date_format(first, f"{_month_short()} Y"),
                "size": number_text(row["size"]),
                "cells": cells,
                "missing": range(width - len(cells)),
            }
        )
    table = Table(
        "cohorts",
        ["cohort", "size", *(f"month_{k}" for k in range(width))],
        [
            [
                row["month"],
                row["size"],
                *row["retention"],
                *([None] * (width - len(row["retention"]))),
            ]
            for row in cohorts
        ],
    )
    partial_note = ""
    if partial and rows:
        partial_note = _(
            "%(month)s is not over in this period: its shares, in the last cell of each row, "
            "count the purchases up to %(day)s only."
        ) % {
            "month": formats.date_format(last_day, "YEAR_MONTH_FORMAT"),
            "day": formats.date_format(counted_to, "DATE_FORMAT"),
        }
    return Page(
        {"cohort_rows": rows, "months_after": range(width), "partial_note": partial_note},
        [table],
    )


def _channels(period: Period, program: Program) -> Page:
    mix = channel_mix(period, program.zone)
    revenue = sum((row["revenue"] for row in mix), Decimal(0))
    names = [channel_name(row["channel"]) for row in mix]
    rows = [
        {
            "name": name,
            "purchases": number_text(row["purchases"]),
            "revenue": figure_text(row["revenue"], MONEY, program.currency),
            "share": percent_text(row["revenue"] / revenue if revenue else None),
            "active_members": number_text(row["active_members"]),
        }
        for name, row in zip(names, mix, strict=True)
    ]
    chart = _bar_chart(
        names,
        _("Revenue"),
        [row["revenue"] for row in mix],
        money=True,
        currency=program.currency,
    )
    table = Table(
        "channels",
        ["channel", "purchases", "revenue", "active_members"],
        [[row["channel"], row["purchases"], row["revenue"], row["active_members"]] for row in mix],
    )
    return Page({"channel_rows": rows, "chart": chart}, [table])


def _funnel(period: Period, program: Program) -> Page:
    start, end = period.bounds(program.zone)
    previous_start, previous_end = period.previous().bounds(program.zone)
    current = referral_funnel(start, end)
    previous = referral_funnel(previous_start, previous_end)
    rows = figure_rows(FUNNEL, current, previous, program.currency)
    sign_ups = current["sign_ups"]
    shares = [percent_text(Decimal(row.value) / sign_ups if sign_ups else None) for row in rows]
    return Page({"rows": list(zip(rows, shares, strict=True))}, [figures_table("funnel", rows)])


def _nps(period: Period, program: Program) -> Page:
    start, end = period.bounds(program.zone)
    previous_start, previous_end = period.previous().bounds(program.zone)
    current = nps_between(start, end)
    previous = nps_between(previous_start, previous_end)
    rows = figure_rows(NPS_FIGURES, current, previous, program.currency)
    return Page({"rows": rows, "answers": current["answers"]}, [figures_table("nps", rows)])


def _view(page: str, build: Callable[[Period, Program], Page]):
    @staff_required(VIEW_ANALYTICS)
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        return _period_page(request, page, build)

    view.__name__ = page
    view.__doc__ = f"The analytics page `{page}` for the period asked."
    return view


overview = _view("overview", _overview)
activity = _view("activity", _activity)
points = _view("points", _points)
tiers = _view("tiers", _tiers)
cohorts = _view("cohorts", _cohorts)
channels = _view("channels", _channels)
funnel = _view("funnel", _funnel)
nps = _view("nps", _nps)


# --- Campaign results ----------------------------------------------------------------------------


@staff_required(VIEW_ANALYTICS)
@require_safe
def results(request: HttpRequest) -> HttpResponse:
    """The campaigns that have started sending, newest first, with their delivery counts."""
    program = Program.latest(_language(request))
    shown = list(
        Campaign.objects.filter(started_at__isnull=False)
        .select_related("segment")
        .order_by("-started_at", "-pk")[:CAMPAIGNS_SHOWN]
    )
    counts = campaign_delivery_counts_of(campaigns=shown)
    rows = [(campaign, counts[campaign.pk]) for campaign in shown]
    table = Table(
        "campaigns",
        ["campaign", "name", "state", "started_at", "sent", "opened", "clicked", "holdout"],
        [
            [
                campaign.code,
                campaign.name,
                campaign.state,
                timezone.localtime(campaign.started_at, program.zone),
                counts[campaign.pk]["sent"],
                counts[campaign.pk]["opened"],
                counts[campaign.pk]["clicked"],
                counts[campaign.pk]["holdout"],
            ]
            for campaign in shown
        ],
    )
    if request.GET.get("format") == "csv":
        return _csv_response(request, "results", [table])
    context = _base_context(request, "results", program)
    context.update(rows=rows, tables=[table.name], **_csv_links(request, {}))
    return render(request, "console/analytics/results.html", context)


@staff_required(VIEW_ANALYTICS)
@require_safe
def result(request: HttpRequest, code: str) -> HttpResponse:
    """One campaign's results against its holdout (ANALYTICS.md, Campaign results)."""
    program = Program.latest(_language(request))
    campaign = Campaign.objects.select_related("segment").filter(code=code).first()
    if campaign is None:
        raise Http404(_("No campaign has this code."))
    found = campaign_results(campaign=campaign)
    currency = program.currency
    counts = [
        ("segment_size", _("Members in the segment"), found["segment_size"]),
        ("holdout_size", _("Held out"), found["holdout_size"]),
        ("sent", _("Sent"), found["sent"]),
        ("queued", _("Waiting"), found["queued"]),
        ("failed", _("Failed"), found["failed"]),
        ("skipped", _("Skipped"), found["skipped"]),
        ("unknown", _("Unknown"), found["unknown"]),
        ("opened", _("Opened"), found["opened"]),
        ("clicked", _("Clicked"), found["clicked"]),
        ("unsubscribed", _("Unsubscribed"), found["unsubscribed"]),
    ]
    skipped = [
        (reason, _skip_reason(reason), number)
        for reason, number in found["skipped_by_reason"].items()
    ]
    groups = [
        ("recipients", _("Recipients"), found["recipients"]),
        ("holdout", _("Holdout"), found["holdout"]),
    ]
    if not found["has_holdout"]:
        groups = groups[:1]
    group_rows = [
        {
            "name": name,
            "members": number_text(group["members"]),
            "converted": number_text(group["converted"]),
            "conversion": percent_text(group["conversion"]),
            "revenue": figure_text(group["revenue"], MONEY, currency),
            "revenue_per_member": figure_text(group["revenue_per_member"], MONEY, currency),
        }
        for _key, name, group in groups
    ]
    comparison = {
        "uplift": change_text(found["uplift"], Decimal(0), RATE)
        if found["uplift"] is not None
        else DASH,
        "incremental_revenue": figure_text(found["incremental_revenue"], MONEY, currency),
        "p_value": number_text(found["p_value"], 4) if found["p_value"] is not None else DASH,
        # What the p-value says, in words: None when there is none to read.
        "chance": None if found["p_value"] is None else found["p_value"] >= SIGNIFICANCE,
    }
    tables = [
        Table(
            "results",
            ["figure", "value"],
            [
                *([key, value] for key, _label, value in counts),
                *([f"skipped_{reason}", number] for reason, _label, number in skipped),
                ["uplift", found["uplift"]],
                ["incremental_revenue", found["incremental_revenue"]],
                ["p_value", found["p_value"]],
            ],
        ),
        Table(
            "groups",
            ["group", "members", "converted", "conversion", "revenue", "revenue_per_member"],
            [
                [
                    key,
                    group["members"],
                    group["converted"],
                    group["conversion"],
                    group["revenue"],
                    group["revenue_per_member"],
                ]
                for key, _name, group in groups
            ],
        ),
    ]
    if request.GET.get("format") == "csv":
        return _csv_response(request, f"campaign-{campaign.code}", tables)
    context = _base_context(request, "results", program)
    context.update(
        campaign=campaign,
        found=found,
        counts=[(label, number_text(value)) for _key, label, value in counts],
        skipped=[(label, number_text(number)) for _reason, label, number in skipped],
        group_rows=group_rows,
        comparison=comparison,
        tables=[table.name for table in tables],
        may_open_campaign=staff_can(request.user, "members.manage_campaigns"),
        **_csv_links(request, {}),
    )
    return render(request, "console/analytics/result.html", context)


def _skip_reason(reason: str) -> str:
    try:
        return str(SkipReason(reason).label)
    except ValueError:
        return reason


# --- The forecast --------------------------------------------------------------------------------


def _flat(parameters: dict, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found += _flat(value, f"{name}.")
        elif key != "model":
            found.append((name, value))
    return found


@staff_required(VIEW_ANALYTICS)
@require_safe
def forecast(request: HttpRequest) -> HttpResponse:
    """The latest forecast run: when, which model, as of which day, for how long, its holdout
    error, the members per churn risk and the members of highest predicted value."""
    program = Program.latest(_language(request))
    run = ForecastRun.objects.order_by("-fitted_at", "-pk").first()
    context = _base_context(request, "forecast", program)
    tables: list[Table] = []
    if run is not None:
        by_risk = dict(
            MemberForecast.objects.filter(run=run)
            .values_list("churn_risk")
            .annotate(count=Count("pk"))
            .order_by()
        )
        total = sum(by_risk.values())
        risks = [
            {
                "name": risk.label,
                "members": number_text(by_risk.get(risk.value, 0)),
                "share": percent_text(
                    Decimal(by_risk.get(risk.value, 0)) / total if total else None
                ),
            }
            for risk in (ChurnRisk.HIGH, ChurnRisk.MEDIUM, ChurnRisk.LOW)
        ]
        top = list(
            MemberForecast.objects.filter(run=run, predicted_value__isnull=False)
            .select_related("member__user")
            .order_by("-predicted_value", "member_id")[:TOP_MEMBERS]
        )
        parameters = _flat(run.parameters or {})
        horizon_end = run.as_of + datetime.timedelta(days=run.horizon_days)
        context.update(
            run=run,
            model_name=MODEL_NAMES.get(run.model, run.model),
            horizon_text=_period_text(
                Period(
                    run.as_of + datetime.timedelta(days=1), horizon_end + datetime.timedelta(days=1)
                )
            ),
            error_text=signed_percent_text(Decimal(str(run.holdout_error_percent)) / 100)
            if run.holdout_error_percent is not None
            else DASH,
            mae_text=number_text(Decimal(str(round(run.holdout_mae, 3))), 3)
            if run.holdout_mae is not None
            else DASH,
            predicted_text=number_text(round(run.holdout_predicted_purchases))
            if run.holdout_predicted_purchases is not None
            else DASH,
            risks=risks,
            top=[
                {
                    "forecast": row,
                    "name": row.member.user.get_full_name() or row.member.member_number,
                    "expected_purchases": number_text(
                        Decimal(str(round(row.expected_purchases or 0, 2))), 2
                    ),
                    "p_alive": percent_text(row.p_alive, 0) if row.p_alive is not None else DASH,
                    "expected_order_value": figure_text(
                        row.expected_order_value, MONEY, program.currency
                    ),
                    "predicted_value": figure_text(row.predicted_value, MONEY, program.currency),
                    "churn_risk": row.get_churn_risk_display(),
                }
                for row in top
            ],
            parameters=[
                (name, number_text(Decimal(str(round(value, 4))), 4))
                if isinstance(value, int | float)
                else (name, str(value))
                for name, value in parameters
            ],
            high_below=percent_text(CHURN_HIGH_BELOW, 0),
            medium_below=percent_text(CHURN_MEDIUM_BELOW, 0),
        )
        tables = [
            Table(
                "run",
                ["figure", "value"],
                [
                    ["fitted_at", timezone.localtime(run.fitted_at, program.zone)],
                    ["model", run.model],
                    ["as_of", run.as_of],
                    ["horizon_days", run.horizon_days],
                    ["members", run.members],
                    ["holdout_members", run.holdout_members],
                    ["holdout_actual_purchases", run.holdout_actual_purchases],
                    ["holdout_predicted_purchases", run.holdout_predicted_purchases],
                    ["holdout_error_percent", run.holdout_error_percent],
                    ["holdout_mae", run.holdout_mae],
                    *([f"parameter_{name}", value] for name, value in parameters),
                ],
            ),
            Table(
                "churn_risk",
                ["churn_risk", "members"],
                [[risk, by_risk.get(risk, 0)] for risk in ChurnRisk.values],
            ),
            Table(
                "top_members",
                [
                    "member_number",
                    "expected_purchases",
                    "p_alive",
                    "expected_order_value",
                    "predicted_value",
                    "churn_risk",
                ],
                [
                    [
                        row.member.member_number,
                        row.expected_purchases,
                        row.p_alive,
                        row.expected_order_value,
                        row.predicted_value,
                        row.churn_risk,
                    ]
                    for row in top
                ],
            ),
        ]
    if request.GET.get("format") == "csv":
        return _csv_response(request, "forecast", tables)
    context.update(tables=[table.name for table in tables], **_csv_links(request, {}))
    return render(request, "console/analytics/forecast.html", context)
