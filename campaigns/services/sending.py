"""Sending the delivery log's due rows, exactly once (CAMPAIGNS.md, "Delivery, exactly once").

The work is claimed in the database, never trusted to the broker: any number of workers (and
duplicate Celery messages, and beat racing a kick) may run `deliveries_send` at once.

1. **Settle the abandoned.** A `handing` row whose lease ran out belonged to a worker that died
   while speaking to the channel: it becomes `unknown`, for the marketer to send again or not.
2. **Claim a batch**: due `queued` rows nobody holds (no lease, or a lease run out), oldest due
   first, locked FOR UPDATE SKIP LOCKED and stamped with this batch's token and a lease of at
   most two minutes; committed. Two claimers never get the same row. A campaign's rows are
   claimed only while it is `sending` (a pause stops the claims).
3. **Each row, one at a time**, in its own transaction: lock the member (FOR NO KEY UPDATE: a
   consent change, which locks the member too, is either seen here or comes after the send),
   re-check what may have changed since queueing (blocked or erased, the address, the consent
   for the channel or for program notices; for marketing, quiet hours on the member's clock and
   the frequency cap), compose the message, and mark the row `handing` (still holding the lease);
   commit. Then hand it to the channel, and record the outcome (`sent`, `failed`, or `queued`
   again with a later due time for a transient error) in the next row's transaction. So at
   most one row per worker is ever `handing`: a worker killed with `kill -9` leaves at most
   one `unknown` row, and every other row it held is claimed again once its lease runs out.

Every write after the claim is conditional on the row still carrying this batch's token (and
the state it left it in), so a worker that overran its lease changes nothing another worker
has taken since.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.channels import Message, PermanentSendError, TransientSendError, channel_get
from campaigns.composers import Outdated, address_of, composer_get
from campaigns.composers.automations import AutomationOff
from campaigns.composers.registry import Compose
from campaigns.models import (
    CampaignState,
    Delivery,
    DeliveryPurpose,
    DeliveryStatus,
    SkipReason,
)
from config.rows import rows_get, rows_update_where, savepoint_pipelined, statements_pipelined
from loyalty.definition import Communications, ProgramDefinition
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_in_force
from members.models import ConsentChange, ConsentKind, ConsentSource, Member, User

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# Handovers a message gets before it fails for good (transient errors only; a permanent error
# fails it at once), and the back-off between them: 30 s, 1 min, 2 min, 4 min...
MAX_ATTEMPTS = 5
RETRY_FIRST = datetime.timedelta(seconds=30)
RETRY_MAX = datetime.timedelta(hours=1)
# How long one run goes on claiming batches before it leaves the rest to the next run.
RUN_BUDGET = datetime.timedelta(seconds=60)

# (member field, ConsentKind) of the consent each kind of message needs.
_MARKETING_CONSENT = {
    "email": ("marketing_email_opt_in", ConsentKind.MARKETING_EMAIL),
    "sms": ("marketing_sms_opt_in", ConsentKind.MARKETING_SMS),
    "push": ("marketing_push_opt_in", ConsentKind.MARKETING_PUSH),
}
_NOTICES_CONSENT = ("program_notices", ConsentKind.PROGRAM_NOTICES)


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TESSERA_DELIVERY_LEASE_SECONDS)


@dataclass
class SendReport:
    """What one run did."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    waiting: int = 0  # moved past quiet hours
    unknown: int = 0  # abandoned handovers settled
    more: bool = False  # stopped on its time budget with work left

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.skipped + self.retried + self.waiting


def deliveries_send(
    *, budget: datetime.timedelta = RUN_BUDGET, batch_size: int = BATCH_SIZE
) -> SendReport:
    """Send what is due, batch after batch, until nothing is left or `budget` is spent."""
    report = SendReport()
    report.unknown = deliveries_abandoned_settle()
    deadline = time.monotonic() + budget.total_seconds()
    while True:
        if time.monotonic() >= deadline:
            report.more = True
            break
        token = _token()
        claimed = deliveries_claim(token=token, limit=batch_size)
        if not claimed:
            break
        _batch_send(claimed, token=token, report=report)
    return report


