import pytest

from tests.factories.members import StaffUserFactory, UserFactory

pytest_plugins = ["tests.fixtures_mail", "tests.fixtures_worker", "tests.fixtures_static"]

PASSWORD = "correct-horse-battery"


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
