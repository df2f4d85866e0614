"""The bulk import run, shared by members and purchases (API.md, "Bulk import").

A run first looks at the file's bytes once to find how it is written (`file_format`: UTF-8 or
Windows-1252, the separator; `cells`: decimal commas, dates day first when told so), then reads
its rows once, streaming, in batches; it never holds the file:

1. **Check**: every row is parsed and checked (lookups batched per `batch_size` rows); bad rows
   are written to the rejects file as they are found, and only the first `PROBLEMS_KEPT`
   problems are kept for the report. The rows to import (valid and not known yet) go, as
   checked, to a spill file on disk, so that the import does not parse and look them up again.
   Keys seen so far (to refuse a duplicate inside the file) are kept in the database
   (`SeenKeys`), not in memory: memory stays flat however long the file.
2. **Import**, only when the check found no bad row or `skip_invalid` is set: the spill is read
   back batch by batch; each batch is refreshed (the database may have moved: a row imported
   since the check is now "known" and skipped) and written with bulk inserts.

All or nothing: without `skip_invalid` the whole import is one transaction, so a failure
half-way (a row the database refuses, an interrupt) leaves nothing imported. With
`skip_invalid` each batch commits on its own (a long import then holds no lock for long); a run
stopped half-way is finished by running it again, because a known `external_id` (or email) is
skipped.

A batch the database (or the scoring) refuses is written again in halves until the refused
rows are found; each is reported with its line and reason like a row the check refused: in the
rejects file with `skip_invalid`, and otherwise as the reason nothing was imported.
"""

from __future__ import annotations

import csv
import io
import pickle
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction

from loyalty.csv_cells import csv_writer
from loyalty.imports.cells import CellReader
from loyalty.imports.errors import ImportRefused, RowInvalid
from loyalty.imports.file_format import FileFormat, file_format_detect

PROBLEMS_KEPT = 1000
BATCH_SIZE = 1000
REASON_COLUMN = "reason"
LINE_COLUMN = "line"


# What a row can make a batch's write fail with: its values refused by the database (a number
# too large for its column, a constraint) or by the arithmetic. Anything else (a lost
# connection, a bug) stops the import.
ROW_FAILURES = (DataError, IntegrityError, RowInvalid, ArithmeticError)


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
    file_format: FileFormat | None = None  # the encoding and separator found; None: unreadable

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
    """One kind of import. Subclasses declare the columns and implement the batch check, refresh
    and write; the other hooks bound what they keep from batch to batch."""

    kind = ""
    columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()
    batch_size = BATCH_SIZE
    # How the file writes numbers and dates: set by `import_run` from the separator found in the
    # file's header and whether it was said to write dates day first.
    cells = CellReader()

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
        """A check starts: forget the cross-row state (the keys seen)."""
        raise NotImplementedError

    def batch_check(self, rows: list[tuple[int, dict[str, str]]]) -> list[Checked]:
        raise NotImplementedError  # pragma: no cover

    def batch_refresh(self, rows: list[Checked]) -> None:
        """Mark `is_known` the checked rows that became known since the check."""
        raise NotImplementedError  # pragma: no cover

    def writes_begin(self) -> None:
        """A transaction starts (one per batch with `skip_invalid`, else one for the import), or
        the last one was rolled back: forget anything kept from rows locked before."""

    def writes_end(self) -> None:
        """The transaction is about to commit: write whatever was kept to write once."""

    def batch_write(self, rows: list[Checked]) -> int:
        """Write the valid, unknown rows (under the caller's savepoint or transaction); returns
        how many."""
        raise NotImplementedError  # pragma: no cover

    def batch_done(self) -> None:
        """The last `batch_write` went well (the transaction goes on)."""

    def close(self) -> None:
        """The run is over: release what the importer holds (the keys seen)."""


class SeenKeys:
    """The keys (external ids, emails) of the rows read so far, to refuse a second row with the
    same one. On PostgreSQL they are kept in a temporary table (its primary key decides), since a
    million ids in a Python set take some 100 MB; elsewhere (SQLite in development) in a set."""

    def __init__(self) -> None:
        self.table = ""
        self.keys: set[str] = set()

    def batch_seen(self, keys: list[str]) -> list[bool]:
        """For each key, in order: whether a row before had it (in this batch or before)."""
        new = self._add(list(dict.fromkeys(keys)))
        firsts: set[str] = set()
        seen = []
        for key in keys:
            seen.append(key not in new or key in firsts)
            firsts.add(key)
        return seen

    def _add(self, keys: list[str]) -> set[str]:
        """Add distinct `keys`; returns those not seen before."""
        if connection.vendor != "postgresql":
            new = set(keys) - self.keys
            self.keys |= new
            return new
        with connection.cursor() as cursor:
            if not self.table:
                self.table = f"import_seen_{secrets.token_hex(8)}"
                cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (key text PRIMARY KEY)")
            cursor.execute(
                f"INSERT INTO {self.table} (key) SELECT unnest(%s::text[]) "
                f"ON CONFLICT DO NOTHING RETURNING key",
                [keys],
            )
            return {row[0] for row in cursor.fetchall()}

    def close(self) -> None:
        """Forget every key."""
        self.keys = set()
        table, self.table = self.table, ""
        if table:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
            except DatabaseError:
                # An aborted transaction (an import that failed): the table goes with it, or
                # with the session.
                pass


