from loyalty.imports.command import ImportCommand
from loyalty.imports.purchases import PurchaseImporter


class Command(ImportCommand):
    help = (
        "Import purchases from CSV: external_id, member_email or member_number, purchased_at, "
        "amount, currency, channel[, quantity, sku, category, unit_price]. Scored like live "
        "purchases as of purchased_at; a known external_id is skipped."
    )

    def importer(self) -> PurchaseImporter:
        return PurchaseImporter()