def deliveries_abandoned_settle(*, at: datetime.datetime | None = None) -> int:
    """Mark `unknown` every handover whose worker's lease has run out. Its worker may have
    handed the message over before dying: it is never resent on its own. What the message
    announced (a campaign's voucher or points) is given now, in the same transaction: the
    member may hold the message, so its voucher must work at the till."""
    at = at or timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("member", "campaign__offer_reward")
            .filter(status=DeliveryStatus.HANDING, claimed_until__lt=at)
        )
        count = Delivery.objects.filter(
            pk__in=[row.pk for row in rows], status=DeliveryStatus.HANDING
        ).update(status=DeliveryStatus.UNKNOWN)
        for row in rows:
            _issue(row, row.member)
    if count:
        logger.warning("%s deliveries were being handed over when their worker died", count)
    return count


def deliveries_claim(*, token: str, limit: int = BATCH_SIZE) -> list[int]:
    """Claim up to `limit` due rows for `token`; returns their ids (committed on return)."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=DeliveryStatus.QUEUED, due_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(Q(campaign__isnull=True) | Q(campaign__state=CampaignState.SENDING))
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                claimed_until=now + lease(), claimed_by=token
            )
    return ids


def _token() -> str:
    """Names the batch (unique) and the worker that holds it (for whoever reads the log)."""
    return f"{socket.gethostname()[:40]}/{os.getpid()}/{uuid.uuid4().hex[:16]}"


def _batch_send(ids: list[int], *, token: str, report: SendReport) -> None:
    rows = list(Delivery.objects.filter(pk__in=ids, claimed_by=token).order_by("pk"))
    # Stop well within the lease: the rows not reached yet are released for the next claim.
    stop_at = time.monotonic() + lease().total_seconds() / 2
    channels: dict[str, _BatchChannel] = {}  # one per channel, opened once for the batch
    composes: dict[str, Compose] = {}  # one per source, with what its rows share read once
    # What the channel answered for the last row handed over, written in the transaction that
    # marks the next row `handing` (one durable commit per message), or at the end.
    pending: _Outcome | None = None
    # Read once per batch: quiet hours, the cap and the default time zone.
    program = program_in_force()
    try:
        for index, row in enumerate(rows):
            if time.monotonic() >= stop_at:
                _release([other.pk for other in rows[index:]], token=token)
                break
            channel = channels.get(row.channel)
            if channel is None:
                channel = channels[row.channel] = _BatchChannel(row.channel)
            compose = composes.get(row.source)
            if compose is None:
                compose = composes[row.source] = _batch_compose(row.source, rows[index:])
            pending = _row_send(
                row,
                token=token,
                channel=channel,
                compose=compose,
                report=report,
                pending=pending,
                program=program,
            )
    finally:
        if pending is not None:
            with transaction.atomic():
                pending.count(report, pending.write(token)())
        for channel in channels.values():
            channel.close()


def _batch_compose(source: str, rows: list[Delivery]) -> Compose:
    """The composer of `source` prepared for its rows in the batch; unprepared when preparing
    fails (each row is then composed alone, and fails alone if it must)."""
    try:
        found = composer_get(source)
    except LookupError:
        return _composer_missing
    try:
        return found.for_batch([row for row in rows if row.source == source])
    except Exception:
        logger.exception("the %s composer could not prepare a batch", source)
        return found.compose


def _composer_missing(row: Delivery, member: Member) -> Message:
    return composer_get(row.source).compose(row, member)  # raises the LookupError


def _gives(row: Delivery) -> bool:
    """Whether the row's message announces something to give (a campaign's offer)."""
    try:
        return composer_get(row.source).gives(row)
    except LookupError:
        return False


def _issue(row: Delivery, member: Member) -> str:
    """Give what the row's message announces (its composer's `issue`), in a savepoint: an
    offer that cannot be given is logged and noted on the row, never undoes the record of a
    message that went out. Returns the note ("" when all went well)."""
    if not _gives(row):
        return ""
    try:
        with savepoint_pipelined():
            composer_get(row.source).issue(row, member)
    except Exception as error:
        logger.exception("delivery %s: what its message offers could not be given", row.pk)
        note = _error_text("offer not given", error)
        Delivery.objects.filter(pk=row.pk).update(error=note)
        return note
    return ""


class _BatchChannel:
    """A channel opened at the batch's first message for it, and closed with the batch. A
    channel that cannot be opened (the mail server down) fails the message transiently."""

    def __init__(self, name: str) -> None:
        self.channel = channel_get(name)
        self.is_open = False

    def send(self, message: Message) -> str:
        if not self.is_open:
            try:
                self.channel.open()
            except (TransientSendError, PermanentSendError):
                raise
            except Exception as error:
                raise TransientSendError(f"{type(error).__name__}: {error}") from error
            self.is_open = True
        return self.channel.send(message)

    def close(self) -> None:
        if self.is_open:
            self.channel.close()


def _release(ids: list[int], *, token: str) -> None:
    Delivery.objects.filter(pk__in=ids, claimed_by=token, status=DeliveryStatus.QUEUED).update(
        claimed_until=None, claimed_by=""
    )


@dataclass(frozen=True)
class _Skip:
    reason: str


@dataclass(frozen=True)
class _Wait:
    until: datetime.datetime


class _NotComposed(Exception):
    """The composer raised: the row's transaction is rolled back (the member's lock goes with
    it, and a database error inside the composer leaves nothing half done), then the row is
    marked."""

    def __init__(self, error: Exception) -> None:
        self.error = error


@dataclass
class _Outcome:
    """What the channel answered for a row handed over, to be recorded."""

    row: Delivery
    member: Member
    counter: str  # the SendReport field it counts in
    fields: dict

    def write(self, token: str) -> Callable[[], int]:
        """Record it if the row is still this batch's: `handing`, or already settled `unknown`
        by another worker while this one overran its lease (what happened is known here).
        Runs in a transaction; a message recorded sent gives what it offers in it. Returns
        the function answering whether it was recorded (config.rows.rows_update_where)."""
        written = _update_if(
            self.row,
            token,
            _HANDED_WHERE,
            [DeliveryStatus.HANDING, DeliveryStatus.UNKNOWN],
            {"claimed_until": None, **self.fields},
        )
        if self.fields["status"] == DeliveryStatus.SENT and _gives(self.row):
            recorded = written()
            if recorded:
                _issue(self.row, self.member)
            return lambda: recorded
        return written

    def count(self, report: SendReport, recorded: int) -> None:
        setattr(report, self.counter, getattr(report, self.counter) + recorded)


def _row_send(
    row: Delivery,
    *,
    token: str,
    channel,
    compose: Compose,
    report: SendReport,
    pending: _Outcome | None,
    program: ProgramDefinition | None,
) -> _Outcome | None:
    """Decide on `row` and hand it over; returns the outcome to record. `pending`, the previous
    row's outcome, is recorded in this row's transaction, so a worker never has more than one
    row `handing`."""
    now = timezone.now()

    def mine(**values) -> int:  # the row while it is still this batch's, queued
        return _update_if(row, token, _QUEUED_WHERE, [DeliveryStatus.QUEUED], values)()

    message = None
    recorded: Callable[[], int] = _none
    try:
        # Pipelined: the previous outcome and the member's lock go in one round trip, the
        # handover's mark with the commit's.
        with transaction.atomic(), statements_pipelined():
            if pending is not None:
                recorded = pending.write(token)
            member, recent = _member_lock(row, now, program)
            verdict = _verdict(row, member, now, program, recent=recent)
            if isinstance(verdict, _Skip):
                counter, count = (
                    "skipped",
                    mine(status=DeliveryStatus.SKIPPED, reason=verdict.reason, claimed_until=None),
                )
            elif isinstance(verdict, _Wait):
                counter, count = (
                    "waiting",
                    mine(due_at=verdict.until, claimed_until=None, claimed_by=""),
                )
            else:
                try:
                    message = compose(row, member)
                except Exception as error:
                    raise _NotComposed(error) from error
                counter, marked = (
                    "",
                    _update_if(
                        row,
                        token,
                        _QUEUED_WHERE,
                        [DeliveryStatus.QUEUED],
                        {
                            "status": DeliveryStatus.HANDING,
                            "handed_at": now,
                            "claimed_until": now + lease(),
                            "language": message.language,
                            "voucher_code": row.voucher_code,
                        },
                        increments=("attempts",),
                    ),
                )
        if message is not None:
            count = marked()  # answered with the commit
    except _NotComposed as failure:
        # Rolled back, the previous outcome with it: recorded again here.
        with transaction.atomic():
            if pending is not None:
                recorded = pending.write(token)
        counter, count = _not_composed(row, failure.error, mine)
        message = None
    if pending is not None:
        pending.count(report, recorded())
    if counter:
        setattr(report, counter, getattr(report, counter) + count)
    if message is None or not count:
        return None  # skipped, waiting, not composed, or the lease ran out and it is not ours
    return _hand_over(row, member, message, channel=channel)


# A row's updates while it is its batch's: queued (claimed), or handed over (`handing`, or
# settled `unknown` by another worker while this one overran its lease).
_QUEUED_WHERE = "id = %s AND claimed_by = %s AND status = %s"
_HANDED_WHERE = "id = %s AND claimed_by = %s AND status IN (%s, %s)"


def _update_if(
    row: Delivery,
    token: str,
    where: str,
    statuses: list[str],
    values: dict,
    *,
    increments: tuple[str, ...] = (),
) -> Callable[[], int]:
    """Update `row` if it is still `token`'s and in one of `statuses`; answers 1 if it was,
    else 0 (when asked: see config.rows.rows_update_where). One statement built once: every
    message is updated twice."""
    return rows_update_where(
        Delivery, values, where, [row.pk, token, *statuses], increments=increments
    )


def _none() -> int:
    return 0


def _not_composed(row: Delivery, error: Exception, mine) -> tuple[str, int]:
    if isinstance(error, Outdated):
        reason = (
            SkipReason.AUTOMATION_OFF if isinstance(error, AutomationOff) else SkipReason.OUTDATED
        )
        return "skipped", mine(status=DeliveryStatus.SKIPPED, reason=reason, claimed_until=None)
    logger.error("delivery %s could not be composed", row.pk, exc_info=error)
    return "failed", mine(
        status=DeliveryStatus.FAILED, error=_error_text("composing", error), claimed_until=None
    )


def _hand_over(row: Delivery, member: Member, message: Message, *, channel) -> _Outcome:
    attempts = row.attempts + 1
    try:
        message_id = channel.send(message)
    except TransientSendError as error:
        if attempts >= MAX_ATTEMPTS:
            return _Outcome(
                row,
                member,
                "failed",
                {
                    "status": DeliveryStatus.FAILED,
                    "error": _error_text(f"after {attempts} attempts", error),
                },
            )
        return _Outcome(
            row,
            member,
            "retried",
            {
                "status": DeliveryStatus.QUEUED,
                "due_at": timezone.now() + retry_after(attempts),
                "error": _error_text(f"attempt {attempts}", error),
                "claimed_by": "",
            },
        )
    except PermanentSendError as error:
        return _Outcome(
            row,
            member,
            "failed",
            {"status": DeliveryStatus.FAILED, "error": _error_text("refused", error)},
        )
    except Exception as error:
        # A backend that raised something else: nothing says trying again would help.
        logger.exception("delivery %s: the %s channel failed", row.pk, row.channel)
        return _Outcome(
            row,
            member,
            "failed",
            {"status": DeliveryStatus.FAILED, "error": _error_text("failed", error)},
        )
    return _Outcome(
        row,
        member,
        "sent",
        {
            "status": DeliveryStatus.SENT,
            "sent_at": timezone.now(),
            "message_id": message_id[:255],
            "error": "",
        },
    )


def retry_after(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th handover failed transiently: doubling, capped."""
    return min(RETRY_FIRST * (2 ** (attempts - 1)), RETRY_MAX)


