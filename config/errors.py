"""The project's error views: JSON under /api/ (config.api.exceptions' shape), Django's pages
elsewhere. config/urls.py names them as handler400/403/404/500, settings as CSRF_FAILURE_VIEW."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.template import loader
from django.views import csrf, defaults

from config.api import exceptions as api

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception=None):
    if is_api(request):
        return api.api_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return request_too_large_page(request)
    return defaults.bad_request(request, exception)


def request_too_large_page(request):
    return HttpResponse(loader.render_to_string("413.html", request=request), status=413)


def permission_denied(request, exception=None):
    if is_api(request):
        return api.api_forbidden(request, exception)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return api.api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return api.api_server_error(request)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if is_api(request):
        return api.api_csrf_failure(request, reason)
    return csrf.csrf_failure(request, reason)
