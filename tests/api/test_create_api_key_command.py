from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from config.api.keys import hash_key
from config.api.models import ApiKey, Scope


def create(*args):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_prints_a_working_key_and_stores_only_its_hash(db):
    raw, message = create("POS store 12", "--scopes", "members:read", "purchases:write")

    api_key = ApiKey.objects.get()
    assert api_key.name == "POS store 12"
    assert api_key.scopes == ["members:read", "purchases:write"]
    assert raw.startswith(f"tsk_{api_key.prefix}_")
    assert api_key.key_hash == hash_key(raw)
    stored = [str(getattr(api_key, f.attname)) for f in ApiKey._meta.concrete_fields]
    assert not any(raw in value or raw.split("_")[2] in value for value in stored)
    assert "cannot be shown again" in message

    client = APIClient()
    response = client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["key"] == "POS store 12"


def test_without_scopes_the_key_has_every_scope(db):
    create("Web shop")
    assert ApiKey.objects.get().scopes == Scope.values


def test_unknown_scope_is_refused_naming_the_valid_ones(db):
    with pytest.raises(CommandError) as error:
        create("Bad", "--scopes", "members:read", "members:delete")

    assert "members:delete" in str(error.value)
    for scope in Scope.values:
        assert scope in str(error.value)
    assert not ApiKey.objects.exists()
