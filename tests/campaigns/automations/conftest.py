import pytest

from config.events.dispatch import consumer_dispatch
from config.events.registry import consumers
from loyalty.services.program import program_import
from tests.factories.loyalty import example_program_text


@pytest.fixture
def program(db, time_machine):
    """The example program (Europe/Madrid; birthday 200 points, sign-up 100, referral 300 and
    150 with a cap of 5 a month), in force since well before the tests' dates."""
    time_machine.move_to("2026-01-01T00:00:00Z", tick=False)
    return program_import(text=example_program_text(), note="example").version


def consumer_run(name: str) -> None:
    """Hand the consumer `name` every event waiting for it, in the test's process."""
    (found,) = (found for found in consumers() if found.name == name)
    while consumer_dispatch(found)[1]:
        pass
