"""Demo program and history for `make run`: the PROGRAM.md example and about 200 members with a
year of varied purchases (store, online, app; some refunds), so that tiers, pending and expiring
points all show. Deterministic (seeded), and loaded once: a second run finds the program there."""

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from loyalty.models import Purchase, TierChange
from loyalty.money import DEFAULT_CURRENCY
from loyalty.selectors.program import program_version_latest
from loyalty.services import ledger
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from loyalty.services.purchases import purchase_record, refund_record
from members.birthdays import Birthday
from members.models import ConsentSource, Member

EXAMPLE_PROGRAM = Path(__file__).resolve().parent / "fixtures" / "example_program.yaml"
MEMBER_COUNT = 200
# The demo shop names the categories its products carry (PROGRAM.md `categories:`), so members
# read "x2 en Vino", not "x2 en wine". Kept out of the example file, which is PROGRAM.md's own.
DEMO_CATEGORIES = """categories:
  - {code: wine, name: {en: Wine, es: Vino, fr: Vin}}
  - {code: deli, name: {en: Deli, es: Delicatessen, fr: Épicerie fine}}
  - {code: gifts, name: {en: Gifts, es: Regalos, fr: Cadeaux}}
"""

PRODUCTS = [
    ("VINO-TINTO-75", "wine", Decimal("12.50")),
    ("VINO-BLANCO-75", "wine", Decimal("11.00")),
    ("CAVA-BRUT-75", "wine", Decimal("15.90")),
    ("QUESO-CURADO", "deli", Decimal("18.00")),
    ("ACEITE-1L", "deli", Decimal("9.50")),
    ("CAJA-REGALO", "gifts", Decimal("45.00")),
]
FIRST_NAMES = [
    "Lucía", "Hugo", "Martina", "Mateo", "Sofía", "Léa", "Gabriel", "Chloé", "Louis", "Inès",
    "Oliver", "Amelia", "Noah", "Isla", "Carmen", "Pablo", "Élodie", "Théo", "Marta", "Jules",
]  # fmt: skip
LAST_NAMES = [
    "García", "Martínez", "López", "Sánchez", "Dubois", "Moreau", "Laurent", "Smith", "Jones",
    "Taylor", "Fernández", "Bernard", "Roux", "Navarro", "Brown", "Gómez",
]  # fmt: skip
# The demo logins of members.demo, each in one of the three languages.
DEMO_LANGUAGES = {"ana@tessera.test": "es", "louis@tessera.test": "fr", "emma@tessera.test": "en"}
CHANNELS = ["store"] * 5 + ["online"] * 3 + ["app"] * 2


def demo_program_text() -> str:
    """PROGRAM.md's example with the demo's category names and its largest purchase (a till's
    slip of the keypad is refused, as PROGRAM.md's example shows)."""
    text = EXAMPLE_PROGRAM.read_text(encoding="utf-8")
    text = text.replace("\n  expiry:", '\n  max_purchase_amount: "2000.00"\n  expiry:', 1)
    return text.replace("\ntiers:", f"\n{DEMO_CATEGORIES}\ntiers:", 1)


def _basket(rng: random.Random) -> tuple[Decimal, list[dict]]:
    lines = []
    for sku, category, price in rng.sample(PRODUCTS, rng.randint(1, 3)):
        quantity = rng.choice([1, 1, 1, 2, 2, 3, 6])
        lines.append({"sku": sku, "category": category, "quantity": quantity, "unit_price": price})
    amount = sum((line["quantity"] * line["unit_price"] for line in lines), Decimal(0))
    return amount, [{**line, "unit_price": str(line["unit_price"])} for line in lines]


def _history(rng: random.Random, member: Member, *, now) -> None:
    """A year of purchases; big spenders climb tiers, a few refund, recent ones are pending."""
    appetite = rng.choice([2, 4, 6, 10, 16, 24])
    start = member.joined_at
    span = (now - start).total_seconds()
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(appetite))
    # A refund is recorded now: after the member's history, so that their tier changes follow
    # one another in time (a refund's downgrade dated now, then upgrades dated earlier, would
    # read as a history that ends on the wrong tier).
    refunds = []
    for n, moment in enumerate(moments):
        amount, items = _basket(rng)
        purchase, _created = purchase_record(
            member=member,
            external_id=f"demo-{member.member_number}-{n:03d}",
            amount=amount,
            currency=DEFAULT_CURRENCY,
            purchased_at=moment,
            channel=rng.choice(CHANNELS),
            items=items,
        )
        if rng.random() < 0.06:
            refunds.append((purchase, items[0]))
    for purchase, line in refunds:
        refund_record(
            purchase=purchase,
            external_id=f"{purchase.external_id}-r",
            amount=Decimal(line["unit_price"]),
            items=[{**line, "quantity": 1}],
        )


def _member(rng: random.Random, n: int, *, now, user=None) -> Member:
    first = user.first_name if user else rng.choice(FIRST_NAMES)
    last = user.last_name if user else rng.choice(LAST_NAMES)
    email = user.email if user else f"member{n:03d}@tessera.test"
    language = DEMO_LANGUAGES.get(email) or rng.choice(["es", "fr", "en"])
    return member_join(
        user=user,
        email=email,
        first_name=first,
        last_name=last,
        phone=f"+3460{n:07d}",
        birthday=Birthday(day=rng.randint(1, 28), month=rng.randint(1, 12)),
        language=language,
        marketing_email_opt_in=rng.random() < 0.6,
        joined_at=now - timedelta(days=rng.randint(30, 395)),
        consent_source=ConsentSource.IMPORT,  # the demo is a shop's history
    )


def load() -> list[tuple[str, str, str]]:
    if program_version_latest() is not None:
        return []
    now = timezone.now()
    # The program is dated a year back so the history below is scored with it.
    program_import(text=demo_program_text(), note="demo data")
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    users = get_user_model().objects.filter(email__in=DEMO_LANGUAGES).order_by("email")
    members = [_member(rng, 0, now=now, user=user) for user in users]
    members += [_member(rng, n, now=now) for n in range(1, MEMBER_COUNT + 1 - len(members))]
    for member in members:
        _history(rng, member, now=now)
    for member in members:
        ledger.lots_mature(member=member, at=now)
        ledger.points_expire(member=member, at=now)
    # The demo's history is not news: its upgrades are marked told, so no notice is mailed
    # (printed, with the embedded default) for them.
    TierChange.objects.filter(notified_at__isnull=True).update(notified_at=now)
    summary = f"{len(members)} members, {Purchase.objects.count()} purchases over a year"
    return [("(no login)", summary, "")]
