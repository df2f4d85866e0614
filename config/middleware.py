"""Refuse, before any view runs, request text that PostgreSQL cannot store (see config.text).

A NUL in the path, the query string or a header reached the database as a lookup value and
failed there as a 500 (`?email=%00`, `/api/v1/members/%00/`, admin search `?q=%00`): refused here
once instead of in every view and form. The API answers 400 JSON; pages answer 404 for a path
(no page has such a name) and 400 for the rest. A cookie carrying one is dropped, as if absent,
so a planted cookie cannot lock a browser out. Bodies are checked where they are parsed: forms
by Django's fields (ProhibitNullCharactersValidator), JSON by config.api.parsers.
"""

from django.utils import translation

from config import errors
from config.api.exceptions import api_unstorable_input
from config.text import is_unstorable


class UnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        # The query string is still percent-encoded: a NUL arrives as %00 (never decoded here).
        query = meta.get("QUERY_STRING", "")
        is_bad_path = is_unstorable(request.path_info)
        is_bad_rest = (
            "%00" in query
            or "\x00" in query
            or any(
                "\x00" in value
                for key, value in meta.items()
                if key.startswith("HTTP_") and key != "HTTP_COOKIE"
            )
        )
        if is_bad_path or is_bad_rest:
            # Ahead of LocaleMiddleware (a session must not be read with a bad cookie), so the
            # refusal picks its language itself.
            with translation.override(translation.get_language_from_request(request)):
                return self.refusal(request, is_bad_path=is_bad_path)
        cookie = meta.get("HTTP_COOKIE", "")
        # A quoted cookie value may carry a NUL as an octal escape ("\\000"), decoded on parsing.
        if "\x00" in cookie or "\\" in cookie:
            request.COOKIES = {
                name: value
                for name, value in request.COOKIES.items()
                if not (is_unstorable(name) or is_unstorable(value))
            }
        return self.get_response(request)

    @staticmethod
    def refusal(request, *, is_bad_path: bool):
        if errors.is_api(request):
            return api_unstorable_input(request)
        if is_bad_path:
            return errors.page_not_found(request)
        return errors.bad_request(request)
