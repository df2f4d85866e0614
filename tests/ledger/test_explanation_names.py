# ruff: noqa: RUF001 - the explanations use the multiplication sign.
"""Explanations name what a rule counted as the member reads it: the category's name in their
language, never a SKU."""

from django.utils import translation

from loyalty.explanations import entry_explanation
from loyalty.models import EntryKind, LedgerEntry

PARTS = [
    {"part": "I", "inputs": {"category": "wine", "quantity": 2, "points": 1}, "value": 2},
    {"part": "I", "inputs": {"sku": "SKU-8841", "quantity": 1, "points": 5}, "value": 5},
    {"part": "C", "inputs": {"category": "cheese", "share": "10", "multiplier": "2"}, "value": 0},
]


def test_a_category_reads_by_its_name_and_a_sku_as_this_product():
    entry = LedgerEntry(kind=EntryKind.EARN, points=7, breakdown=PARTS)
    with translation.override("es"):
        lines = entry_explanation(
            entry, currency="EUR", category_names={"wine": "Vino", "cheese": "Queso"}
        ).lines
    text = "\n".join(lines)
    assert "Vino" in text
    assert "×2 en Queso" in text or "Queso" in text
    assert "wine" not in text
    assert "SKU-8841" not in text
    assert "este producto" in text
