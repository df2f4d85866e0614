"""The stored change lines read as words: "categories reordered", not "categorys"."""

from loyalty.program_diff import program_changes
from loyalty.program_file import parse_program_text
from tests.factories.loyalty import example_program_text

CATEGORIES = """categories:
  - {{code: {first}, name: {{en: First}}}}
  - {{code: {second}, name: {{en: Second}}}}
"""


def _with(first: str, second: str):
    block = CATEGORIES.format(first=first, second=second)
    return parse_program_text(example_program_text().replace("\ntiers:", f"\n{block}\ntiers:", 1))


def test_reordered_categories_are_categories():
    changes = program_changes(old=_with("wine", "deli"), new=_with("deli", "wine"))

    assert "categories reordered: deli, wine" in changes
