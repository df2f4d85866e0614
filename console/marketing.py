"""Writes of the marketer's console pages (segments, campaigns and automations). Each checks the
actor's role, calls the campaigns service, and records a StaffAction about the segment, the
campaign or the automation (its `subject`) in the same transaction, so the history holds exactly
what happened.

Once per action: a repeat of a state change is refused by the service (a paused campaign
cannot be paused again) and records nothing; an edit that changes nothing (the same form
submitted twice) records nothing; "send these again" with nothing left unknown records nothing.
A test send and a download of the members are recorded every time: each sends a message or
hands out personal data anew.

The API drives the same campaigns services without going through here, and records no staff
action: it is used with an API key, which is an integration and not a person (config.api
.authentication.ApiClient), and its creator did not make the call. What a key did stays
attributable to the key.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping

from django.db import transaction

from campaigns.channels import Message
from campaigns.models import Automation, Campaign, Segment
from campaigns.selectors.deliveries import deliveries_unknown_for_campaign
from campaigns.services.automations import automation_update
from campaigns.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_test_send,
    campaign_update,
)
from campaigns.services.deliveries import deliveries_send_again
from campaigns.services.segments import segment_create, segment_delete, segment_update
from console.permissions import MANAGE_CAMPAIGNS, MANAGE_SEGMENTS, staff_permission_require
from console.services import action_record
from members.models import Member, StaffActionKind

CAMPAIGN_DRAFT_FIELDS = (
    "name",
    "channel",
    "segment_id",
    "content",
    "holdout_percent",
    "offer_reward_id",
    "offer_points",
)
SEGMENT_FIELDS = ("name_en", "name_es", "name_fr", "match", "rules")


def segment_subject(code: str) -> str:
    return f"segment:{code}"


def campaign_subject(code: str) -> str:
    return f"campaign:{code}"


def automation_subject(code: str) -> str:
    return f"automation:{code}"


def _changed(before: Mapping, after: Mapping) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _values(row, fields) -> dict:
    return {name: getattr(row, name) for name in fields}


# --- Segments ----------------------------------------------------------------------------------


def segment_create_by_staff(*, code, names, match, rules, actor) -> Segment:
    """A new segment (campaigns.services.segments.segment_create decides; a second submit of
    the same code is refused with SegmentExists and records nothing)."""
    staff_permission_require(actor, MANAGE_SEGMENTS)
    with transaction.atomic():
        segment = segment_create(code=code, names=names, match=match, rules=rules, actor=actor)
        action_record(
            actor=actor,
            subject=segment_subject(segment.code),
            kind=StaffActionKind.SEGMENT_CREATE,
            key=f"segment-create:{segment.pk}",
            details={"match": segment.match, "rules": len(segment.rules)},
        )
    return segment


def segment_update_by_staff(*, segment: Segment, names, match, rules, actor) -> Segment:
    """The segment's names, match and rules replaced; recorded with the fields that changed,
    and not at all when none did."""
    staff_permission_require(actor, MANAGE_SEGMENTS)
    with transaction.atomic():
        # Locked before the service locks it again: what it was is read under the same lock.
        before = _values(Segment.objects.select_for_update().get(pk=segment.pk), SEGMENT_FIELDS)
        saved = segment_update(segment=segment, names=names, match=match, rules=rules, actor=actor)
        changed = _changed(before, _values(saved, SEGMENT_FIELDS))
        if changed:
            action_record(
                actor=actor,
                subject=segment_subject(saved.code),
                kind=StaffActionKind.SEGMENT_UPDATE,
                key=f"segment-update:{uuid.uuid4()}",
                details={"changed": changed, "rules": len(saved.rules)},
            )
    return saved


def segment_delete_by_staff(*, segment: Segment, actor) -> None:
    """Delete a segment no campaign uses (SegmentInUse otherwise, nothing recorded). Deleting
    one already gone records nothing."""
    staff_permission_require(actor, MANAGE_SEGMENTS)
    with transaction.atomic():
        if not Segment.objects.select_for_update().filter(pk=segment.pk).exists():
            return
        segment_delete(segment=segment, actor=actor)
        action_record(
            actor=actor,
            subject=segment_subject(segment.code),
            kind=StaffActionKind.SEGMENT_DELETE,
            key=f"segment-delete:{segment.pk}",
            details={"match": segment.match, "rules": segment.rules},
        )


def segment_export_by_staff(*, segment: Segment, actor) -> None:
    """Record a download of the segment's members (names and addresses leave the console):
    called before the file is streamed."""
    staff_permission_require(actor, MANAGE_SEGMENTS)
    action_record(
        actor=actor,
        subject=segment_subject(segment.code),
        kind=StaffActionKind.SEGMENT_EXPORT,
        key=f"segment-export:{uuid.uuid4()}",
    )


# --- Campaigns ---------------------------------------------------------------------------------


def campaign_create_by_staff(*, code, actor, **values) -> Campaign:
    """A new draft (campaigns.services.campaigns.campaign_create decides; a second submit of
    the same code is refused with CampaignExists and records nothing)."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    with transaction.atomic():
        campaign = campaign_create(code=code, actor=actor, **values)
        action_record(
            actor=actor,
            subject=campaign_subject(campaign.code),
            kind=StaffActionKind.CAMPAIGN_CREATE,
            key=f"campaign-create:{campaign.pk}",
            details={"channel": campaign.channel, "segment": campaign.segment.code},
        )
    return campaign


