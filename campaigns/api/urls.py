from django.urls import path

from campaigns.api import analytics, automations, campaigns, segments

urlpatterns = [
    path("analytics/summary/", analytics.AnalyticsSummaryView.as_view(), name="analytics-summary"),
    path("analytics/cohorts/", analytics.AnalyticsCohortsView.as_view(), name="analytics-cohorts"),
    path(
        "analytics/campaigns/<str:code>/",
        analytics.AnalyticsCampaignView.as_view(),
        name="analytics-campaign",
    ),
    path("campaigns/", campaigns.CampaignListView.as_view(), name="campaigns"),
    path("campaigns/<str:code>/", campaigns.CampaignDetailView.as_view(), name="campaign"),
    path(
        "campaigns/<str:code>/schedule/",
        campaigns.CampaignScheduleView.as_view(),
        name="campaign-schedule",
    ),
    path(
        "campaigns/<str:code>/pause/", campaigns.CampaignPauseView.as_view(), name="campaign-pause"
    ),
    path(
        "campaigns/<str:code>/resume/",
        campaigns.CampaignResumeView.as_view(),
        name="campaign-resume",
    ),
    path(
        "campaigns/<str:code>/cancel/",
        campaigns.CampaignCancelView.as_view(),
        name="campaign-cancel",
    ),
    path(
        "campaigns/<str:code>/deliveries/",
        campaigns.CampaignDeliveriesView.as_view(),
        name="campaign-deliveries",
    ),
    path("automations/", automations.AutomationListView.as_view(), name="automations"),
    path(
        "automations/<str:code>/",
        automations.AutomationDetailView.as_view(),
        name="automation",
    ),
    path("segments/", segments.SegmentListView.as_view(), name="segments"),
    path("segments/<str:code>/", segments.SegmentDetailView.as_view(), name="segment"),
    path(
        "segments/<str:code>/members/",
        segments.SegmentMembersView.as_view(),
        name="segment-members",
    ),
]
