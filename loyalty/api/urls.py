from django.urls import path

from loyalty.api import members, purchases

urlpatterns = [
    path("members/", members.MemberListView.as_view(), name="members"),
    path("members/<str:member_number>/", members.MemberDetailView.as_view(), name="member"),
    path(
        "members/<str:member_number>/transactions/",
        members.MemberTransactionsView.as_view(),
        name="member-transactions",
    ),
    path("program/", purchases.ProgramView.as_view(), name="program"),
    path("purchases/", purchases.PurchaseCreateView.as_view(), name="purchases"),
    path("purchases/preview/", purchases.PurchasePreviewView.as_view(), name="purchase-preview"),
    path(
        "purchases/<str:external_id>/refunds/",
        purchases.RefundCreateView.as_view(),
        name="purchase-refunds",
    ),
]
