"""A program, members in three languages with email consent, a segment of all of them, and a
draft campaign with content in Spanish and English."""

import datetime

import pytest

from campaigns.services.campaigns import campaign_create
from campaigns.services.segments import segment_create
from loyalty.services.program import program_import
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text

# Wednesday 2 December 2026, 13:00 in Madrid (the example program's zone): outside quiet hours.
NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)

CONTENT = {
    "es": {
        "subject": "Hola {{ first_name }}",
        "body": "Tiene {{ points }} puntos.\n\nVea {{ portal_url }}",
    },
    "en": {"subject": "Hello {{ first_name }}", "body": "You have {{ points }} points."},
}


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def program(db, now):
    return program_import(text=example_program_text(), note="example").version


@pytest.fixture
def members(program):
    return [
        MemberFactory(
            email="ana@example.es", first_name="Ana", language="es", marketing_email_opt_in=True
        ),
        MemberFactory(
            email="luc@example.fr", first_name="Luc", language="fr", marketing_email_opt_in=True
        ),
        MemberFactory(
            email="bob@example.com", first_name="Bob", language="en", marketing_email_opt_in=True
        ),
    ]


@pytest.fixture
def everyone(program):
    return segment_create(code="everyone", names={"en": "Everyone"}, match="all", rules=[])


@pytest.fixture
def draft(everyone):
    return campaign_create(
        code="december", name="December news", segment="everyone", content=CONTENT
    )
