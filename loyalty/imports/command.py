"""The import commands' shared shape: arguments, progress, the report and the exit status."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from loyalty.imports.base import Importer, import_run, progress_stream, report_print
from loyalty.selectors.program import ProgramNotConfigured


class ImportCommand(BaseCommand):
    """Check the whole file, then import it; any bad row: nothing imported, exit status 1."""

    def importer(self) -> Importer:  # pragma: no cover - overridden
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="the CSV file")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the good rows; write the bad ones with their reasons to the rejects file",
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            help="where to write the rejected rows (default: <file>.rejects-<time>.csv)",
        )
        parser.add_argument(
            "--check", action="store_true", help="only check the file and report; import nothing"
        )
        parser.add_argument(
            "--dayfirst",
            action="store_true",
            help="the file writes dates day first (31/12/2026, 31/12/2026 18:30), as a "
            "spreadsheet in Spain or France does; ISO 8601 dates are read as well",
        )

    def handle(
        self,
        *args,
        path: Path,
        skip_invalid: bool,
        rejects,
        check: bool,
        dayfirst: bool,
        **options,
    ):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if rejects is None and skip_invalid:
            stamp = datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%dT%H%M%S")
            rejects = path.with_name(f"{path.stem}.rejects-{stamp}.csv")
        try:
            importer = self.importer()
        except ProgramNotConfigured as error:
            raise CommandError(f"{error}: import the program first") from None
        report = import_run(
            importer=importer,
            path=path,
            is_applied=not check,
            skip_invalid=skip_invalid,
            is_day_first=dayfirst,
            rejects_path=rejects,
            progress=progress_stream(self.stdout._out),
        )
        report_print(report, write=self.stdout.write)
        if report.file_problem or (report.rejected and not skip_invalid):
            raise CommandError("the file has errors; nothing was imported", returncode=1)
