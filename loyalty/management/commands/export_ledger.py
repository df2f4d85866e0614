from loyalty.exports import CsvLayout, ledger_csv
from loyalty.management.export_command import ExportCommand


class Command(ExportCommand):
    help = "Write the whole points ledger as CSV, oldest entry first, to stdout or --output."

    def lines(self, layout: CsvLayout):
        return ledger_csv(layout=layout)
