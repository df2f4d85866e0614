from django.urls import path

from config.api.views import PingView

app_name = "api"

urlpatterns = [
    path("ping/", PingView.as_view(), name="ping"),
]
