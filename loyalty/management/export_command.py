"""The export commands' shared shape: stream the CSV lines to stdout or to a file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand


class ExportCommand(BaseCommand):
    def lines(self) -> Iterator[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")

    def handle(self, *args, output: Path | None, **options) -> None:
        if output is None:
            # Straight to the process's stdout: OutputWrapper would add a newline per write.
            stream = self.stdout._out if self.stdout._out is not sys.stdout else sys.stdout
            for line in self.lines():
                stream.write(line)
            stream.flush()
            return
        count = -1
        with open(output, "w", encoding="utf-8", newline="") as handle:
            for line in self.lines():
                handle.write(line)
                count += 1
        self.stderr.write(f"{count} rows written to {output}")
