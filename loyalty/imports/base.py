"""The bulk import run, shared by members and purchases (API.md, "Bulk import").

A run reads the CSV file twice, streaming, in batches; it never holds the file:

1. **Check**: every row is parsed and checked (lookups batched per `batch_size` rows). Only what
   cross-row checks need is kept (the ids seen so far), plus the first `PROBLEMS_KEPT` problems
   for the report. Bad rows are written to the rejects file as they are found.
2. **Import**, only when the check found no bad row or `skip_invalid` is set: the file is read
   again, each batch re-checked (the database may have moved: a row imported since is now
   "known" and skipped) and written with bulk inserts.

All or nothing: without `skip_invalid` the whole second pass is one transaction, so a failure
half-way (a database error, a row that became invalid since the check, an interrupt) leaves
nothing imported. With `skip_invalid` each batch commits on its own (a long import then holds
no lock for long); a run stopped half-way is finished by running it again, because a known
`external_id` (or email) is skipped.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction

PROBLEMS_KEPT = 1000
BATCH_SIZE = 1000
REASON_COLUMN = "reason"
LINE_COLUMN = "line"


class ImportRefused(Exception):
    """The file cannot be read as this kind of import (bad header, not CSV, not UTF-8)."""


class RowInvalid(Exception):
    """A bad row; the message is the reason shown with the line number."""


class RowChangedSinceCheck(Exception):
    """A row that passed the check failed when imported: the all-or-nothing import stops."""


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Checked:
    """One row after its check: `value` to import, or `reason` (bad), or `is_known` (skipped)."""

    line: int
    row: dict[str, str]
    value: Any = None
    reason: str = ""
    is_known: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.reason


@dataclass
class ImportReport:
    kind: str
    rows_read: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    file_problem: str = ""
    seconds: float = 0.0
    rejects_path: str = ""
    is_applied: bool = False

    @property
    def is_valid(self) -> bool:
        return not self.file_problem and not self.rejected

    @property
    def problems_left_out(self) -> int:
        return max(self.rejected - len(self.problems), 0)

    def problem_add(self, problem: Problem) -> None:
        self.rejected += 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(problem)

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read, {self.imported} imported, {self.skipped} skipped "
            f"(already known), {self.rejected} rejected, {self.seconds:.1f} s"
        )


class Importer:
    """One kind of import. Subclasses declare the columns and implement the batch check and
    write; `checks_reset` clears the cross-row state between the two passes."""

    kind = ""
    columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()
    batch_size = BATCH_SIZE

    def header_check(self, names: list[str]) -> list[str]:
        problems = []
        unknown = [name for name in names if name not in self.columns]
        if unknown:
            problems.append(
                f"unknown column(s): {', '.join(unknown)} (expected: {', '.join(self.columns)})"
            )
        missing = [name for name in self.required_columns if name not in names]
        if missing:
            problems.append(f"missing required column(s): {', '.join(missing)}")
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            problems.append(f"column(s) given twice: {', '.join(duplicated)}")
        return problems

    def checks_reset(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def batch_check(self, rows: list[tuple[int, dict[str, str]]]) -> list[Checked]:
        raise NotImplementedError  # pragma: no cover

    def batch_write(self, rows: list[Checked]) -> int:
        """Write the valid, unknown rows (under the caller's transaction); returns how many."""
        raise NotImplementedError  # pragma: no cover


# --- Reading ---------------------------------------------------------------------------------


def _rows(path: Path, importer: Importer) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row, streaming. The line number is the file's (the
    header is line 1; a quoted value spanning lines counts its lines)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportRefused("the file is empty") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportRefused(f"line 1: not a readable CSV file ({error})") from None
        names = [name.strip() for name in header]
        problems = importer.header_check(names)
        if problems:
            raise ImportRefused("line 1: " + "; ".join(problems))
        line = reader.line_num
        try:
            for values in reader:
                start, line = line + 1, reader.line_num
                if not any(value.strip() for value in values):
                    continue  # blank lines are not rows
                if len(values) != len(names):
                    yield start, {"__width__": f"{len(values)} values for {len(names)} columns"}
                    continue
                yield start, dict(zip(names, (value.strip() for value in values), strict=True))
        except csv.Error as error:
            raise ImportRefused(f"line {reader.line_num}: not readable as CSV ({error})") from None
        except UnicodeDecodeError:
            raise ImportRefused(f"after line {line}: the file is not UTF-8") from None


def _batches(rows: Iterator, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_checked(importer: Importer, rows: list[tuple[int, dict[str, str]]]) -> list[Checked]:
    """The importer's check, with a row of the wrong width refused before it sees it."""
    bad = [Checked(line, row, reason=row["__width__"]) for line, row in rows if "__width__" in row]
    good = [(line, row) for line, row in rows if "__width__" not in row]
    checked = importer.batch_check(good) if good else []
    return sorted([*bad, *checked], key=lambda checked: checked.line)


def line_count(path: Path) -> int:
    """Data lines in the file, for the progress bar: a byte count of newlines, constant memory."""
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return max(count - 1, 0)


# --- Progress --------------------------------------------------------------------------------


class Progress:
    """A one-line bar on a terminal, redrawn at most ten times a second; silent otherwise."""

    WIDTH = 30

    def __init__(self, stream: IO[str] | None, *, total: int, label: str):
        self.stream = stream
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at = 0.0

    def advance(self, rows: int) -> None:
        self.done += rows
        now = time.monotonic()
        if self.stream is None or now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        self._draw(now)

    def close(self) -> None:
        if self.stream is not None:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float) -> None:
        share = min(self.done / self.total, 1.0)
        filled = int(share * self.WIDTH)
        rate = self.done / max(now - self.started, 1e-6)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(
            f"\r{self.label:8} [{bar}] {share:4.0%} {self.done}/{self.total} rows "
            f"{rate:,.0f} rows/s"
        )
        self.stream.flush()


