"""Writes of campaigns (CAMPAIGNS.md, Campaigns): create and edit a draft, schedule it, pause,
resume and cancel it, and the two steps the periodic task takes: start what is due (the segment
resolved then, one delivery row per member, holdout rows included) and finish what has nothing
left to send.

Everything is checked before anything is written: a refusal is one CampaignInvalid listing every
problem at its path (`content.es.body`, `offer.reward`), so an unknown merge field is refused at
save and never met at send time.
"""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.channels import Message, channel_open
from campaigns.composers import CAMPAIGN, composer_get
from campaigns.content import MERGE_FIELDS, content_errors
from campaigns.events import campaign_sent
from campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignState,
    Delivery,
    DeliveryStatus,
    Segment,
    SkipReason,
)
from campaigns.models.campaigns import HOLDOUT_MAX_PERCENT
from campaigns.schedule import in_holdout, local_due_at
from campaigns.selectors.segments import segment_members
from campaigns.services.deliveries import QUEUE_BATCH_SIZE, deliveries_queue, delivery_new
from campaigns.services.segments import code_problems
from config.domain import DomainError, Problem, ProblemsError
from config.languages import NAME_LANGUAGES
from loyalty.selectors.members import member_time_zone_expression
from loyalty.selectors.program import program_in_force
from members.models import Member
from rewards.models import Reward

NAME_MAX_LENGTH = 200
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20_000
SMS_MAX_LENGTH = 640  # four concatenated SMS
OFFER_POINTS_MAX = 1_000_000
# A scheduled campaign found this long after its moment is not started on its own.
STALE_AFTER = datetime.timedelta(hours=6)


class CampaignInvalid(ProblemsError):
    code = "campaign_invalid"
    template = _("The campaign is not valid: see the errors for each field.")


class CampaignExists(DomainError):
    code = "campaign_exists"
    status = 409
    field = "code"
    template = _("A campaign with this code exists already.")


class CampaignNotDraft(DomainError):
    code = "campaign_not_draft"
    status = 409
    template = _("Only a draft can be changed or scheduled; this campaign is “%(state)s”.")

    def __init__(self, *, state: str):
        super().__init__(state=state)

    def render(self) -> str:
        return str(self.template) % {"state": CampaignState(self.params["state"]).label}


class CampaignStateError(DomainError):
    code = "campaign_state"
    status = 409
    template = _("This campaign cannot do that now.")
    _templates = {
        "pause": _("A campaign in the state “%(state)s” cannot be paused."),
        "resume": _("A campaign in the state “%(state)s” cannot be resumed."),
        "cancel": _("A campaign in the state “%(state)s” cannot be cancelled."),
    }

    def __init__(self, *, state: str, action: str):
        super().__init__(state=state, action=action)

    def render(self) -> str:
        template = self._templates[self.params["action"]]
        return str(template) % {"state": CampaignState(self.params["state"]).label}


# --- Checking a draft ------------------------------------------------------------------------


def _name_problems(name) -> list[Problem]:
    if isinstance(name, str) and name.strip() and len(name.strip()) <= NAME_MAX_LENGTH:
        return []
    return [
        Problem(
            "name",
            _("Give the campaign a name of at most %(length)s characters."),
            {"length": NAME_MAX_LENGTH},
        )
    ]


def content_checked(
    content, *, channel: str, allowed, path: str = "content", required: bool = True
):
    """The content cleaned ({language: {"subject", "body"}}, texts stripped), and its problems
    at `path` (`content.es.body`). `allowed`: the merge fields it may use. An automation's
    content may leave every language out (`required=False`: its shipped texts are sent)."""
    if not isinstance(content, Mapping) or (required and not content):
        return {}, [Problem(path, _("Write the message in at least one language."), {})]
    cleaned: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    prefix = path
    for language, texts in content.items():
        path = f"{prefix}.{language}"
        if language not in NAME_LANGUAGES:
            problems.append(
                Problem(
                    path,
                    _("Content is written in %(languages)s."),
                    {"languages": ", ".join(NAME_LANGUAGES)},
                )
            )
            continue
        if not isinstance(texts, Mapping) or set(texts) - {"subject", "body"}:
            problems.append(Problem(path, _("Give a subject and a body."), {}))
            continue
        subject = texts.get("subject") or ""
        body = texts.get("body") or ""
        if not isinstance(subject, str) or not isinstance(body, str):
            problems.append(Problem(path, _("Give a subject and a body."), {}))
            continue
        subject, body = subject.strip(), body.strip()
        if channel == CampaignChannel.EMAIL:
            if not subject:
                problems.append(Problem(f"{path}.subject", _("An email needs a subject."), {}))
            elif len(subject) > SUBJECT_MAX_LENGTH or "\n" in subject:
                problems.append(
                    Problem(
                        f"{path}.subject",
                        _("Keep the subject to one line of at most %(length)s characters."),
                        {"length": SUBJECT_MAX_LENGTH},
                    )
                )
        limit = SMS_MAX_LENGTH if channel == CampaignChannel.SMS else BODY_MAX_LENGTH
        if not body:
            problems.append(Problem(f"{path}.body", _("Write the message."), {}))
        elif len(body) > limit:
            problems.append(
                Problem(
                    f"{path}.body",
                    _("Keep the message to at most %(length)s characters."),
                    {"length": limit},
                )
            )
        for field_name, text in (("subject", subject), ("body", body)):
            for error in content_errors(text, allowed=allowed):
                problems.append(Problem(f"{path}.{field_name}", error.message, {}))
        cleaned[language] = {"subject": subject, "body": body}
    return cleaned, problems


