"""The export commands' shared shape: stream the CSV lines to stdout or to a file, laid out for
machines or, with `--excel`, for a spreadsheet in Spain or France (loyalty.exports)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand

from loyalty.exports import EXCEL, MACHINE, CsvLayout


class ExportCommand(BaseCommand):
    def lines(self, layout: CsvLayout) -> Iterator[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
        parser.add_argument(
            "--excel",
            action="store_true",
            help="for Excel in Spain or France: ';', UTF-8 with BOM, decimal commas, dates day "
            "first (31/12/2026 18:30:00) on the program's clock",
        )

    def handle(self, *args, output: Path | None, excel: bool, **options) -> None:
        layout = EXCEL if excel else MACHINE
        if output is None:
            # Straight to the process's stdout: OutputWrapper would add a newline per write.
            stream = self.stdout._out if self.stdout._out is not sys.stdout else sys.stdout
            for line in self.lines(layout):
                stream.write(line)
            stream.flush()
            return
        count = -1
        with open(output, "w", encoding="utf-8", newline="") as handle:
            for line in self.lines(layout):
                handle.write(line)
                count += 1
        self.stderr.write(f"{count} rows written to {output}")