def campaign_update_by_staff(*, campaign: Campaign, actor, **values) -> Campaign:
    """A draft's content replaced; recorded with the fields that changed, not at all when
    none did. CampaignNotDraft once it is no longer a draft."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        before = _values(locked, CAMPAIGN_DRAFT_FIELDS)
        saved = campaign_update(campaign=campaign, **values)
        changed = _changed(before, _values(saved, CAMPAIGN_DRAFT_FIELDS))
        if changed:
            action_record(
                actor=actor,
                subject=campaign_subject(saved.code),
                kind=StaffActionKind.CAMPAIGN_UPDATE,
                key=f"campaign-update:{uuid.uuid4()}",
                details={"changed": [name.removesuffix("_id") for name in changed]},
            )
    return saved


def campaign_schedule_by_staff(
    *,
    campaign: Campaign,
    actor,
    send_at: datetime.datetime | None = None,
    local_time: datetime.time | None = None,
) -> Campaign:
    """Schedule the draft; a second submit finds it scheduled (CampaignNotDraft)."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    with transaction.atomic():
        scheduled = campaign_schedule(campaign=campaign, send_at=send_at, local_time=local_time)
        action_record(
            actor=actor,
            subject=campaign_subject(scheduled.code),
            kind=StaffActionKind.CAMPAIGN_SCHEDULE,
            key=f"campaign-schedule:{uuid.uuid4()}",
            details={
                "state": scheduled.state,
                "send_at": scheduled.send_at.isoformat() if scheduled.send_at else None,
                "local_time": scheduled.local_time.strftime("%H:%M")
                if scheduled.local_time
                else None,
            },
        )
    return scheduled


_STATE_CHANGES = {
    "pause": (campaign_pause, StaffActionKind.CAMPAIGN_PAUSE),
    "resume": (campaign_resume, StaffActionKind.CAMPAIGN_RESUME),
    "cancel": (campaign_cancel, StaffActionKind.CAMPAIGN_CANCEL),
}
CAMPAIGN_STATE_CHANGES = tuple(_STATE_CHANGES)


def campaign_state_change_by_staff(*, campaign: Campaign, change: str, actor) -> Campaign:
    """Pause, resume or cancel (`change`), recorded with the state it left and the one it
    reached; a repeat is refused by the service (CampaignStateError) and records nothing."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    service, kind = _STATE_CHANGES[change]
    with transaction.atomic():
        was = (
            Campaign.objects.select_for_update().values_list("state", flat=True).get(pk=campaign.pk)
        )
        changed = service(campaign=campaign)
        action_record(
            actor=actor,
            subject=campaign_subject(changed.code),
            kind=kind,
            key=f"campaign-{change}:{uuid.uuid4()}",
            details={"from": was, "state": changed.state},
        )
    return changed


def campaign_test_send_by_staff(*, campaign: Campaign, member: Member, to: str, actor) -> Message:
    """Send the preview as `member` to `to` (campaign_test_send decides), recorded once sent:
    a refused address or channel records nothing."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    message = campaign_test_send(campaign=campaign, member=member, to=to)
    action_record(
        actor=actor,
        subject=campaign_subject(campaign.code),
        kind=StaffActionKind.CAMPAIGN_TEST_SEND,
        key=f"campaign-test:{uuid.uuid4()}",
        details={"to": message.to, "member": member.member_number},
    )
    return message


def campaign_send_again_by_staff(*, campaign: Campaign, actor) -> int:
    """Queue again the campaign's messages whose fate is unknown; returns how many. Recorded
    with that number when there were any (a second click finds none and records nothing)."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    with transaction.atomic():
        unknown = deliveries_unknown_for_campaign(campaign=campaign)
        count = deliveries_send_again(delivery_ids=unknown.values_list("pk", flat=True))
        if count:
            action_record(
                actor=actor,
                subject=campaign_subject(campaign.code),
                kind=StaffActionKind.CAMPAIGN_SEND_AGAIN,
                key=f"campaign-send-again:{uuid.uuid4()}",
                details={"count": count},
            )
    return count


# --- Automations -------------------------------------------------------------------------------


def _automation_fields_named(changed: list[str]) -> list[str]:
    """The changed fields as the API and the pages name them: the reward and the points are
    one `offer`."""
    named = ["offer" if name.startswith("offer_") else name for name in changed]
    return list(dict.fromkeys(named))


def automation_update_by_staff(*, code: str, actor, **values) -> tuple[Automation, list[str]]:
    """Change an automation's settings (campaigns.services.automations.automation_update
    decides: AutomationInvalid, nothing written, for any problem); recorded with the fields that
    changed and the state it was left in, and not at all when nothing changed (the same toggle
    or the same form submitted twice). Returns the automation and the fields that changed, so
    the page can say when there was nothing to save."""
    staff_permission_require(actor, MANAGE_CAMPAIGNS)
    with transaction.atomic():
        automation, changed = automation_update(code=code, actor=actor, **values)
        if changed:
            action_record(
                actor=actor,
                subject=automation_subject(automation.code),
                kind=StaffActionKind.AUTOMATION_UPDATE,
                key=f"automation-update:{uuid.uuid4()}",
                details={
                    "changed": _automation_fields_named(changed),
                    "enabled": automation.enabled,
                },
            )
    return automation, changed
