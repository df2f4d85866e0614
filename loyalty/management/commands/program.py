"""`manage.py program export | import FILE | diff FILE | simulate FILE --from --to` (PROGRAM.md,
ANALYTICS.md "The program simulator")."""

import datetime
import json
import sys
from argparse import ArgumentTypeError
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loyalty.imports.base import Progress, progress_stream
from loyalty.program_file import ProgramInvalid
from loyalty.selectors.program import (
    ProgramNotConfigured,
    program_definition_for_import,
    program_diff_for_text,
    program_export_text,
)
from loyalty.services.program import program_import
from loyalty.simulation import Period, Simulation, simulation_compute


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
        simulator = actions.add_parser(
            "simulate",
            help="replay the purchases and refunds of a window under FILE, writing nothing, "
            "and compare it with the live program",
        )
        simulator.add_argument("file", help="the draft program file, or - for stdin")
        simulator.add_argument(
            "--from",
            dest="start",
            type=_date,
            required=True,
            help="first day of the window (YYYY-MM-DD, the program's calendar)",
        )
        simulator.add_argument(
            "--to",
            dest="end",
            type=_date,
            required=True,
            help="the day after the window (YYYY-MM-DD): the window is [from, to)",
        )
        simulator.add_argument(
            "--json", action="store_true", help='print {"live": {...}, "draft": {...}}'
        )
        simulator.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes to replay with (default: one per core, up to 4, for a large "
            "history on PostgreSQL; one otherwise)",
        )

    def handle(self, *args, action: str, **options) -> None:
        try:
            if action == "export":
                self.stdout.write(program_export_text(), ending="")
            elif action == "diff":
                self._diff(self._read(options["file"]))
            elif action == "simulate":
                self._simulate(options)
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

    def _simulate(self, options) -> None:
        text = self._read(options["file"])
        draft = program_definition_for_import(text=text)  # validated as `import` would
        try:
            window = Period(start=options["start"], end=options["end"])
        except ValueError:
            raise CommandError("--to must be after --from") from None
        workers = options["workers"]
        if workers is not None and workers < 1:
            raise CommandError("--workers must be at least 1")
        bar = _Bar(progress_stream(self.stderr._out))
        simulation = simulation_compute(
            draft=draft, window=window, progress=bar.advance, workers=workers
        )
        bar.close()
        if options["json"]:
            self.stdout.write(json.dumps(simulation.figures, indent=2))
            return
        for line in simulation_lines(simulation, name=options["file"]):
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


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class _Bar:
    """The import commands' progress bar, on a terminal only, made once the total is known."""

    def __init__(self, stream):
        self.stream = stream
        self.bar: Progress | None = None

    def advance(self, done: int, total: int) -> None:
        if self.stream is None:
            return
        if self.bar is None:
            self.bar = Progress(self.stream, total=total, label="replay")
        self.bar.advance(done - self.bar.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _number(value: int) -> str:
    return f"{value:,}"


def _difference(live, draft) -> str:
    change = draft - live
    return f"{change:+,}" if change else "0"


def simulation_lines(simulation: Simulation, *, name: str) -> list[str]:
    """The side-by-side table `program simulate` prints, and what its figures rest on."""
    live, draft = simulation.figures["live"], simulation.figures["draft"]
    window = simulation.window
    currency = simulation.currency
    rows: list[tuple[str, str, str, str]] = []

    def row(label: str, key: str | None = None, *, values=None, money: bool = False) -> None:
        left, right = values if values is not None else (live[key], draft[key])
        if money:
            left, right = Decimal(left), Decimal(right)
            rows.append((label, f"{left:,.2f}", f"{right:,.2f}", _money_change(left, right)))
        else:
            rows.append((label, _number(left), _number(right), _difference(left, right)))

    row("Points issued", "points_issued")
    for code in live["points_by_rule"]:
        row(f"  {code}", values=(live["points_by_rule"][code], draft["points_by_rule"][code]))
    rows.append(("Members per tier at the end", "", "", ""))
    for code in dict.fromkeys([*live["members_per_tier"], *draft["members_per_tier"]]):
        counts = (live["members_per_tier"].get(code, 0), draft["members_per_tier"].get(code, 0))
        row(f"  {code}", values=counts)
    row("Upgrades", "upgrades")
    row("Downgrades", "downgrades")
    row("Outstanding points at the end", "outstanding_points")
    row(f"Liability ({currency})", "liability", money=True)
    row(f"Expected reward cost ({currency})", "expected_reward_cost", money=True)
    width = max(len(label) for label, *_ in rows) + 2
    lines = [
        f"Simulation of {name} from {window.start} to {window.end} (excluded, "
        f"{simulation.time_zone}): {simulation.purchases_scored:,} purchases and "
        f"{simulation.refunds_rescored:,} refunds rescored under the draft.",
        "",
        f"{'':{width}}{'live':>15}{'draft':>15}{'difference':>15}",
        *(f"{label:{width}}{a:>15}{b:>15}{c:>15}" for label, a, b, c in rows),
        "",
    ]
    if simulation.breakage is None:
        lines.append(
            "Liability: outstanding points x point value; breakage is not estimable yet "
            f"(nothing expired in the 12 months before {window.end})."
        )
    else:
        lines.append(
            "Liability: outstanding points x point value x (1 - breakage), breakage "
            f"{simulation.breakage:.2%} (points expired / (expired + redeemed) over the 12 "
            f"months before {window.end})."
        )
    rate = simulation.redemption_rate
    redemption = f"{rate:.2%}" if rate is not None else "none: no points issued"
    lines += [
        f"Expected reward cost: points issued x the window's redemption rate ({redemption}) "
        "x point value.",
        "Both sides keep what history recorded besides the window's purchases and refunds: "
        "event bonuses, redemptions, expiries, reversals, and refunds of older purchases.",
    ]
    return lines


def _money_change(live: Decimal, draft: Decimal) -> str:
    change = draft - live
    return f"{change:+,.2f}" if change else "0"
