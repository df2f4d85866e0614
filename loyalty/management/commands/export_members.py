from loyalty.exports import CsvLayout, members_csv
from loyalty.management.export_command import ExportCommand


class Command(ExportCommand):
    help = "Write every member with their points and tier as CSV, to stdout or --output."

    def lines(self, layout: CsvLayout):
        return members_csv(layout=layout)