# --- Reading ---------------------------------------------------------------------------------


def _rows(
    path: Path, importer: Importer, file_format: FileFormat
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row, streaming. The line number is the file's (the
    header is line 1; a quoted value spanning lines counts its lines)."""
    with open(path, encoding=file_format.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=file_format.separator)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportRefused("the file is empty") from None
        except csv.Error as error:
            raise ImportRefused(f"line 1: not a readable CSV file ({error})") from None
        names = [name.strip() for name in header]
        # A spreadsheet writes the empty columns of a sheet used wider than its data: nameless
        # at the end of the header, empty at the end of each row. They are not columns.
        width = len(names)
        while names and not names[-1]:
            names.pop()
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
                    if not _is_empty_beyond(values, len(names), width):
                        yield start, {"__width__": f"{len(values)} values for {len(names)} columns"}
                        continue
                    values = values[: len(names)]
                yield start, dict(zip(names, (value.strip() for value in values), strict=True))
        except csv.Error as error:
            raise ImportRefused(f"line {reader.line_num}: not readable as CSV ({error})") from None
        except UnicodeDecodeError:
            # Checked before (file_format_detect): the file changed since.
            raise ImportRefused(f"after line {line}: the file changed while it was read") from None


def _is_empty_beyond(values: list[str], columns: int, width: int) -> bool:
    """Whether a row longer than the `columns` named has only empty values after them, within
    the header's `width` (its nameless columns included)."""
    return columns < len(values) <= width and not any(v.strip() for v in values[columns:])


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
            self.writer = csv_writer(self.handle)
            self.writer.writerow([LINE_COLUMN, REASON_COLUMN, "row"])
        row = {k: v for k, v in checked.row.items() if k != "__width__"}
        self.writer.writerow([checked.line, checked.reason, _row_text(row)])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _row_text(row: dict[str, str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row.values())  # one cell of the rejects file: neutralised there
    return buffer.getvalue().rstrip("\r\n")


class _Spill:
    """The checked rows to import, pickled batch by batch to an anonymous temporary file: the
    import reads them back instead of parsing and looking up the file's rows a second time."""

    def __init__(self) -> None:
        self.handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the run
        self.rows = 0

    def write(self, rows: list[Checked]) -> None:
        if rows:
            pickle.dump(rows, self.handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.rows += len(rows)

    def rows_read(self) -> Iterator[Checked]:
        self.handle.seek(0)
        while True:
            try:
                rows = pickle.load(self.handle)  # noqa: S301 - written by this run, above
            except EOFError:
                return
            yield from rows

    def close(self) -> None:
        self.handle.close()


class _RolledBack(Exception):
    """Leaves a transaction that must write nothing."""


def import_run(
    *,
    importer: Importer,
    path: Path | str,
    is_applied: bool = True,
    skip_invalid: bool = False,
    is_day_first: bool = False,
    rejects_path: Path | str | None = None,
    progress: IO[str] | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> ImportReport:
    """Check `path` and, when `is_applied`, import it (see the module docstring). Returns the
    report; nothing is imported when a row is bad, unless `skip_invalid`. The file's encoding
    and separator are found in it (`file_format`); its dates are read day first as well as ISO
    8601 only when `is_day_first` (`cells`)."""
    path = Path(path)
    started = time.monotonic()
    run = _Run(
        importer=importer,
        report=ImportReport(kind=importer.kind),
        rejects=_Rejects(Path(rejects_path) if rejects_path else None),
        progress=progress,
        on_problem=on_problem,
        skip_invalid=skip_invalid,
        is_day_first=is_day_first,
    )
    spill = _Spill() if is_applied else None
    try:
        run.check(path, spill=spill)
        if spill is not None and (run.report.is_valid or skip_invalid):
            run.write(spill)
    except ImportRefused as refused:
        run.report.file_problem = str(refused)
    finally:
        if spill is not None:
            spill.close()
        run.rejects.close()
        importer.close()
    if run.rejects.writer is not None:
        run.report.rejects_path = str(run.rejects.path)
    run.report.seconds = time.monotonic() - started
    return run.report


@dataclass
class _Run:
    importer: Importer
    report: ImportReport
    rejects: _Rejects
    progress: IO[str] | None
    on_problem: Callable[[Problem], None] | None
    skip_invalid: bool
    is_day_first: bool

    def reject(self, checked: Checked) -> None:
        problem = Problem(checked.line, checked.reason)
        self.report.problem_add(problem)
        self.rejects.write(checked)
        if self.on_problem is not None:
            self.on_problem(problem)

    def check(self, path: Path, *, spill: _Spill | None) -> None:
        importer = self.importer
        file_format = self.report.file_format = file_format_detect(path)
        importer.cells = CellReader(separator=file_format.separator, is_day_first=self.is_day_first)
        importer.checks_reset()
        bar = Progress(self.progress, total=max(file_format.lines - 1, 0), label="checking")
        for batch in _batches(_rows(path, importer, file_format), importer.batch_size):
            rows = []
            for checked in rows_checked(importer, batch):
                self.report.rows_read += 1
                if not checked.is_valid:
                    self.reject(checked)
                elif checked.is_known:
                    self.report.skipped += 1
                else:
                    rows.append(checked)
            if spill is not None and (self.skip_invalid or not self.report.rejected):
                spill.write(rows)  # (once a row is bad, all or nothing imports none)
            bar.advance(len(batch))
        bar.close()

    def write(self, spill: _Spill) -> None:
        bar = Progress(self.progress, total=spill.rows, label="import")
        batches = _batches(spill.rows_read(), self.importer.batch_size)
        if self.skip_invalid:
            for batch in batches:
                self.report.imported += self.rows_write(self.rows_unknown(batch))
                bar.advance(len(batch))
        else:
            self.all_write(batches, bar)
        bar.close()
        self.report.is_applied = self.skip_invalid or not self.report.rejected

    def all_write(self, batches: Iterator[list[Checked]], bar: Progress) -> None:
        """All or nothing: one transaction (no savepoint per batch: past 64 subtransactions,
        every other session's snapshot would have to look ours up). When a batch fails, it is
        written again on its own, in a transaction rolled back too, to find the rows refused."""
        importer = self.importer
        rows: list[Checked] = []
        try:
            with transaction.atomic():
                _constraints_immediate()
                importer.writes_begin()
                for batch in batches:
                    rows = self.rows_unknown(batch)
                    self.report.imported += importer.batch_write(rows)
                    importer.batch_done()
                    bar.advance(len(batch))
                importer.writes_end()
        except ROW_FAILURES:
            self.report.imported = 0
            try:
                with transaction.atomic():
                    self.rows_write(rows)
                    raise _RolledBack
            except _RolledBack:
                pass
            if not self.report.rejected:
                raise  # not a row's doing after all: nothing is imported, and this says why

    def rows_unknown(self, batch: list[Checked]) -> list[Checked]:
        """The batch's rows still unknown (some may have been imported since the check)."""
        self.importer.batch_refresh(batch)
        self.report.skipped += sum(1 for row in batch if row.is_known)
        return [row for row in batch if not row.is_known]

    def rows_write(self, rows: list[Checked]) -> int:
        """Write `rows` in one transaction (a savepoint when finding the rows refused under all
        or nothing); when that fails, each half the same way, down to the rows refused on their
        own, which are rejected."""
        if not rows:
            return 0
        importer = self.importer
        try:
            with transaction.atomic():
                _constraints_immediate()
                importer.writes_begin()
                written = importer.batch_write(rows)
                importer.writes_end()
        except ROW_FAILURES as error:
            importer.writes_begin()  # what it kept went with the rollback
            if len(rows) == 1:
                rows[0].reason = _failure_reason(error)
                self.reject(rows[0])
                return 0
            middle = len(rows) // 2
            return self.rows_write(rows[:middle]) + self.rows_write(rows[middle:])
        importer.batch_done()
        return written


def _constraints_immediate() -> None:
    """Check foreign keys as each row is written rather than at commit: a row pointing at a
    member deleted since the check then fails with its batch, where it can be found; and the
    server queues no check per row until the commit (millions for a long file)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _failure_reason(error: Exception) -> str:
    if isinstance(error, RowInvalid):
        return str(error)
    if isinstance(error, ArithmeticError):
        return f"the points cannot be computed ({type(error).__name__})"
    lines = str(error).strip().splitlines()
    return f"the database refused the row: {lines[0] if lines else type(error).__name__}"


def report_print(report: ImportReport, *, write: Callable[[str], None], is_final=True) -> None:
    """The report as a command prints it (the admin renders the same fields)."""
    if report.file_format is not None:
        write(report.file_format.describe())
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
