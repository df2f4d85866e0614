import pytest

from tests.factories.members import StaffUserFactory, UserFactory

pytest_plugins = ["tests.fixtures_worker"]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory()
