from django.urls import path

from rewards import api, views

urlpatterns = [
    path("rewards/", api.RewardListView.as_view(), name="rewards"),
    path("redemptions/", api.RedemptionCreateView.as_view(), name="redemptions"),
    path(
        "redemptions/<str:redemption_id>/cancel/",
        api.RedemptionCancelView.as_view(),
        name="redemption-cancel",
    ),
    path("vouchers/<str:code>/", api.VoucherDetailView.as_view(), name="voucher"),
    path("vouchers/<str:code>/consume/", api.VoucherConsumeView.as_view(), name="voucher-consume"),
    # A plain view, no API key: the code in the URL is the capability (rewards.views).
    path("vouchers/<str:code>/qr.svg", views.voucher_qr, name="voucher-qr"),
]