def offer_checked(offer) -> tuple[Reward | None, int | None, list[Problem]]:
    if offer in (None, {}):
        return None, None, []
    if not isinstance(offer, Mapping) or len(offer) != 1 or set(offer) - {"reward", "points"}:
        return None, None, [Problem("offer", _("Offer a reward or points, not both."), {})]
    if "reward" in offer:
        code = offer["reward"]
        reward = Reward.objects.filter(code=code).first() if isinstance(code, str) else None
        if reward is None:
            return None, None, [Problem("offer.reward", _("There is no reward with this code."))]
        return reward, None, []
    points = offer["points"]
    whole = isinstance(points, int) and not isinstance(points, bool)
    if not whole or not 0 < points <= OFFER_POINTS_MAX:
        return (
            None,
            None,
            [
                Problem(
                    "offer.points",
                    _("Offer a whole number of points from 1 to %(max)s."),
                    {"max": OFFER_POINTS_MAX},
                )
            ],
        )
    return None, points, []


def _draft_checked(
    *, name, channel, segment, content, holdout_percent, offer, problems: list[Problem]
) -> dict[str, Any]:
    problems = [*problems, *_name_problems(name)]
    if channel not in CampaignChannel.values:
        problems.append(
            Problem(
                "channel",
                _("Send it by %(channels)s."),
                {"channels": ", ".join(CampaignChannel.values)},
            )
        )
    found = Segment.objects.filter(code=segment).first() if isinstance(segment, str) else None
    if found is None:
        problems.append(Problem("segment", _("There is no segment with this code."), {}))
    if (
        isinstance(holdout_percent, bool)
        or not isinstance(holdout_percent, int)
        or not 0 <= holdout_percent <= HOLDOUT_MAX_PERCENT
    ):
        problems.append(
            Problem(
                "holdout_percent",
                _("Hold out a whole percentage from 0 to %(max)s."),
                {"max": HOLDOUT_MAX_PERCENT},
            )
        )
    reward, points, offer_problems = offer_checked(offer)
    problems += offer_problems
    cleaned, content_problems = content_checked(
        content,
        channel=channel if channel in CampaignChannel.values else CampaignChannel.EMAIL,
        allowed=[name for name in MERGE_FIELDS if reward is not None or name != "voucher_code"],
    )
    problems += content_problems
    if problems:
        raise CampaignInvalid(problems=problems)
    return {
        "name": name.strip(),
        "channel": channel,
        "segment": found,
        "content": cleaned,
        "holdout_percent": holdout_percent,
        "offer_reward": reward,
        "offer_points": points,
    }


# --- Drafts ----------------------------------------------------------------------------------


