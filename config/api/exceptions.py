"""One error shape for the whole API: ``{"code", "detail"}``, plus ``errors`` for validation.

Domain errors subclass :class:`ApiError` (or are mapped to it once, next to the domain exception)::

    class InsufficientPoints(ApiError):
        status_code = 409
        code = "insufficient_points"
        detail = "The member does not have enough points for this reward."

    raise InsufficientPoints()                       # the default detail
    raise InsufficientPoints("Needs 200 more points.")  # a specific one

Everything else that can go wrong in an API view ends up here too: DRF's exceptions keep their
codes (``not_authenticated``, ``permission_denied``, ``method_not_allowed``, ``throttled``...),
Django's ``Http404``/``PermissionDenied`` become ``not_found``/``permission_denied``, and anything
unhandled is logged and answered with a bare 500 ``server_error``, never a stack trace.

A domain error (config.domain.DomainError, e.g. ``members.status.MemberBlocked``) declares its
own code, message and status; it is answered from those, in the request's language.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.api.error_classes import (  # noqa: F401 - importers read them from here too
    NON_FIELD_ERRORS,
    VALIDATION_CODE,
    ApiError,
    BadRequest,
    DomainApiError,
    RequestTooLarge,
    UnstorableInput,
    error_body,
)
from config.domain import DomainError

logger = logging.getLogger("config.api")


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER (see settings.REST_FRAMEWORK)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields, a malformed multipart body...: the client's fault, as Django's 400.
        exc = BadRequest()
    elif isinstance(exc, DomainError):
        exc = DomainApiError(exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an APIException: a bug. Log it with the request, answer without details.
        request = context.get("request")
        logger.error(
            "Unhandled exception in API view %s",
            context.get("view").__class__.__name__,
            exc_info=exc,
            extra={"request": getattr(request, "_request", request), "status_code": 500},
        )
        set_rollback()
        return Response(
            error_body("server_error", _("Server error.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        if not isinstance(errors, dict):
            errors = {NON_FIELD_ERRORS: errors if isinstance(errors, list) else [errors]}
        response.data = error_body(VALIDATION_CODE, _("Invalid input."), errors=errors)
    else:
        detail = _detail_of(exc)
        field = getattr(exc, "field", None)
        errors = getattr(exc, "field_errors", None) or ({field: [detail]} if field else None)
        extra = {"errors": errors} if errors else {}
        response.data = error_body(_code_of(exc), detail, **extra)
    return response


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _detail_of(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, str):
        return detail
    return str(exc.default_detail)


# Plain Django views for what never reaches a DRF view (config/urls.py routes /api/ to them).


@csrf_exempt
def api_not_found(request, exception=None):
    detail = _("Not found.")
    path = request.path_info
    if not path.endswith("/") and _resolves_to_api_view(path + "/"):
        # No redirect as for pages: it would silently turn a POST into a GET.
        detail = _("Not found. Did you mean %(path)s?") % {"path": request.path + "/"}
    return JsonResponse(error_body("not_found", detail), status=status.HTTP_404_NOT_FOUND)


def api_bad_request(request, exception=None):
    error = RequestTooLarge() if isinstance(exception, RequestDataTooBig) else BadRequest()
    return JsonResponse(error_body(error.code, error.detail), status=error.status_code)


def api_unstorable_input(request):
    error = UnstorableInput()
    return JsonResponse(error_body(error.code, error.detail), status=error.status_code)


def api_forbidden(request, exception=None):
    return JsonResponse(
        error_body("permission_denied", _("You do not have permission to perform this action.")),
        status=status.HTTP_403_FORBIDDEN,
    )


def api_csrf_failure(request, reason=""):
    # Only a request carrying a session cookie is checked, and an API client sends a key instead;
    # still JSON, so no /api/ URL ever answers with Django's HTML page.
    return JsonResponse(
        error_body("csrf_failed", _("CSRF check failed: API clients authenticate with a key.")),
        status=status.HTTP_403_FORBIDDEN,
    )


def api_server_error(request):
    return JsonResponse(
        error_body("server_error", _("Server error.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _resolves_to_api_view(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not api_not_found
