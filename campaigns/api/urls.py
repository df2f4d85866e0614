from django.urls import path

from campaigns.api import segments

urlpatterns = [
    path("segments/", segments.SegmentListView.as_view(), name="segments"),
    path("segments/<str:code>/", segments.SegmentDetailView.as_view(), name="segment"),
    path(
        "segments/<str:code>/members/",
        segments.SegmentMembersView.as_view(),
        name="segment-members",
    ),
]
