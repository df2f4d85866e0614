"""The rules are plain functions: their tests need no database, only a program definition (the
ledger tests' round numbers: 1 point per EUR, +50 from 100.00, silver from 500, gold from 1500,
14 pending days, rolling 12-month expiry, Madrid time) and in-memory balances."""

import datetime
from dataclasses import dataclass

import pytest

from loyalty.program_file import parse_program_text
from tests.factories.ledger import ledger_program_text

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@dataclass
class Balances:
    available: int = 0
    pending: int = 0
    lifetime: int = 0
    debt: int = 0


@pytest.fixture
def program():
    return parse_program_text(ledger_program_text())


def program_with(**options):
    return parse_program_text(ledger_program_text(**options))
