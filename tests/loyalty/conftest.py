import pytest

from loyalty.program_file import parse_program_text
from loyalty.program_hooks import rewards_handler_unregister
from loyalty.services.program import program_import
from tests.factories.loyalty import example_program_text


@pytest.fixture(autouse=True)
def _isolated_program_state():
    yield
    rewards_handler_unregister()


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