def campaign_create(
    *,
    code,
    name,
    channel=CampaignChannel.EMAIL,
    segment,
    content,
    holdout_percent=0,
    offer=None,
    actor=None,
) -> Campaign:
    """A new draft. Refused with CampaignInvalid (every problem) or CampaignExists."""
    fields = _draft_checked(
        name=name,
        channel=channel,
        segment=segment,
        content=content,
        holdout_percent=holdout_percent,
        offer=offer,
        problems=code_problems(code, example="december-wine"),
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            return Campaign.objects.create(
                code=code, created_by=actor, created_at=now, updated_at=now, **fields
            )
    except IntegrityError as error:
        if Campaign.objects.filter(code=code).exists():
            raise CampaignExists() from error
        raise


def campaign_update(
    *, campaign: Campaign, name, channel, segment, content, holdout_percent=0, offer=None
) -> Campaign:
    """Replace a draft's name, channel, segment, content, holdout and offer (its code stays).
    Only a draft: CampaignNotDraft otherwise."""
    fields = _draft_checked(
        name=name,
        channel=channel,
        segment=segment,
        content=content,
        holdout_percent=holdout_percent,
        offer=offer,
        problems=[],
    )
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state != CampaignState.DRAFT:
            raise CampaignNotDraft(state=locked.state)
        for field_name, value in fields.items():
            setattr(locked, field_name, value)
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


# --- Preview and test send -------------------------------------------------------------------


def campaign_preview(*, campaign: Campaign, member: Member) -> Message:
    """The message `member` would get if it were sent now: their language, their values, the
    links untracked. Nothing is written."""
    preview = Delivery(campaign=campaign, member=member, channel=campaign.channel)
    return composer_get(CAMPAIGN).compose(preview, member)


def campaign_test_send(*, campaign: Campaign, member: Member, to: str) -> Message:
    """Send the preview as `member` to the address the marketer typed, marked as a test and
    outside the delivery log (no row, no consent needed, no offer). Raises CampaignInvalid for
    an address the channel cannot reach, SendError when the channel refuses it."""
    to = (to or "").strip()
    if campaign.channel == CampaignChannel.EMAIL:
        try:
            validate_email(to)
        except ValidationError:
            raise CampaignInvalid(
                problems=[Problem("to", _("Give an email address to send the test to."))]
            ) from None
    elif not to:
        raise CampaignInvalid(problems=[Problem("to", _("Give an address to send the test to."))])
    message = campaign_preview(campaign=campaign, member=member)
    test = dataclasses.replace(
        message,
        to=to,
        subject=f"[{_('Test')}] {message.subject}" if message.subject else "",
        headers={**message.headers, "X-Tessera-Test": "1"},
    )
    with channel_open(campaign.channel) as channel:
        channel.send(test)
    return test


# --- The schedule and the states -------------------------------------------------------------


def campaign_schedule(
    *,
    campaign: Campaign,
    send_at: datetime.datetime | None = None,
    local_time: datetime.time | None = None,
) -> Campaign:
    """Schedule a draft: sending starts at `send_at` (now when None); with `local_time`, each
    member's message is due at that time on their own clock, at or after the start."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state != CampaignState.DRAFT:
            raise CampaignNotDraft(state=locked.state)
        now = timezone.now()
        locked.state = CampaignState.SCHEDULED
        locked.send_at = send_at
        locked.local_time = local_time
        locked.scheduled_at = now
        locked.updated_at = now
        locked.save(update_fields=["state", "send_at", "local_time", "scheduled_at", "updated_at"])
    return locked


_PAUSABLE = (CampaignState.SCHEDULED, CampaignState.SENDING)
_CANCELLABLE = (
    CampaignState.DRAFT,
    CampaignState.SCHEDULED,
    CampaignState.SENDING,
    CampaignState.PAUSED,
)


def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Stop claiming its messages (those being handed over finish); resume goes on from there."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state not in _PAUSABLE:
            raise CampaignStateError(state=locked.state, action="pause")
        locked.paused_from = locked.state
        locked.state = CampaignState.PAUSED
        locked.updated_at = timezone.now()
        locked.save(update_fields=["state", "paused_from", "updated_at"])
    return locked


def campaign_resume(*, campaign: Campaign) -> Campaign:
    """Back to where it was paused: sending what is still queued, or scheduled (a campaign
    paused before its moment, or found too late to start on its own: it then starts now)."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state != CampaignState.PAUSED:
            raise CampaignStateError(state=locked.state, action="resume")
        locked.state = locked.paused_from or CampaignState.SCHEDULED
        if locked.state == CampaignState.SCHEDULED and locked.send_at is not None:
            locked.send_at = max(locked.send_at, timezone.now())
        locked.paused_from = ""
        locked.updated_at = timezone.now()
        locked.save(update_fields=["state", "send_at", "paused_from", "updated_at"])
    return locked


def campaign_cancel(*, campaign: Campaign) -> Campaign:
    """Stop for good: what is still queued is skipped (reason: cancelled); what was sent stays."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.state not in _CANCELLABLE:
            raise CampaignStateError(state=locked.state, action="cancel")
        now = timezone.now()
        locked.state = CampaignState.CANCELLED
        locked.paused_from = ""
        locked.finished_at = now
        locked.updated_at = now
        locked.save(update_fields=["state", "paused_from", "finished_at", "updated_at"])
        # A row a worker holds (claimed, not yet handed) is skipped too: its handover is
        # conditional on the row still being queued.
        Delivery.objects.filter(campaign=locked, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SKIPPED,
            reason=SkipReason.CANCELLED,
            claimed_until=None,
            claimed_by="",
        )
    return locked


# --- What the periodic task does -------------------------------------------------------------


def campaigns_start_due(*, at: datetime.datetime | None = None) -> int:
    """Start every scheduled campaign whose time has come; returns how many started."""
    at = at or timezone.now()
    due = Campaign.objects.filter(state=CampaignState.SCHEDULED).filter(
        Q(send_at__isnull=True) | Q(send_at__lte=at)
    )
    started = 0
    for pk in due.values_list("pk", flat=True):
        started += campaign_start(campaign_pk=pk, at=at)
    return started


def campaign_start(*, campaign_pk: int, at: datetime.datetime) -> bool:
    """Resolve the segment now and write one delivery row per member (`holdout` for the members
    its stable hash holds out), in one transaction with the move to `sending`: a worker killed
    half-way leaves the campaign scheduled and no row, and two starters cannot both start it
    (the second skips the locked row, then finds it sending)."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=campaign_pk, state=CampaignState.SCHEDULED)
            .select_related("segment")
            .first()
        )
        if campaign is None:
            return False
        if campaign.send_at is not None and at - campaign.send_at > STALE_AFTER:
            # Its moment passed while nothing ran (listmonk#1801 fires those on restart):
            # paused, for the marketer to resume (it then goes out now) or cancel.
            campaign.state = CampaignState.PAUSED
            campaign.paused_from = CampaignState.SCHEDULED
            campaign.updated_at = at
            campaign.save(update_fields=["state", "paused_from", "updated_at"])
            return False
        start = at  # the scheduled moment, or a few seconds after it
        members = (
            segment_members(segment=campaign.segment)
            .annotate(zone=member_time_zone_expression(program=program_in_force(at=at)))
            .values_list("pk", "zone")
        )
        rows = []
        for member_pk, zone_name in members.iterator(chunk_size=QUEUE_BATCH_SIZE):
            rows.append(_row_new(campaign, member_pk, zone_name, start))
            if len(rows) == QUEUE_BATCH_SIZE:  # written as it goes: flat memory on any segment
                deliveries_queue(rows)
                rows = []
        deliveries_queue(rows)
        campaign.state = CampaignState.SENDING
        campaign.started_at = at
        campaign.updated_at = at
        campaign.save(update_fields=["state", "started_at", "updated_at"])
    return True