def _error_text(context: str, error: Exception) -> str:
    return f"{context}: {error}"[:1000]


# The row's member with their account's user, locked, and how many marketing messages were
# handed to them within the frequency cap's window (this row aside): one statement, built once
# (config.rows), as every message starts with it.
_MEMBER_FROM = "members_member m JOIN members_user u ON u.id = m.user_id"
_RECENT_SQL = (
    "(SELECT count(*) FROM campaigns_delivery d WHERE d.member_id = m.id"
    " AND d.purpose = %s AND d.handed_at > %s AND d.status IN (%s, %s, %s) AND d.id <> %s)"
)


def _member_lock(
    row: Delivery, now: datetime.datetime, program: ProgramDefinition | None
) -> tuple[Member, int]:
    """Lock the row's member (FOR NO KEY UPDATE: a consent change, which locks the member too,
    is either seen here or comes after the send) with their user, and count their recent
    marketing handovers in the same statement."""
    communications = program.communications if program is not None else Communications()
    found = rows_get(
        [(Member, "m"), (User, "u")],
        _MEMBER_FROM,
        "m.id = %s",
        [
            DeliveryPurpose.MARKETING,
            connection.ops.adapt_datetimefield_value(now - communications.frequency_cap.window),
            DeliveryStatus.HANDING,
            DeliveryStatus.SENT,
            DeliveryStatus.UNKNOWN,
            row.pk,
            row.member_id,
        ],
        extra=[_RECENT_SQL],
        for_update_of="m",
        no_key=True,
    )
    if found is None:
        raise Member.DoesNotExist(f"member {row.member_id}")
    (member, user), (recent,) = found
    member.user = user
    return member, recent


