from django.urls import path

from members import api

urlpatterns = [
    path("members/", api.MemberListView.as_view(), name="members"),
    path("members/<str:member_number>/", api.MemberDetailView.as_view(), name="member"),
    path(
        "members/<str:member_number>/transactions/",
        api.MemberTransactionsView.as_view(),
        name="member-transactions",
    ),
]
