"""Pages outside /me/ and /staff/: where a sign-in lands, and what a message's signed links
open without signing in (one-click unsubscribe, open and click tracking, surveys;
campaigns.links makes their URLs by these names)."""

from django.urls import path, re_path

from portal.landing import landing
from portal.legal import legal, shop_css
from portal.surveys import survey
from portal.tracking import track_click, track_open
from portal.unsubscribe import unsubscribe

urlpatterns = [
    path("start/", landing, name="landing"),
    path("u/<str:token>/", unsubscribe, name="unsubscribe"),
    path("t/o/<str:token>/", track_open, name="track-open"),
    path("t/c/<str:token>/", track_click, name="track-click"),
    path("s/<str:token>/", survey, name="survey"),
    path("shop.css", shop_css, name="shop_css"),
    re_path(r"^(?P<kind>privacy|terms|contact)/$", legal, name="legal"),
]
