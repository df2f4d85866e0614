"""Import fixtures: the ledger tests' program (1 point per EUR, +50 from 100.00, silver x2 from
500 spent, gold x3 from 1500, 14 pending days, rolling 12-month expiry), CSV files written to a
temporary directory, and a frozen clock."""

import csv
import datetime
from pathlib import Path

import pytest

from tests.factories.ledger import MemberFactory, program_version_create
from tests.factories.members import StaffUserFactory

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)

PURCHASE_HEADER = ["external_id", "member_email", "purchased_at", "amount", "currency", "channel"]
MEMBER_HEADER = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "language",
    "marketing_opt_in",
    "joined_at",
]


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def program(db):
    return program_version_create(signup_bonus=True)


@pytest.fixture
def ana(program, now):
    return MemberFactory(email="ana@example.com", first_name="Ana")


@pytest.fixture
def bob(program, now):
    return MemberFactory(email="bob@example.com", first_name="Bob")


@pytest.fixture
def superuser(db):
    return StaffUserFactory(is_superuser=True)


@pytest.fixture
def write_csv(tmp_path):
    def write(rows: list[list[str]], name: str = "file.csv") -> Path:
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        return path

    return write
