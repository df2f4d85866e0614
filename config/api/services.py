from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.api.keycache import api_key_changed
from config.api.keys import generate_key
from config.api.models import ApiKey, Scope, validate_scopes

# Authentication records use at most this often per key, so a busy till does not write a row on
# every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ATTEMPTS = 3


def api_key_create(
    *, name: str, scopes: Iterable[str] | None = None, created_by=None
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw key, which is never available again.

    No scopes means every scope. Raises ValidationError for an unknown scope.
    """
    wanted = list(scopes or Scope.values)
    validate_scopes(wanted)
    ordered = [scope for scope in Scope.values if scope in wanted]
    for attempt in range(_PREFIX_ATTEMPTS):
        generated = generate_key()
        try:
            # Its own savepoint: a (vanishingly unlikely) prefix clash must not poison an outer
            # transaction, and is simply retried with a new key.
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    name=name,
                    prefix=generated.prefix,
                    key_hash=generated.hashed,
                    scopes=ordered,
                    created_by=created_by,
                )
        except IntegrityError:
            if attempt == _PREFIX_ATTEMPTS - 1:
                raise
            continue
        return api_key, generated.raw
    raise AssertionError("unreachable")  # pragma: no cover


def api_key_revoke(*, api_key: ApiKey, at: datetime | None = None) -> ApiKey:
    """Revoke a key from now on. Revoking a revoked key keeps its first revocation time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=at or timezone.now()
    )
    api_key_changed(api_key)  # an update() sends no save(): every process must read it again
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_mark_used(*, api_key: ApiKey, at: datetime | None = None) -> bool:
    """Record that the key was used; writes only if the last record is older than a minute.

    A single conditional UPDATE, so concurrent requests neither race nor lock. Returns whether a
    row was written.
    """
    at = at or timezone.now()
    if api_key.last_used_at is not None and api_key.last_used_at > at - LAST_USED_RESOLUTION:
        return False  # just loaded with the key: recent enough, no query at all
    written = (
        ApiKey.objects.filter(pk=api_key.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=at - LAST_USED_RESOLUTION))
        .update(last_used_at=at)
    )
    if written:
        api_key.last_used_at = at
    return bool(written)
