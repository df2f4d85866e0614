"""Import members from CSV (API.md, "Bulk import"), in batches.

Columns: `email` (required), `first_name`, `last_name`, `phone`, `birth_date` (`YYYY-MM-DD` or
`--MM-DD`), `language` (en, es, fr), `marketing_opt_in` (`true`/`false`), `joined_at` (ISO 8601;
without an offset, the program's clock; empty: now), `time_zone` (an IANA name in any letter
case; empty: the program's). A known email is skipped. When the import is told the file writes
dates day first, `birth_date` may be `31/12/1990` and `joined_at` `31/12/2026 18:30`
(`loyalty.imports.cells`).

Each member joins as `member_join` joins one (an account without a usable password, a member
number and a referral code drawn at random, the program's sign-up bonus as of `joined_at`
computed by the same rule and built into the same rows as `event_bonus_award`'s), but a batch is
written with one bulk insert per table.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from loyalty.events import history_imported
from loyalty.imports.base import Checked, Importer, RowInvalid, SeenKeys
from loyalty.imports.cells import CellReader
from loyalty.imports.purchases import ProgramVersions
from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot
from loyalty.rules.bonus import event_bonus
from loyalty.selectors.program import ProgramNotConfigured
from loyalty.services.enrolment import SIGNUP_BONUS_REASON
from loyalty.services.ledger import account_new, event_bonus_rows
from members.birthdays import BirthDateInvalid, birth_date_parse
from members.models import ConsentChange, ConsentKind, ConsentSource, Language, Member
from members.numbers import member_number_generate, referral_code_generate
from members.time_zones import UnknownTimeZone, time_zone_clean

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "language",
    "marketing_opt_in",
    "joined_at",
    "time_zone",
)
REQUIRED_COLUMNS = ("email",)
_BOOLEANS = {"true": True, "false": False, "": False}
_MAX_LENGTHS = {"first_name": 150, "last_name": 150, "phone": 32, "email": 254}


_BIRTH_DATE_REASONS = {
    "format": "is not YYYY-MM-DD or --MM-DD",
    "date": "is not a date",
    "year": "has a year out of range",
}


def _birth_date(
    text: str, *, today: datetime.date, cells: CellReader
) -> tuple[int, int, int | None] | None:
    """(day, month, year or None), read as the API reads `birth_date` once a day-first date is
    written YYYY-MM-DD; a reason names the value as the file has it."""
    if not text:
        return None
    try:
        birthday = birth_date_parse(cells.birth_date_text(text, "birth_date"), today=today)
    except BirthDateInvalid as error:
        raise RowInvalid(f"birth_date {text!r} {_BIRTH_DATE_REASONS[error.reason]}") from None
    return birthday.day, birthday.month, birthday.year


class MemberImporter(Importer):
    kind = "members"
    columns = COLUMNS
    required_columns = REQUIRED_COLUMNS

    def __init__(self, *, actor=None):
        try:
            self.versions: ProgramVersions | None = ProgramVersions()
        except ProgramNotConfigured:
            self.versions = None  # members can be loaded before the program: no bonus then
        self.seen = SeenKeys()

    def checks_reset(self) -> None:
        self.seen.close()

    def close(self) -> None:
        self.seen.close()

    def row_parse(self, row: dict[str, str], now: datetime.datetime) -> dict:
        email = get_user_model().objects.normalize_email(row.get("email", "")).lower()
        if not email:
            raise RowInvalid("email is required")
        try:
            validate_email(email)
        except ValidationError:
            raise RowInvalid(f"email {email!r} is not a valid email address") from None
        for name, limit in _MAX_LENGTHS.items():
            if len(row.get(name, "") if name != "email" else email) > limit:
                raise RowInvalid(f"{name} is longer than {limit} characters")
        language = row.get("language", "") or Language.ENGLISH
        if language not in Language.values:
            raise RowInvalid(f"language {language!r} is not one of {', '.join(Language.values)}")
        opt_in = row.get("marketing_opt_in", "").lower()
        if opt_in not in _BOOLEANS:
            raise RowInvalid(f"marketing_opt_in {row['marketing_opt_in']!r} is not true or false")
        try:
            time_zone = time_zone_clean(row.get("time_zone", ""))
        except UnknownTimeZone:
            raise RowInvalid(
                f"time_zone {row['time_zone']!r} is not a time zone (an IANA name such as "
                "Europe/Madrid)"
            ) from None
        zone = self.versions.latest.definition.zone if self.versions else datetime.UTC
        joined_at = now
        if row.get("joined_at"):
            joined_at = self.cells.moment(row["joined_at"], "joined_at", zone=zone)
            if joined_at > now:
                raise RowInvalid("joined_at is in the future")
        return {
            "email": email,
            "first_name": row.get("first_name", ""),
            "last_name": row.get("last_name", ""),
            "phone": row.get("phone", ""),
            "birth": _birth_date(row.get("birth_date", ""), today=now.date(), cells=self.cells),
            "language": language,
            "time_zone": time_zone,
            "marketing_email_opt_in": _BOOLEANS[opt_in],
            "joined_at": joined_at,
        }

    def batch_check(self, rows: list[tuple[int, dict[str, str]]]) -> list[Checked]:
        now = timezone.now()
        checked = []
        for line, row in rows:
            try:
                checked.append(Checked(line, row, value=self.row_parse(row, now)))
            except RowInvalid as invalid:
                checked.append(Checked(line, row, reason=str(invalid)))
        valid = [row for row in checked if row.is_valid]
        seen = self.seen.batch_seen([row.value["email"] for row in valid])
        for row, is_seen in zip(valid, seen, strict=True):
            if is_seen:
                row.reason = f"email {row.value['email']} appears more than once in the file"
        self.batch_refresh(checked)
        return checked

    def batch_refresh(self, rows: list[Checked]) -> None:
        emails = [row.value["email"] for row in rows if row.is_valid]
        known = set(
            Member.objects.filter(user__email__in=emails).values_list("user__email", flat=1)
        )
        for row in rows:
            if row.is_valid and row.value["email"] in known:
                row.is_known = True

    def batch_write(self, rows: list[Checked]) -> int:
        if not rows:
            return 0
        User = get_user_model()
        now = timezone.now()
        values = [row.value for row in rows]
        # An existing sign-in without a member (a staff account...) becomes the member's, as
        # member_enrol does; everyone else gets an account with no usable password.
        users = {u.email: u for u in User.objects.filter(email__in=[v["email"] for v in values])}
        new_users = [
            User(
                email=value["email"],
                first_name=value["first_name"],
                last_name=value["last_name"],
                password=make_password(None),
                date_joined=now,
            )
            for value in values
            if value["email"] not in users
        ]
        users |= {user.email: user for user in User.objects.bulk_create(new_users)}
        numbers = _unique_draws(len(values), member_number_generate, "member_number")
        codes = _unique_draws(
            len(values), None, "referral_code", names=[v["first_name"] for v in values]
        )
        members = Member.objects.bulk_create(
            [
                Member(
                    user=users[value["email"]],
                    member_number=number,
                    referral_code=code,
                    phone=value["phone"],
                    birth_day=value["birth"][0] if value["birth"] else None,
                    birth_month=value["birth"][1] if value["birth"] else None,
                    birth_year=value["birth"][2] if value["birth"] else None,
                    language=value["language"],
                    time_zone=value["time_zone"],
                    marketing_email_opt_in=value["marketing_email_opt_in"],
                    joined_at=value["joined_at"],
                )
                for value, number, code in zip(values, numbers, codes, strict=True)
            ]
        )
        ConsentChange.objects.bulk_create(
            ConsentChange(
                member=member,
                kind=ConsentKind.MARKETING_EMAIL,
                granted=True,
                at=member.joined_at,
                source=ConsentSource.IMPORT,
            )
            for member in members
            if member.marketing_email_opt_in
        )
        joined = [member.joined_at for member in members]
        history_imported(
            what="members", rows=len(members), first_at=min(joined), last_at=max(joined)
        )
        self._signup_bonuses(members, now)
        return len(members)

    def _signup_bonuses(self, members: list[Member], now: datetime.datetime) -> None:
        """The sign-up bonus `member_join` gives, for brand-new members: the account
        `account_lock` would open (the lowest tier as of now, since joined_at) with the rows
        `event_bonus_award` would write in it (one bonus entry keyed `signup:once`, one lot
        available at once, expiring from joined_at), written in bulk."""
        if self.versions is None:
            return
        program_now = self.versions.at(now).definition
        accounts, entries, lots = [], [], []
        for member in members:
            version = self.versions.at(member.joined_at)
            bonus = event_bonus(program=version.definition, event="signup", at=member.joined_at)
            if bonus is None:
                continue
            account = account_new(
                member_id=member.pk, joined_at=member.joined_at, program=program_now
            )
            entry, lot = event_bonus_rows(
                account=account, bonus=bonus, version=version, reason=SIGNUP_BONUS_REASON, now=now
            )
            accounts.append(account)
            entries.append(entry)
            lots.append(lot)
        LoyaltyAccount.objects.bulk_create(accounts)
        LedgerEntry.objects.bulk_create(entries)
        PointsLot.objects.bulk_create(lots)


def _unique_draws(
    count: int, draw: Callable[[], str] | None, field: str, *, names: list[str] | None = None
) -> list[str]:
    """`count` random member numbers or referral codes, distinct from each other and from every
    stored one (the unique index still decides if someone enrols the same one meanwhile)."""

    def one(index: int) -> str:
        return draw() if draw is not None else referral_code_generate(names[index])

    values = [one(index) for index in range(count)]
    for _attempt in range(8):
        taken = set(Member.objects.filter(**{f"{field}__in": values}).values_list(field, flat=1))
        seen: set[str] = set()
        clashes = []
        for index, value in enumerate(values):
            if value in taken or value in seen:
                clashes.append(index)
            seen.add(value)
        if not clashes:
            return values
        for index in clashes:
            values[index] = one(index)
    raise RuntimeError(f"could not draw {count} free values of {field}")
