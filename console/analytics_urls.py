"""The analytics pages, mounted at /analytics/ by the root URLconf (ANALYTICS.md: the overview at
`/analytics/?from=&to=`). The URL names stay clear of the console's tab prefixes (campaign,
referral, segment, automation), which base_staff.html marks as current by prefix."""

from django.urls import path

from console import analytics_views as views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("members/", views.activity, name="activity"),
    path("points/", views.points, name="points"),
    path("tiers/", views.tiers, name="tiers"),
    path("cohorts/", views.cohorts, name="cohorts"),
    path("channels/", views.channels, name="channels"),
    path("referrals/", views.funnel, name="funnel"),
    path("nps/", views.nps, name="nps"),
    path("campaigns/", views.results, name="results"),
    path("campaigns/<slug:code>/", views.result, name="result"),
    path("forecast/", views.forecast, name="forecast"),
]
