from django.urls import path

from loyalty import api

urlpatterns = [
    path("program/", api.ProgramView.as_view(), name="program"),
]