def _verdict(
    row: Delivery,
    member: Member,
    now: datetime.datetime,
    program: ProgramDefinition | None,
    *,
    recent: int,
) -> _Skip | _Wait | None:
    """Whether the row may be sent now to `member` (freshly read, locked): None when it may, a
    skip with its reason, or a wait until quiet hours end. Marketing needs the member's
    marketing consent for the channel and keeps to quiet hours (on the member's own clock) and
    the frequency cap; a program notice needs only program notices left on."""
    if member.is_blocked or not member.user.is_active:
        return _Skip(SkipReason.MEMBER_INACTIVE)
    if not address_of(member, row.channel):
        return _Skip(SkipReason.NO_ADDRESS)
    is_marketing = row.purpose == DeliveryPurpose.MARKETING
    field, kind = _MARKETING_CONSENT[row.channel] if is_marketing else _NOTICES_CONSENT
    if not getattr(member, field):
        return _Skip(_withdrawn_reason(member, kind))
    if not is_marketing:
        return None
    communications = program.communications if program is not None else Communications()
    zone = member_time_zone(member=member, program=program)
    until = communications.quiet_hours.end_after(now, zone)
    if until > now:
        return _Wait(until)
    # The member's row is locked (`recent` was counted by the locking statement): a second
    # sender with another campaign for them waits there, then counts this one's handover.
    if recent >= communications.frequency_cap.messages:
        return _Skip(SkipReason.FREQUENCY_CAP)
    return None


def _withdrawn_reason(member: Member, kind: str) -> str:
    """`unsubscribed` when the member's last word on this consent came through an unsubscribe
    link, `no_consent` otherwise (never given, or withdrawn elsewhere)."""
    last = (
        ConsentChange.objects.filter(member_id=member.pk, kind=kind)
        .order_by("-at", "-pk")
        .values_list("source", flat=True)
        .first()
    )
    if last == ConsentSource.UNSUBSCRIBE:
        return SkipReason.UNSUBSCRIBED
    return SkipReason.NO_CONSENT
