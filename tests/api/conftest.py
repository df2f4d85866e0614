import pytest
from rest_framework.test import APIClient

from tests.factories.api import ApiKeyFactory


@pytest.fixture
def api_key(db):
    return ApiKeyFactory()


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def api_client(api_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
    return client


@pytest.fixture
def client_for():
    """An API client for a given key."""

    def make(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
        return client

    return make


@pytest.fixture
def plain_static_storage(settings):
    # Tests run with DEBUG off, whose manifest storage needs `collectstatic` first; these tests
    # are about the pages, not about the manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
