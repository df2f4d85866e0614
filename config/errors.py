"""The project's error views: JSON under /api/ (config.api.exceptions' shape), the branded pages
(templates/400.html, 403, 404, 429, 500) elsewhere. config/urls.py names them as
handler400/403/404/429/500 (allauth answers its rate limits with handler429), settings as
CSRF_FAILURE_VIEW.

Every page says which language it is in (Content-Language): config.middleware's refusals are
answered ahead of LocaleMiddleware, which would otherwise set it."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils import translation
from django.views import csrf, defaults

from config.api import exceptions as api
from config.ratelimits import retry_after_any, try_again_text

API_PREFIX = "/api/"
# Pages whose readers are staff: a 500 there leads back to the console.
STAFF_PREFIXES = ("/staff/", "/admin/", "/analytics/")


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception=None):
    if is_api(request):
        return api.api_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return request_too_large_page(request)
    return in_active_language(defaults.bad_request(request, exception))


def request_too_large_page(request):
    page = loader.render_to_string("413.html", request=request)
    return in_active_language(HttpResponse(page, status=413))


def in_active_language(response: HttpResponse) -> HttpResponse:
    response.headers.setdefault("Content-Language", translation.get_language())
    return response


def permission_denied(request, exception=None):
    if is_api(request):
        return api.api_forbidden(request, exception)
    return in_active_language(defaults.permission_denied(request, exception))


def page_not_found(request, exception=None):
    if is_api(request):
        return api.api_not_found(request)
    return in_active_language(defaults.page_not_found(request, exception))


def too_many_requests(request):
    """allauth's rate limits (ACCOUNT_RATE_LIMITS): our page, saying when to try again when the
    counts tell (and in Retry-After)."""
    wait = retry_after_any(request)
    context = {"try_again": try_again_text(wait) if wait else ""}
    response = HttpResponse(loader.render_to_string("429.html", context, request), status=429)
    if wait:
        response["Retry-After"] = str(wait)
    return in_active_language(response)


def server_error(request):
    if is_api(request):
        return api.api_server_error(request)
    # Rendered without the request's context, as Django's server_error does: the session, the
    # user and the database may be what failed. So the way back is chosen by the path alone.
    page = loader.render_to_string(
        "500.html", {"is_staff": request.path.startswith(STAFF_PREFIXES)}
    )
    return in_active_language(HttpResponseServerError(page))


def csrf_failure(request, reason=""):
    if is_api(request):
        return api.api_csrf_failure(request, reason)
    return csrf.csrf_failure(request, reason)
