import pytest

from loyalty import program_hooks
from loyalty.program_file import parse_program_text
from loyalty.services.program import program_import
from tests.factories.loyalty import example_program_text


@pytest.fixture(autouse=True)
def _isolated_program_state():
    # Some tests register their own rewards handler: put back the one the process had (the
    # rewards app's), so tests elsewhere do not depend on running before these.
    before = program_hooks.rewards_handler()
    yield
    program_hooks.rewards_handler_unregister()
    if before is not None:
        program_hooks.rewards_handler_register(
            import_rewards=before.import_rewards, export_rewards=before.export_rewards
        )


@pytest.fixture
def example_text() -> str:
    return example_program_text()


@pytest.fixture
def example_program(example_text):
    return parse_program_text(example_text)


@pytest.fixture
def imported_version(db, example_text):
    """The PROGRAM.md example imported: the program, its rows and version 1."""
    return program_import(text=example_text, note="example").version
