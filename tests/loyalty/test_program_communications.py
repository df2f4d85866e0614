"""The program's communications settings (PROGRAM.md `program.communications`): quiet hours and
the frequency cap, read and written by the program file, stored with the program and its
versions, diffed, edited in the admin and answered by the selector the sending code calls."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from loyalty.definition import Communications, FrequencyCap, QuietHours
from loyalty.models import Program, ProgramVersion
from loyalty.program_diff import program_changes
from loyalty.program_file import (
    ProgramInvalid,
    parse_program_data,
    parse_program_text,
    program_to_data,
    program_to_text,
)
from loyalty.selectors.program import program_communications, program_diff_for_text
from loyalty.services.program import program_import, program_publish

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
COMMUNICATIONS = """  communications:
    quiet_hours: {from: "22:30", to: "08:00"}
    frequency_cap: {messages: 3, days: 7}
"""


def with_communications(text: str, section: str = COMMUNICATIONS) -> str:
    """The example with a communications section, from line 12 (after the expiry)."""
    marker = "\ntiers:"
    assert text.count(marker) == 1
    return text.replace(marker, section + marker)


def errors_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ProgramInvalid) as refused:
        parse_program_text(text)
    return [(error.line, str(error)) for error in refused.value.errors]


# --- The file ---------------------------------------------------------------------------------


def test_a_file_without_communications_gets_the_defaults(example_program):
    communications = example_program.communications

    assert communications.quiet_hours == QuietHours(datetime.time(21), datetime.time(9))
    assert communications.frequency_cap == FrequencyCap(messages=1, days=2)


def test_communications_are_read_from_the_file(example_text):
    program = parse_program_text(with_communications(example_text))

    assert program.communications == Communications(
        quiet_hours=QuietHours(datetime.time(22, 30), datetime.time(8)),
        frequency_cap=FrequencyCap(messages=3, days=7),
    )


def test_unquoted_times_are_read_as_written(example_text):
    # YAML 1.1 would make 21:00 the number 1260; the file means a time of day.
    section = COMMUNICATIONS.replace('"22:30"', "22:30").replace('"08:00"', "8:00")

    program = parse_program_text(with_communications(example_text, section))

    assert program.communications.quiet_hours == QuietHours(datetime.time(22, 30), datetime.time(8))


def test_either_part_may_be_left_out_for_its_default(example_text):
    section = "  communications:\n    frequency_cap: {messages: 2, days: 1}\n"

    program = parse_program_text(with_communications(example_text, section))

    assert program.communications.quiet_hours == QuietHours()
    assert program.communications.frequency_cap == FrequencyCap(messages=2, days=1)


def test_export_writes_communications_and_reads_back_the_same(example_text):
    program = parse_program_text(with_communications(example_text))

    text = program_to_text(program)

    assert COMMUNICATIONS in text
    assert parse_program_text(text) == program
    assert program_to_text(parse_program_text(text)) == text


def test_export_writes_the_defaults_too(example_program):
    text = program_to_text(example_program)

    assert 'quiet_hours: {from: "21:00", to: "09:00"}' in text
    assert "frequency_cap: {messages: 1, days: 2}" in text
    assert program_to_data(example_program)["program"]["communications"] == {
        "quiet_hours": {"from": "21:00", "to": "09:00"},
        "frequency_cap": {"messages": 1, "days": 2},
    }


def test_a_snapshot_from_before_communications_reads_as_the_defaults(example_program):
    data = program_to_data(example_program)
    del data["program"]["communications"]

    assert parse_program_data(data) == example_program


@pytest.mark.parametrize(
    ("section", "line", "problem"),
    [
        (
            '  communications:\n    quiet_hours: {from: "22:30", to: "08:00"}\n    quiet: yes\n',
            14,
            "program.communications.quiet: unknown key 'quiet' (allowed: quiet_hours, "
            "frequency_cap)",
        ),
        (
            '  communications:\n    quiet_hours: {from: "22:30", to: "08:00", until: "9:00"}\n',
            13,
            "program.communications.quiet_hours.until: unknown key 'until' (allowed: from, to)",
        ),
        (
            '  communications:\n    quiet_hours: {from: "22:30"}\n',
            13,
            "program.communications.quiet_hours.to: is required",
        ),
        (
            '  communications:\n    quiet_hours: {from: "24:00", to: "08:00"}\n',
            13,
            "program.communications.quiet_hours.from: '24:00' is not a time of day (HH:MM",
        ),
        (
            '  communications:\n    quiet_hours: {from: "22:30", to: "8h"}\n',
            13,
            "program.communications.quiet_hours.to: '8h' is not a time of day",
        ),
        (
            '  communications:\n    quiet_hours: {from: 22:30:10, to: "08:00"}\n',
            13,
            "program.communications.quiet_hours.from: '22:30:10' is not a time of day",
        ),
        (
            '  communications:\n    quiet_hours: {from: 22, to: "08:00"}\n',
            13,
            "program.communications.quiet_hours.from: '22' is not a time of day",
        ),
        (
            "  communications:\n    frequency_cap: {messages: 0, days: 2}\n",
            13,
            "program.communications.frequency_cap.messages: must be at least 1 (got 0)",
        ),
        (
            "  communications:\n    frequency_cap: {messages: 1, days: -2}\n",
            13,
            "program.communications.frequency_cap.days: must be at least 1 (got -2)",
        ),
        (
            "  communications:\n    frequency_cap: {messages: 1, days: 1.5}\n",
            13,
            "program.communications.frequency_cap.days: '1.5' is not a whole number",
        ),
        (
            "  communications:\n    frequency_cap: {messages: 1, days: 366}\n",
            13,
            "program.communications.frequency_cap.days: must be at most 365 (got 366)",
        ),
        (
            "  communications:\n    frequency_cap: {messages: 1}\n",
            13,
            "program.communications.frequency_cap.days: is required",
        ),
        (
            "  communications: [quiet_hours]\n",
            12,
            "program.communications: must be a mapping of keys to values",
        ),
    ],
)
def test_bad_communications_are_refused_naming_the_line(example_text, section, line, problem):
    [(error_line, message)] = errors_of(with_communications(example_text, section))

    assert error_line == line
    assert problem in message


def test_every_error_in_the_section_is_reported_at_once(example_text):
    section = (
        "  communications:\n"
        '    quiet_hours: {from: "25:00", to: "08:00"}\n'
        "    frequency_cap: {messages: 0, days: 2}\n"
    )

    errors = errors_of(with_communications(example_text, section))

    assert [line for line, _ in errors] == [13, 14]


# --- Quiet hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "inside"),
    [
        ("20:59", False),
        ("21:00", True),
        ("23:59", True),
        ("00:00", True),
        ("08:59", True),
        ("09:00", False),
        ("12:00", False),
    ],
)
def test_quiet_hours_may_wrap_midnight(wall, inside):
    quiet_hours = QuietHours(datetime.time(21), datetime.time(9))

    assert quiet_hours.contains(datetime.time.fromisoformat(wall)) is inside


@pytest.mark.parametrize(("wall", "inside"), [("12:59", False), ("13:00", True), ("15:00", False)])
def test_quiet_hours_within_a_day(wall, inside):
    quiet_hours = QuietHours(datetime.time(13), datetime.time(15))

    assert quiet_hours.contains(datetime.time.fromisoformat(wall)) is inside


def test_from_equal_to_to_means_no_quiet_hours():
    quiet_hours = QuietHours(datetime.time(9), datetime.time(9))
    moment = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=MADRID)

    assert quiet_hours.is_none
    assert not quiet_hours.contains(datetime.time(9))
    assert not quiet_hours.contains(datetime.time(3))
    assert quiet_hours.end_after(moment, MADRID) == moment


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Outside: at once.
        ("2026-12-02T12:00:00+01:00", "2026-12-02T12:00:00+01:00"),
        # The evening part of the window: the next morning.
        ("2026-12-02T22:15:00+01:00", "2026-12-03T09:00:00+01:00"),
        # After midnight: the same morning.
        ("2026-12-03T02:00:00+01:00", "2026-12-03T09:00:00+01:00"),
        # Read on the member's clock whatever the offset the moment is written with.
        ("2026-12-02T21:30:00+00:00", "2026-12-03T09:00:00+01:00"),
        # The night clocks go forward: 09:00 is then summer time.
        ("2026-03-28T23:00:00+01:00", "2026-03-29T09:00:00+02:00"),
    ],
)
def test_a_message_due_in_quiet_hours_waits_until_they_end(moment, expected):
    quiet_hours = QuietHours(datetime.time(21), datetime.time(9))

    end = quiet_hours.end_after(datetime.datetime.fromisoformat(moment), MADRID)

    assert end == datetime.datetime.fromisoformat(expected)
    assert end.tzinfo is datetime.UTC


def test_an_end_that_the_clocks_skip_is_reached_when_they_jump():
    # 02:30 does not exist in Madrid on 29 March 2026: at 02:00 CET the clocks show 03:00 CEST.
    quiet_hours = QuietHours(datetime.time(1), datetime.time(2, 30))
    moment = datetime.datetime(2026, 3, 29, 1, 30, tzinfo=MADRID)

    end = quiet_hours.end_after(moment, MADRID)

    assert end == datetime.datetime(2026, 3, 29, 1, 0, tzinfo=datetime.UTC)
    assert end.astimezone(MADRID).time() == datetime.time(3, 0)


def test_an_end_that_happens_twice_is_its_first_time():
    # 02:30 happens twice in Madrid on 25 October 2026: first in summer time.
    quiet_hours = QuietHours(datetime.time(1), datetime.time(2, 30))
    moment = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=MADRID)

    end = quiet_hours.end_after(moment, MADRID)

    assert end == datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.UTC)


def test_end_after_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"):
        QuietHours().end_after(datetime.datetime(2026, 12, 2, 22), MADRID)  # noqa: DTZ001


# --- Stored, versioned, diffed, selected -----------------------------------------------------


@pytest.mark.django_db
def test_an_import_stores_communications_on_the_program_and_its_version(example_text):
    result = program_import(text=with_communications(example_text))

    program = Program.objects.get()
    assert (program.quiet_hours_from, program.quiet_hours_to) == (
        datetime.time(22, 30),
        datetime.time(8),
    )
    assert (program.frequency_cap_messages, program.frequency_cap_days) == (3, 7)
    assert result.version.snapshot["program"]["communications"] == {
        "quiet_hours": {"from": "22:30", "to": "08:00"},
        "frequency_cap": {"messages": 3, "days": 7},
    }


@pytest.mark.django_db
def test_the_selector_answers_the_settings_in_force(example_text):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC), tick=False):
        program_import(text=example_text)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False):
        program_import(text=with_communications(example_text))

    before = program_communications(at=datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC))
    after = program_communications(at=datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC))

    assert before == Communications()
    assert after.frequency_cap == FrequencyCap(messages=3, days=7)
    assert after.quiet_hours.starts == datetime.time(22, 30)


@pytest.mark.django_db
def test_the_selector_answers_the_defaults_before_any_program():
    assert program_communications() == Communications()


@pytest.mark.django_db
def test_diff_shows_a_change_of_communications(imported_version, example_text):
    changes = program_diff_for_text(text=with_communications(example_text))

    assert changes == [
        'program.communications.quiet_hours: {from: "21:00", to: "09:00"} -> '
        '{from: "22:30", to: "08:00"}',
        "program.communications.frequency_cap: {messages: 1, days: 2} -> {messages: 3, days: 7}",
    ]


@pytest.mark.django_db
def test_an_import_of_the_same_settings_makes_no_new_version(imported_version, example_text):
    explicit_defaults = (
        "  communications:\n"
        '    quiet_hours: {from: "21:00", to: "09:00"}\n'
        "    frequency_cap: {messages: 1, days: 2}\n"
    )

    result = program_import(text=with_communications(example_text, explicit_defaults))

    assert not result.is_new_version
    assert result.changes == []


@pytest.mark.django_db
def test_a_version_published_before_the_setting_existed_is_the_same_program(imported_version):
    # A snapshot written before communications existed (as on a database migrated to them).
    data = dict(imported_version.snapshot)
    data["program"] = {k: v for k, v in data["program"].items() if k != "communications"}
    older = ProgramVersion.objects.create(number=2, snapshot=data, note="before communications")

    assert program_publish() == older
    assert program_changes(old=older.definition, new=imported_version.definition) == []


@pytest.mark.django_db
def test_the_export_command_writes_the_communications_in_force(example_text):
    program_import(text=with_communications(example_text))
    out = io.StringIO()

    call_command("program", "export", stdout=out)

    assert COMMUNICATIONS in out.getvalue()
    assert parse_program_text(out.getvalue()).communications.frequency_cap.days == 7
