"""The member portal, under /me/. Every page is the signed-in member's own; no URL carries a
member id. Rewards and vouchers are here too: they read and write through the rewards app's
services, scoped to the signed-in member."""

from django.urls import path

from portal import views

app_name = "members"

urlpatterns = [
    path("", views.member_home_page, name="home"),
    path("activity/", views.activity, name="activity"),
    path("activity/<int:entry_id>/", views.entry_detail, name="entry"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<str:reward_code>/redeem/", views.redeem, name="redeem"),
    path("vouchers/", views.vouchers, name="vouchers"),
    path("vouchers/<str:voucher_code>/cancel/", views.voucher_cancel, name="voucher_cancel"),
    path("card/", views.card, name="card"),
    path("invite/", views.invite, name="invite"),
    path("profile/", views.profile, name="profile"),
    path("profile/consents/", views.consents, name="consents"),
    path("profile/my-data.json", views.data_export, name="data_export"),
    path("profile/delete/", views.erase, name="erase"),
    path("join/", views.join, name="join"),
    path("sw.js", views.service_worker, name="service_worker"),
]
