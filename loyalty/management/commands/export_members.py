from loyalty.exports import members_csv
from loyalty.management.export_command import ExportCommand


class Command(ExportCommand):
    help = "Write every member with their points and tier as CSV, to stdout or --output."

    def lines(self):
        return members_csv()
