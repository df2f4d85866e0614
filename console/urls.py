"""The staff console, under /staff/. Members are addressed by their member number (random, with a
check digit: the number on their card), never by a sequential id."""

from django.urls import path

from console import (
    automation_views,
    campaign_views,
    referral_views,
    segment_views,
    survey_views,
    views,
)

app_name = "staff"

urlpatterns = [
    path("", views.search, name="search"),
    path("enrol/", views.enrol, name="enrol"),
    path("vouchers/", views.voucher, name="voucher"),
    path("vouchers/consume/", views.voucher_consume, name="voucher_consume"),
    path("members/<str:member_number>/", views.member, name="member"),
    path("members/<str:member_number>/purchase/", views.purchase, name="purchase"),
    path(
        "members/<str:member_number>/purchase/preview/",
        views.purchase_preview,
        name="purchase_preview",
    ),
    path("members/<str:member_number>/refund/", views.refund, name="refund"),
    path("members/<str:member_number>/adjust/", views.adjust, name="adjust"),
    path("members/<str:member_number>/block/", views.block, name="block"),
    path("members/<str:member_number>/unblock/", views.unblock, name="unblock"),
    path("campaigns/", campaign_views.campaigns, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign_new"),
    path("campaigns/<slug:code>/", campaign_views.campaign, name="campaign"),
    path("campaigns/<slug:code>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<slug:code>/<slug:action>/",
        campaign_views.campaign_action,
        name="campaign_action",
    ),
    path("automations/", automation_views.automations, name="automations"),
    path("automations/<slug:code>/", automation_views.automation, name="automation"),
    path(
        "automations/<slug:code>/toggle/",
        automation_views.automation_toggle,
        name="automation_toggle",
    ),
    path("referrals/", referral_views.referrals, name="referrals"),
    path(
        "referrals/<int:pk>/<slug:decision>/",
        referral_views.referral_decide,
        name="referral_decide",
    ),
    path("surveys/", survey_views.surveys, name="surveys"),
    path("segments/", segment_views.segments, name="segments"),
    path("segments/new/", segment_views.segment_new, name="segment_new"),
    path("segments/count/", segment_views.segment_preview_count, name="segment_preview_count"),
    path("segments/<slug:code>/", segment_views.segment, name="segment"),
    path("segments/<slug:code>/delete/", segment_views.segment_delete, name="segment_delete"),
    path(
        "segments/<slug:code>/count/",
        segment_views.segment_list_count,
        name="segment_list_count",
    ),
    path(
        "segments/<slug:code>/members/",
        segment_views.segment_member_list,
        name="segment_members",
    ),
    path(
        "segments/<slug:code>/members.csv",
        segment_views.segment_member_csv,
        name="segment_members_csv",
    ),
]
