"""Ledger test data: a program version with round numbers, members enrolled through the service,
and purchases recorded through it."""

import datetime
import itertools
from decimal import Decimal

import factory

from loyalty.models import ProgramVersion
from loyalty.program_file import parse_program_text, program_to_data
from loyalty.services.enrolment import member_join

# Easy arithmetic: 1 point per EUR, +50 from 100.00, silver x2 from 500 spent, gold x3 from 1500.
LEDGER_PROGRAM = """\
program:
  name: Test club
  currency: EUR
  timezone: Europe/Madrid
  point_value: "0.01"
  pending_days: {pending_days}
  rounding: floor
{limit}  expiry: {expiry}

tiers:
  qualification: {{metric: {metric}, window_months: 12}}
  levels:
    - {{code: bronze, name: {{en: Bronze, es: Bronce}}, threshold: "0", multiplier: "1"}}
    - {{code: silver, name: {{en: Silver, es: Plata}}, threshold: "500", multiplier: "2"}}
    - {{code: gold, name: {{en: Gold, es: Oro}}, threshold: "1500", multiplier: "3"}}

rules:
  - {{code: base, kind: per_currency_unit, points: 1, per: "1.00"}}
  - {{code: bottle, kind: per_item, points: 1, category: wine}}
  - {{code: big_basket, kind: spend_threshold_bonus, min_amount: "100.00", points: 50}}
{extra_rules}
"""

ROLLING = "{policy: rolling, months: 12, warn_days: 30}"
INACTIVITY = "{policy: inactivity, months: 6, warn_days: 30}"
NO_EXPIRY = "{policy: none}"
SIGNUP_RULE = "  - {code: welcome, kind: event_bonus, event: signup, points: 100}"

EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
_numbers = itertools.count(1)


def ledger_program_text(
    *,
    pending_days=14,
    expiry=ROLLING,
    metric="spend",
    signup_bonus=True,
    extra_rules="",
    max_purchase_amount=None,
) -> str:
    rules = "\n".join(r for r in (SIGNUP_RULE if signup_bonus else "", extra_rules) if r)
    limit = f'  max_purchase_amount: "{max_purchase_amount}"\n' if max_purchase_amount else ""
    return LEDGER_PROGRAM.format(
        pending_days=pending_days, expiry=expiry, metric=metric, extra_rules=rules, limit=limit
    )


def program_version_create(*, created_at=EPOCH, **options) -> ProgramVersion:
    """A published version (not the editable rows: the ledger reads versions only)."""
    definition = parse_program_text(ledger_program_text(**options))
    return ProgramVersion.objects.create(
        number=next(_numbers) + ProgramVersion.objects.count() * 1000,
        snapshot=program_to_data(definition),
        created_at=created_at,
    )


class MemberFactory(factory.django.DjangoModelFactory):
    """Enrolled through loyalty.services.enrolment.member_join, so the sign-up bonus applies."""

    class Meta:
        model = "members.Member"

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    language = "en"
    joined_at = factory.LazyFunction(lambda: None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return member_join(**kwargs)


def purchase_body(**overrides) -> dict:
    body = {
        "external_id": f"ext-{next(_numbers)}",
        "amount": Decimal("10.00"),
        "currency": "EUR",
        "channel": "store",
        "items": [],
    }
    return body | overrides
