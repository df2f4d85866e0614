from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api.exceptions import api_not_found
from config.health.views import health
from config.media import media
from portal import views as member_views

api_v1 = [
    path("", include("config.api.urls")),
    path("", include("loyalty.api.urls")),
    path("", include("rewards.api_urls")),
    path("", include("campaigns.api.urls")),
    path("", include("webhooks.api_urls")),
]

urlpatterns = [
    path("", member_views.home, name="home"),
    path("me/", include("portal.urls")),
    path("staff/", include("console.urls")),
    path("analytics/", include("console.analytics_urls")),
    path("", include("portal.public_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # allauth's sign-out, telling the browser to forget the member's pages saved offline.
    path("accounts/logout/", member_views.sign_out),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # Uploaded images (rewards, the shop's logo): served here in DEBUG and production alike.
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start script as a file, not inline; its page keeps an
    # inline <style> and Swagger UI styles by attribute, so only this page allows inline styles.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("api/v1/", include(api_v1)),
    # Any other /api/ URL: a JSON 404, in DEBUG too. Keep it after every API route.
    re_path(r"^api/", api_not_found),
]


handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler429 = "config.errors.too_many_requests"
handler500 = "config.errors.server_error"
