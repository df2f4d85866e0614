import pytest

from loyalty.models.program import _definition_cache
from loyalty.program_file import parse_program_text
from loyalty.program_hooks import rewards_handler_unregister
from loyalty.services.program import program_import
from tests.factories.loyalty import example_program_text


@pytest.fixture(autouse=True)
def _isolated_program_state():
    # Parsed snapshots are cached per version id, and ids are reused across test transactions.
    _definition_cache.clear()
    yield
    _definition_cache.clear()
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