def _row_new(campaign: Campaign, member_pk: int, zone_name: str, start: datetime.datetime):
    """A member's row: held out by the campaign's stable hash, or queued for the start (or
    for the campaign's local time on the member's clock)."""
    held = in_holdout(
        campaign_key=campaign.code, member_key=str(member_pk), percent=campaign.holdout_percent
    )
    due_at = start
    if campaign.local_time is not None and not held:
        due_at = local_due_at(
            local_time=campaign.local_time, zone=zoneinfo.ZoneInfo(zone_name), start=start
        )
    return delivery_new(
        member_id=member_pk,
        channel=campaign.channel,
        campaign=campaign,
        due_at=due_at,
        status=DeliveryStatus.HOLDOUT if held else DeliveryStatus.QUEUED,
    )


def campaigns_finish(*, at: datetime.datetime | None = None) -> int:
    """Mark `sent` every sending campaign with no row left queued or being handed over
    (`unknown` rows count as settled: the marketer decides about them), each with its
    `campaign.sent` event in the same transaction. A campaign another transaction holds (a
    pause, a concurrent finish) is skipped rather than waited for: the next run finishes it."""
    at = at or timezone.now()
    open_rows = Delivery.objects.filter(
        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.HANDING]
    ).values("campaign_id")
    with transaction.atomic():
        finished = list(
            Campaign.objects.select_for_update(skip_locked=True)
            .filter(state=CampaignState.SENDING)
            .exclude(pk__in=open_rows.filter(campaign__isnull=False))
            .only("pk", "code", "channel")
            .order_by("pk")
        )
        if not finished:
            return 0
        Campaign.objects.filter(pk__in=[campaign.pk for campaign in finished]).update(
            state=CampaignState.SENT, finished_at=at, updated_at=at
        )
        campaign_sent(*finished, at=at)
    return len(finished)
