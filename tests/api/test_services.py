import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.api.keys import hash_key, parse_prefix
from config.api.models import ApiKey
from config.api.services import api_key_create, api_key_mark_used, api_key_revoke


def test_key_has_prefix_and_256_bit_secret(db):
    api_key, raw = api_key_create(name="POS")

    assert re.fullmatch(r"tsk_[0-9a-f]{12}_[0-9a-f]{64}", raw)
    assert parse_prefix(raw) == api_key.prefix
    assert api_key.key_hash == hash_key(raw)


def test_keys_are_unique(db):
    raws = {api_key_create(name=f"k{i}")[1] for i in range(20)}
    assert len(raws) == 20
    assert ApiKey.objects.values("prefix").distinct().count() == 20


def test_scopes_are_stored_once_in_canonical_order(db):
    api_key, _ = api_key_create(
        name="POS", scopes=["purchases:write", "members:read", "members:read"]
    )
    assert api_key.scopes == ["members:read", "purchases:write"]


def test_unknown_scope_is_refused_and_nothing_is_stored(db):
    with pytest.raises(ValidationError):
        api_key_create(name="POS", scopes=["members:read", "admin"])
    assert not ApiKey.objects.exists()


def test_revoking_twice_keeps_the_first_time(db):
    api_key, _ = api_key_create(name="POS")
    first = api_key_revoke(api_key=api_key).revoked_at

    api_key_revoke(api_key=api_key, at=timezone.now() + timedelta(hours=1))

    api_key.refresh_from_db()
    assert api_key.revoked_at == first
    assert not api_key.is_active


def test_mark_used_writes_only_after_a_minute(db):
    api_key, _ = api_key_create(name="POS")
    now = timezone.now()

    assert api_key_mark_used(api_key=api_key, at=now)
    assert not api_key_mark_used(api_key=api_key, at=now + timedelta(seconds=59))
    assert api_key_mark_used(api_key=api_key, at=now + timedelta(seconds=60))
    api_key.refresh_from_db()
    assert api_key.last_used_at == now + timedelta(seconds=60)
