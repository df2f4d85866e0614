import pytest

from tests.factories.members import StaffUserFactory, UserFactory

pytest_plugins = ["tests.fixtures_mail", "tests.fixtures_worker", "tests.fixtures_static"]

PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(config, items):
    """The tests with a real Celery worker run last. The session's worker (fixtures_worker)
    lives until the end once started, and takes every task a test's commit asks for (an
    enrolment's events dispatch, a queued message's send): started early, it would work on the
    database of the transactional tests that follow while their teardown empties it."""
    items.sort(key=lambda item: item.get_closest_marker("worker") is not None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a login; the suite proves behaviour, not PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_program_snapshots():
    # Versions and their parsed snapshots are cached per id, and ids are reused across tests.
    from loyalty.models.program import program_caches_clear

    program_caches_clear()
    yield
    program_caches_clear()


@pytest.fixture(autouse=True)
def _fresh_api_key_memory():
    # API key rows are remembered per process (config.api.keycache); each test starts afresh.
    from config.api.keycache import api_keys_forget

    api_keys_forget()
    yield
    api_keys_forget()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()
