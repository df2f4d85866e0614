from loyalty.imports.command import ImportCommand
from loyalty.imports.members import MemberImporter


class Command(ImportCommand):
    help = (
        "Import members from CSV: email, first_name, last_name, phone, birth_date, language, "
        "marketing_opt_in, joined_at. A known email is skipped."
    )

    def importer(self) -> MemberImporter:
        return MemberImporter()
