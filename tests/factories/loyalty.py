"""Factories for the program's editable rows and for scoring inputs.

Rows made here bypass the program services (no validation, no version): use them to set up a state,
then call `program_publish` or a service when the test is about versions.
"""

from decimal import Decimal
from pathlib import Path

import factory

from loyalty.models import EarningRule, Program, Tier
from loyalty.models.program import PROGRAM_PK
from loyalty.scoring import Item

EXAMPLE_PROGRAM_PATH = Path(__file__).resolve().parents[2] / "loyalty/fixtures/example_program.yaml"


def example_program_text() -> str:
    return EXAMPLE_PROGRAM_PATH.read_text(encoding="utf-8")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("id",)

    id = PROGRAM_PK
    name = "Test Club"
    currency = "EUR"
    timezone = "Europe/Madrid"
    point_value = Decimal("0.01")
    pending_days = 14
    rounding = "floor"
    expiry_policy = "none"


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    code = factory.Sequence(lambda n: f"tier{n}")
    name_en = factory.LazyAttribute(lambda tier: tier.code.title())
    threshold = Decimal(0)
    multiplier = Decimal(1)
    position = factory.Sequence(lambda n: n)


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule

    code = factory.Sequence(lambda n: f"rule{n}")
    kind = "per_currency_unit"
    points = 1
    per = Decimal("1.00")
    position = factory.Sequence(lambda n: n)


class ItemFactory(factory.Factory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n}")
    category = "wine"
    quantity = 1
    unit_price = Decimal("10.00")
