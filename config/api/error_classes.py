"""The API's error types and their body, apart from the handler (config.api.exceptions): they
import nothing of DRF but its exceptions, so the request parsers (config.api.parsers, which DRF's
views load with its settings) can raise them while DRF's views are still being built.
"""

from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions, status

from config.domain import DomainError

VALIDATION_CODE = "invalid"
NON_FIELD_ERRORS = "non_field_errors"


class ApiError(exceptions.APIException):
    """Base for domain errors the API reports with their own code.

    Subclasses set ``status_code``, ``code`` and ``detail``; the detail may be overridden per raise.
    A rule about one field of the body also sets ``field``: the answer then carries ``errors`` for
    it as a field error does, so a form can show it at the field.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    code = "error"
    detail = "The request could not be completed."
    field: str | None = None

    def __init__(self, detail: str | None = None):
        super().__init__(detail=detail or self.__class__.detail, code=self.code)


class RequestTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "request_too_large"
    detail = _lazy("The request body is larger than this server accepts.")


class UnstorableInput(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "unstorable_characters"
    detail = _lazy(
        "The request contains characters that cannot be stored (a NUL or a lone surrogate)."
    )


class BadRequest(ApiError):
    code = "bad_request"
    detail = _lazy("The request could not be understood.")


class DomainApiError(ApiError):
    """A DomainError as DRF handles it: its status, code, message and field errors, worded in
    the error's language when it has one (config.domain.worded_in), else the request's."""

    def __init__(self, error: DomainError):
        self.status_code = error.status
        self.code = error.code
        self.field_errors = error.errors(error.language)
        super().__init__(error.api_detail(error.language))


def error_body(code: str, detail, **extra) -> dict:
    return {"code": code, "detail": str(detail), **extra}
