"""The program file's `language` and `categories` (PROGRAM.md): read, refused with their line,
written back, stored, diffed; the example of PROGRAM.md itself is read whole."""

from pathlib import Path

import pytest

from loyalty.program_diff import program_changes
from loyalty.program_file import ProgramInvalid, parse_program_text, program_to_text
from loyalty.selectors.program import program_definition_current, program_language
from loyalty.services.program import program_import
from tests.factories.loyalty import example_program_text

PROGRAM_MD = (Path(__file__).parent / "program_md_example.yaml").read_text(encoding="utf-8")


def test_the_example_of_program_md_is_read_whole():
    program = parse_program_text(PROGRAM_MD)
    assert program.language == "es"
    assert [category.code for category in program.categories] == ["wine", "cheese"]
    assert program.category_name("wine", "fr") == "Vin"
    assert program.category_name("beer", "es") == "beer"  # not named: the code itself
    assert parse_program_text(program_to_text(program)) == program


def test_language_defaults_to_english_and_is_one_of_ours():
    assert parse_program_text(example_program_text()).language == "en"
    text = example_program_text().replace(
        "  timezone: Europe/Madrid", "  language: de\n  timezone: Europe/Madrid", 1
    )
    with pytest.raises(ProgramInvalid) as refused:
        parse_program_text(text)
    assert "program.language" in str(refused.value)
    assert "line 4" in str(refused.value)


@pytest.mark.parametrize(
    ("categories", "problem"),
    [
        (
            "categories:\n  - {code: wine, name: {en: Wine}}\n  - {code: wine, name: {en: Red}}\n",
            "duplicate category code 'wine'",
        ),
        ("categories:\n  - {code: wine}\n", "categories[0].name: is required"),
        ("categories:\n  - {code: wine, name: {es: Vino}}\n", "categories[0].name.en: is required"),
        ("categories: wine\n", "categories: must be a list"),
    ],
)
def test_bad_categories_are_refused_with_the_reason(categories, problem):
    text = example_program_text().replace("\ntiers:", f"\n{categories}\ntiers:", 1)
    with pytest.raises(ProgramInvalid) as refused:
        parse_program_text(text)
    assert problem in str(refused.value)


@pytest.mark.django_db
def test_stored_exported_and_diffed(db):
    program_import(text=example_program_text(), note="first")
    assert program_language() == "en"
    result = program_import(text=PROGRAM_MD, note="the spec's example")
    assert "program.language: en -> es" in result.changes
    assert any(line.startswith("category wine") or "wine" in line for line in result.changes)
    current = program_definition_current()
    assert current.language == "es"
    assert current.category_name("cheese", "es") == "Queso"
    assert program_language() == "es"
    assert "categories:" in program_to_text(current)
    assert program_changes(old=current, new=current) == []