def progress_stream(stream: IO[str]) -> IO[str] | None:
    """`stream` when it is a terminal (a bar in a log file or a pipe is noise), else None."""
    try:
        return stream if stream.isatty() else None
    except (AttributeError, ValueError):
        return None


# --- The run ---------------------------------------------------------------------------------


class _Rejects:
    """The rejects file: the bad rows as they were, with their line and reason."""

    def __init__(self, path: Path | None):
        self.path = path
        self.handle: io.TextIOWrapper | None = None
        self.writer: Any = None

    def write(self, checked: Checked) -> None:
        if self.path is None:
            return
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self.writer = csv.writer(self.handle)
            self.writer.writerow([LINE_COLUMN, REASON_COLUMN, "row"])
        row = {k: v for k, v in checked.row.items() if k != "__width__"}
        self.writer.writerow([checked.line, checked.reason, _row_text(row)])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _row_text(row: dict[str, str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row.values())
    return buffer.getvalue().rstrip("\r\n")


def import_run(
    *,
    importer: Importer,
    path: Path | str,
    is_applied: bool = True,
    skip_invalid: bool = False,
    rejects_path: Path | str | None = None,
    progress: IO[str] | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> ImportReport:
    """Check `path` and, when `is_applied`, import it (see the module docstring). Returns the
    report; nothing is imported when the check finds a bad row, unless `skip_invalid`."""
    path = Path(path)
    started = time.monotonic()
    report = ImportReport(kind=importer.kind)
    rejects = _Rejects(Path(rejects_path) if rejects_path else None)
    total = line_count(path) if progress is not None else 0
    try:
        try:
            _check_pass(importer, path, report, rejects, progress, total, on_problem)
        except ImportRefused as refused:
            report.file_problem = str(refused)
            report.seconds = time.monotonic() - started
            return report
        if rejects.writer is not None:
            report.rejects_path = str(rejects.path)
        if is_applied and (report.is_valid or skip_invalid):
            if skip_invalid:
                _import_pass(importer, path, report, rejects, progress, total, by_batch=True)
            else:
                with transaction.atomic():
                    _import_pass(importer, path, report, rejects, progress, total, by_batch=False)
            report.is_applied = True
    finally:
        rejects.close()
    report.seconds = time.monotonic() - started
    return report


def _check_pass(importer, path, report, rejects, progress, total, on_problem) -> None:
    importer.checks_reset()
    bar = Progress(progress, total=total, label="checking")
    for batch in _batches(_rows(path, importer), importer.batch_size):
        for checked in rows_checked(importer, batch):
            report.rows_read += 1
            if not checked.is_valid:
                problem = Problem(checked.line, checked.reason)
                report.problem_add(problem)
                rejects.write(checked)
                if on_problem is not None:
                    on_problem(problem)
            elif checked.is_known:
                report.skipped += 1
        bar.advance(len(batch))
    bar.close()


def _import_pass(importer, path, report, rejects, progress, total, *, by_batch: bool) -> None:
    importer.checks_reset()
    report.skipped = 0
    bar = Progress(progress, total=total, label="import")
    for batch in _batches(_rows(path, importer), importer.batch_size):
        checked = rows_checked(importer, batch)
        with transaction.atomic() if by_batch else contextlib.nullcontext():
            # Rows the check refused are refused again (same rows, same rules) and were
            # reported already; a row refused now but not then changed under us.
            bad = [row for row in checked if not row.is_valid]
            if bad and not by_batch:
                lines = ", ".join(str(row.line) for row in bad[:5])
                raise RowChangedSinceCheck(
                    f"line(s) {lines} became invalid while importing: {bad[0].reason}"
                )
            known = [row for row in checked if row.is_valid and row.is_known]
            report.skipped += len(known)
            report.imported += importer.batch_write(
                [row for row in checked if row.is_valid and not row.is_known]
            )
        bar.advance(len(batch))
    bar.close()


def report_print(report: ImportReport, *, write: Callable[[str], None], is_final=True) -> None:
    """The report as a command prints it (the admin renders the same fields)."""
    if report.file_problem:
        write(f"The file is refused: {report.file_problem}")
    for problem in report.problems:
        write(str(problem))
    if report.problems_left_out:
        write(f"... and {report.problems_left_out} more bad rows")
    if report.rejects_path:
        write(f"Rejected rows with their reasons: {report.rejects_path}")
    if not report.is_applied and (report.file_problem or report.rejected):
        write("Nothing was imported.")
    if is_final:
        write(report.summary())
