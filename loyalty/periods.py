"""A period of dates on the program's calendar, `[start, end)`: what every figure of the
analytics pages is for (analytics.figures), and the window the program simulator replays
(loyalty.simulation)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """Dates `[start, end)` in the program's time zone."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.start - datetime.timedelta(days=self.days), self.start)

    def bounds(self, zone: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
        return moment(self.start, zone), moment(self.end, zone)


def moment(day: datetime.date, zone: datetime.tzinfo) -> datetime.datetime:
    """The first instant of `day` in `zone`."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
