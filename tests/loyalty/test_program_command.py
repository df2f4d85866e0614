"""`manage.py program export | import | diff`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from loyalty.models import Program, ProgramVersion
from loyalty.program_file import program_to_text

pytestmark = pytest.mark.django_db


def run(*args):
    stdout, stderr = StringIO(), StringIO()
    call_command("program", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def example_file(tmp_path, example_text):
    path = tmp_path / "program.yaml"
    path.write_text(example_text, encoding="utf-8")
    return path


def test_import_prints_a_summary_and_export_writes_the_program(example_file, example_program):
    out, _ = run("import", str(example_file), "--note", "first")

    assert out.splitlines() == [
        "Imported: version 1.",
        "  new program 'Club Sicmay': 3 tiers, 9 rules, 5 rewards",
    ]
    assert ProgramVersion.objects.get().note == "first"
    assert run("export")[0] == program_to_text(example_program)


def test_importing_the_same_file_again_says_nothing_changed(example_file):
    run("import", str(example_file))

    out, _ = run("import", str(example_file))

    assert out == "No changes; version 1 stays in force.\n"


def test_a_refused_import_lists_errors_by_line_on_stderr_and_fails(tmp_path, example_text):
    path = tmp_path / "bad.yaml"
    path.write_text(
        example_text.replace("currency: EUR", "currency: EURO").replace(
            "points: 20}", "points: -20}"
        ),
        encoding="utf-8",
    )
    stderr = StringIO()

    with pytest.raises(CommandError, match="2 errors; nothing was changed"):
        call_command("program", "import", str(path), stdout=StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        "line 3: program.currency: unknown currency 'EURO' (an ISO 4217 code such as EUR)",
        "line 30: rules[8].points: must not be negative (got -20)",
    ]
    assert not Program.objects.exists()


def test_diff_lists_changes_and_succeeds(example_file, tmp_path, example_text):
    run("import", str(example_file))
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        example_text.replace("pending_days: 14", "pending_days: 0"), encoding="utf-8"
    )

    out, _ = run("diff", str(changed))

    assert out == "program.pending_days: 14 -> 0\n"
    assert Program.objects.get().pending_days == 14


def test_diff_of_an_identical_file_says_no_changes(example_file):
    run("import", str(example_file))

    assert run("diff", str(example_file))[0] == "No changes.\n"


def test_export_without_a_program_fails_clearly(db):
    with pytest.raises(CommandError, match="no program to export"):
        run("export")


def test_import_of_a_missing_file_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run("import", str(tmp_path / "nope.yaml"))
