"""`Idempotency-Key` on unsafe API requests (API.md, Conventions), through config.once.

Decorate a view's unsafe handler with `@idempotent`. Without the header the request runs as usual.
With it, the first request runs inside a transaction that also inserts the key's record; the same
key with the same method, path and body later returns the stored answer and changes nothing; with
another body it is 409 `idempotency_conflict`. Only successful answers are stored: an error rolls
the record back with the work, so a corrected retry with the same key may still succeed.
"""

import functools
import hashlib
import json

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response

from config.api.exceptions import ApiError
from config.once import Attempt, OnceConflict, once_begin

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class IdempotencyConflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "idempotency_conflict"
    detail = _("This Idempotency-Key was used with a different request.")


class InvalidIdempotencyKey(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_idempotency_key"
    detail = _("The Idempotency-Key header must be 1 to 255 printable characters.")


def request_fingerprint(request) -> str:
    # The parsed body, canonically serialised: key order and whitespace do not make a new request.
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(attempt: Attempt) -> Response:
    return Response(attempt.outcome, status=attempt.status_code, headers={REPLAY_HEADER: "true"})


def idempotent(handler):
    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            raise InvalidIdempotencyKey()
        with transaction.atomic():
            try:
                attempt = once_begin(
                    scope=f"api-key:{request.auth.pk}",
                    key=key,
                    fingerprint=request_fingerprint(request),
                    api_key=request.auth,
                    method=request.method,
                    path=request.path,
                )
            except OnceConflict:
                raise IdempotencyConflict() from None
            if not attempt.first:
                return _replay(attempt)
            response = handler(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            attempt.done(response.data, status_code=response.status_code)
            return response

    return wrapper
