"""`manage.py program export | import FILE | diff FILE` (PROGRAM.md)."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loyalty.program_file import ProgramInvalid
from loyalty.selectors.program import (
    ProgramNotConfigured,
    program_diff_for_text,
    program_export_text,
)
from loyalty.services.program import program_import


class Command(BaseCommand):
    help = "Export, import or diff the loyalty program as one YAML file (see PROGRAM.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("export", help="write the current program to stdout")
        importer = actions.add_parser(
            "import", help="replace the program with FILE (all or nothing)"
        )
        importer.add_argument("file", help="program file, or - for stdin")
        importer.add_argument("--note", default="", help="recorded on the new program version")
        importer.add_argument(
            "--user", default=None, help="email of the staff user recorded as the author"
        )
        differ = actions.add_parser("diff", help="list what importing FILE would change")
        differ.add_argument("file", help="program file, or - for stdin")

    def handle(self, *args, action: str, **options) -> None:
        try:
            if action == "export":
                self.stdout.write(program_export_text(), ending="")
            elif action == "diff":
                self._diff(self._read(options["file"]))
            else:
                self._import(options)
        except ProgramNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        except ProgramInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            count = len(invalid.errors)
            raise CommandError(
                f"{count} error{'s' if count != 1 else ''}; nothing was changed"
            ) from None

    def _read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        try:
            return Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {name}: {exc}") from exc

    def _diff(self, text: str) -> None:
        changes = program_diff_for_text(text=text)
        if not changes:
            self.stdout.write("No changes.")
        for line in changes:
            self.stdout.write(line)

    def _import(self, options) -> None:
        text = self._read(options["file"])
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(email__iexact=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user with email {options['user']}")
        note = options["note"] or f"program import {Path(options['file']).name}"
        result = program_import(text=text, actor=actor, note=note)
        if not result.is_new_version:
            self.stdout.write(f"No changes; version {result.version.number} stays in force.")
            return
        self.stdout.write(f"Imported: version {result.version.number}.")
        for line in result.changes:
            self.stdout.write(f"  {line}")
