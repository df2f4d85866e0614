from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from config.api.models import ApiKey, Scope


def required_scopes_for(view, method: str) -> tuple[str, ...]:
    """The scopes ``view`` needs for ``method``.

    A view declares ``required_scopes`` as a list (the same for every method) or as a dict from
    HTTP method to list, e.g. ``{"GET": ["members:read"], "POST": ["members:write"]}``; a method
    missing from the dict needs no scope beyond a valid key. A view may instead override
    ``get_required_scopes(method)``.
    """
    getter = getattr(view, "get_required_scopes", None)
    if getter is not None:
        return tuple(getter(method))
    declared = getattr(view, "required_scopes", ())
    if isinstance(declared, Mapping):
        declared = declared.get(method.upper(), ())
    return tuple(declared)


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    scopes = tuple(scopes)
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        # A typo in a view would otherwise lock every key out of it; fail loudly instead.
        raise ValueError(f"Unknown API scope(s) {sorted(unknown)}; valid: {Scope.values}")
    return scopes


class HasApiKeyScopes(permissions.BasePermission):
    """A valid API key (else 401) that holds every scope the view needs (else 403)."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            # DRF turns this into 401 not_authenticated, with WWW-Authenticate.
            return False
        for scope in check_scopes(required_scopes_for(view, request.method)):
            if not api_key.has_scope(scope):
                raise exceptions.PermissionDenied(
                    _("This API key lacks the scope %(scope)s.") % {"scope": scope}
                )
        return True
