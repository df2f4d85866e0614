from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from config.api.keycache import api_key_remembered
from config.api.keys import key_matches, parse_prefix
from config.api.models import ApiKey
from config.api.services import api_key_mark_used
from config.rows import row_get


class ApiClient:
    """``request.user`` for a request made with an API key.

    An integration is not a person: it holds no staff or member rights, only its key's scopes
    (``request.auth`` is the :class:`ApiKey`).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer tsk_<prefix>_<secret>``.

    No Authorization header, or one for another scheme: not authenticated (401
    ``not_authenticated`` once a permission asks for a key). A Bearer header with a malformed,
    unknown or revoked key: 401 ``authentication_failed``.
    """

    keyword = "Bearer"
    www_authenticate_realm = "api"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: expected 'Bearer <api key>'.")
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        api_key = self._key_for(raw)
        api_key_mark_used(api_key=api_key)
        return ApiClient(api_key), api_key

    def _key_for(self, raw: str) -> ApiKey:
        prefix = parse_prefix(raw)
        api_key = _api_key_for_prefix(prefix) if prefix else None
        # The hash is compared even when the key is revoked, so "revoked" is only ever said to
        # someone who holds the real key.
        if api_key is None or not key_matches(raw, api_key.key_hash):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if not api_key.is_active:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        return api_key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="{self.www_authenticate_realm}"'


def _api_key_for_prefix(prefix: str) -> ApiKey | None:
    # Remembered between requests while its token in Redis says it has not changed
    # (config.api.keycache); read with config.rows, as the ORM's query building was 0.4 ms of
    # CPU per request in bench/earn.py.
    return api_key_remembered(prefix, lambda: row_get(ApiKey, "prefix = %s", [prefix]))
