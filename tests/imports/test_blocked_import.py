"""The purchase import refuses a blocked member's rows with their line and "member is blocked"."""

import pytest

from console.services import member_block
from loyalty.imports.base import import_run
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import LedgerEntry, Purchase
from tests.imports.conftest import NOW, PURCHASE_HEADER

pytestmark = pytest.mark.django_db


def test_blocked_members_rows_are_rejected_with_line_and_reason(ana, bob, superuser, write_csv):
    member_block(member=bob, reason="fraud", actor=superuser)
    when = NOW.isoformat()
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok-1", "ana@example.com", when, "10.00", "EUR", "store"],
            ["blocked-1", "bob@example.com", when, "10.00", "EUR", "store"],  # line 3
        ]
    )

    report = import_run(importer=PurchaseImporter(), path=path)

    assert [(p.line, p.reason) for p in report.problems] == [(3, "member is blocked")]
    assert report.imported == 0
    assert not Purchase.objects.exists()
    assert not LedgerEntry.objects.filter(kind="earn").exists()


def test_skip_invalid_imports_the_others(ana, bob, superuser, write_csv):
    member_block(member=bob, reason="fraud", actor=superuser)
    when = NOW.isoformat()
    path = write_csv(
        [
            PURCHASE_HEADER,
            ["ok-1", "ana@example.com", when, "10.00", "EUR", "store"],
            ["blocked-1", "bob@example.com", when, "10.00", "EUR", "store"],
        ]
    )

    report = import_run(importer=PurchaseImporter(), path=path, skip_invalid=True)

    assert report.imported == 1
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["ok-1"]
