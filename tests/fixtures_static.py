"""Static files exactly as production serves them, for every test that renders a page.

Tests run with DEBUG off, so `{% static %}` resolves through WhiteNoise's manifest storage, which
needs `collectstatic` to have run. Collecting once per session into a temporary STATIC_ROOT means a
template naming a missing static file fails here rather than in production, and WhiteNoise serves
the fingerprinted files the pages link to.
"""

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test.utils import override_settings


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory) -> Iterator[None]:
    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield
