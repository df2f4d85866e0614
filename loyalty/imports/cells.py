"""Numbers and dates in an import's cells, as a machine writes them and as a shop's spreadsheet
does (Excel in Spain and France: "12,50", "1.234,50", "31/12/2026 18:30").

Numbers: a plain decimal ("54.90") always; a decimal comma ("12,50") always; thousands
separated by `.` or a space ("1.234,50", "1 234,50") only in a file separated by `;`, where the
comma cannot be the separator and so is the decimal mark. A mark before exactly three digits
after one to three others ("1,234"; "1.234" in a `;` file) is either a thousands separator or a
decimal mark: refused as ambiguous, never guessed, since the two readings differ a thousandfold.

Dates: ISO 8601 always. Day first ("31/12/2026", "31/12/2026 18:30", with seconds or not) only
when the import is told the file writes them so (`--dayfirst`, the admin's choice): "05/04/2026"
is 5 April in Spain and 4 May in a file from the United States, and nothing in the value says
which. Without the option such a value is refused with a hint; with it, a value that is no date
read day first ("12/31/2026") is refused too, never read the other way round. A two-digit year
is refused: its century is a guess.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from loyalty.imports.errors import RowInvalid

_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]+")
# One to three digits, then groups of three after the same mark, then a decimal comma or not.
_GROUPED = re.compile(
    r"[1-9][0-9]{0,2}(?P<mark>[. \u00a0\u202f])[0-9]{3}(?:(?P=mark)[0-9]{3})*(?:,[0-9]+)?"
)
# What reads as thousands as well as decimals: one group of three after one to three digits.
_AMBIGUOUS = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")
_THOUSANDS_MARKS = str.maketrans("", "", ". \u00a0\u202f")

_DAY_FIRST = re.compile(
    r"(?P<day>[0-9]{1,2})/(?P<month>[0-9]{1,2})/(?P<year>[0-9]{4}|[0-9]{2})"
    r"(?:[ T](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
)
DAY_FIRST_HINT = (
    "if it is written day first, import the file with the day-first dates option (--dayfirst)"
)


@dataclass(frozen=True)
class _Written:
    """How a kind of date cell is written, for the messages."""

    kind: str
    expected: str
    day_first: str
    day_first_order: str
    has_time: bool


_MOMENT = _Written(
    "a date and time",
    "ISO 8601",
    "31/12/2026 18:30",
    "day/month/year hour:minute",
    has_time=True,
)
_DATE = _Written("a date", "YYYY-MM-DD or --MM-DD", "31/12/1990", "day/month/year", has_time=False)


@dataclass(frozen=True)
class CellReader:
    """How the file at hand writes numbers and dates: from its separator (found in its header)
    and whether it was said to write dates day first."""

    separator: str = ","
    is_day_first: bool = False

    # --- Numbers ---------------------------------------------------------------------------

    def decimal(self, text: str, name: str) -> Decimal:
        """The number in `text`; a negative one is parsed, for its own message. "1e5", "NaN"
        and the like are refused: Decimal() would take them."""
        body = text.removeprefix("-")
        if _PLAIN.fullmatch(body):
            if self.separator == ";" and _AMBIGUOUS.fullmatch(body):
                raise RowInvalid(_ambiguous(name, text, body))
            return Decimal(text)
        if _DECIMAL_COMMA.fullmatch(body):
            if _AMBIGUOUS.fullmatch(body):
                raise RowInvalid(_ambiguous(name, text, body))
            return Decimal(text.replace(",", "."))
        if self.separator == ";" and _GROUPED.fullmatch(body):
            return Decimal(text.translate(_THOUSANDS_MARKS).replace(",", "."))
        try:
            is_number = Decimal(text).is_finite()
        except (InvalidOperation, ValueError):
            is_number = "," in text  # a misplaced comma: say how to write it
        if not is_number:
            raise RowInvalid(f"{name} {text!r} is not a number")
        if self.separator == ";":
            example = "54,90 or 1.234,50"
        else:
            example = "54.90 or 54,90; thousands are separated only in files separated by ';'"
        raise RowInvalid(
            f"{name} {text!r} is not written as a plain decimal number (e.g. {example})"
        )

    # --- Dates -----------------------------------------------------------------------------

    def moment(self, text: str, name: str, *, zone) -> datetime.datetime:
        """ISO 8601, or day first when the file writes dates so; a value without an offset is
        read on `zone`'s clock."""
        if not text:
            raise RowInvalid(f"{name} is required")
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            value = self._day_first(text, name, _MOMENT)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, zone)
        return value

    def birth_date_text(self, text: str, name: str) -> str:
        """`text` as `members.birthdays` reads it: a day-first date ("31/12/1990") written
        YYYY-MM-DD when the file writes dates so; anything else as it is."""
        if "/" not in text:
            return text
        return self._day_first(text, name, _DATE).date().isoformat()

    def _day_first(self, text: str, name: str, written: _Written) -> datetime.datetime:
        """`text` read day first, or the reason it is not a date of this file."""
        match = _DAY_FIRST.fullmatch(text)
        if match is None or (match["hour"] and not written.has_time):
            expected = written.expected
            if self.is_day_first:
                expected += f", or day first: {written.day_first}"
            raise RowInvalid(f"{name} {text!r} is not {written.kind} ({expected})")
        value = _day_first_value(match)
        if not self.is_day_first:
            # The hint only where it would help: "12/31/2026" is no date read day first.
            hint = f"; {DAY_FIRST_HINT}" if value is not None and len(match["year"]) == 4 else ""
            raise RowInvalid(f"{name} {text!r} is not {written.kind} ({written.expected}){hint}")
        if len(match["year"]) == 2:
            raise RowInvalid(f"{name} {text!r} has a two-digit year: write the year in full")
        if value is None:
            raise RowInvalid(
                f"{name} {text!r} is not {written.kind} read day first ({written.day_first_order})"
            )
        return value


def _day_first_value(match: re.Match) -> datetime.datetime | None:
    """The naive moment a day-first match reads as, or None when there is no such moment."""
    try:
        return datetime.datetime(  # noqa: DTZ001 - made aware on the program's clock
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
        )
    except ValueError:
        return None


def _ambiguous(name: str, text: str, body: str) -> str:
    mark = "." if "." in body else ","
    return (
        f"{name} {text!r} is ambiguous: {mark!r} before three digits may separate thousands "
        f"or decimals (write thousands without a separator: {body.replace(mark, '')})"
    )
