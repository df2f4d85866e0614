from django.urls import path

from loyalty import api

urlpatterns = [
    path("program/", api.ProgramView.as_view(), name="program"),
    path("purchases/", api.PurchaseCreateView.as_view(), name="purchases"),
    path("purchases/preview/", api.PurchasePreviewView.as_view(), name="purchase-preview"),
    path(
        "purchases/<str:external_id>/refunds/",
        api.RefundCreateView.as_view(),
        name="purchase-refunds",
    ),
]
