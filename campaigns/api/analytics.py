"""The analytics endpoints of API.md (scope `analytics:read`): every figure of ANALYTICS.md's
table for a period, the cohort retention, and one campaign's results.

They live with the campaigns because the summary holds figures the campaigns keep (NPS, the
referral funnel) beside analytics' own, and the layers let only this one see both. Money and
rates are decimal strings (rates from 0 to 1), counts integers, and a figure that cannot be
computed yet (a rate over nothing, breakage before anything expired) is null.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics.figures import Period, cohort_retention, figures_zone
from campaigns.api.campaigns import campaign_or_404
from campaigns.selectors.figures import analytics_summary, campaign_results
from config.api.exceptions import ApiError
from config.api.schema import rule_refusals
from config.api.views import ApiView

# A period longer than this is refused: ten years of figures is already a long read.
MAX_PERIOD_DAYS = 3700

PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day."),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, required=True, description="The day after the last one."
    ),
]


class InvalidPeriod(ApiError):
    """Two well-formed dates that make no period: `to` not after `from`, or too far apart."""

    code = "invalid_period"
    field = "to"


class PeriodQuery(serializers.Serializer):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD`: the dates `[from, to)` in the program's time zone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword: the fields are named here.
        self.fields["from"] = serializers.DateField()
        self.fields["to"] = serializers.DateField()


def period_from(query) -> Period:
    checked = PeriodQuery(data=query)
    checked.is_valid(raise_exception=True)
    start, end = checked.validated_data["from"], checked.validated_data["to"]
    if end <= start:
        raise InvalidPeriod(_("`to` must be after `from`."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidPeriod(_("A period is at most %(days)s days.") % {"days": MAX_PERIOD_DAYS})
    return Period(start, end)


def as_json(value: Any) -> Any:
    """Decimals as strings, dates as ISO dates, everything else as it is, all the way down."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


class AnalyticsSummaryView(ApiView):
    required_scopes = ["analytics:read"]

    @extend_schema(
        operation_id="analytics_summary",
        parameters=PERIOD_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, 400: rule_refusals(InvalidPeriod.code)},
        description="Every figure of ANALYTICS.md's table for the period, keyed by its "
        "snake_case name, and the same for the previous period of equal length under "
        "`previous`.",
    )
    def get(self, request):
        return Response(as_json(analytics_summary(period_from(request.query_params))))


class AnalyticsCohortsView(ApiView):
    required_scopes = ["analytics:read"]

    @extend_schema(
        operation_id="analytics_cohorts",
        parameters=PERIOD_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, 400: rule_refusals(InvalidPeriod.code)},
        description="Members grouped by the month of their first purchase (months in the "
        "period); `retention[k]` is the share with a purchase k months after it.",
    )
    def get(self, request):
        period = period_from(request.query_params)
        return Response({"cohorts": as_json(cohort_retention(period, figures_zone()))})


class AnalyticsCampaignView(ApiView):
    required_scopes = ["analytics:read"]

    @extend_schema(
        operation_id="analytics_campaign",
        responses={200: OpenApiTypes.OBJECT},
        description="The campaign results of ANALYTICS.md: the delivery log's counts, "
        "conversion and revenue per member for recipients and holdout within 14 days of the "
        "send, uplift, incremental revenue and the two-proportion z-test's p-value (null "
        "without a holdout).",
    )
    def get(self, request, code: str):
        return Response(as_json(campaign_results(campaign=campaign_or_404(code))))
