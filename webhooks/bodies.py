"""The body of a delivery: `{"id": "evt_...", "type", "created_at", "data"}` (API.md, Webhooks).

`data` is what the event is about in the API's own shapes, rendered by the API's own output
serializers, so a receiver parses what it already parses from the API:

- `member.enrolled`, `member.erased`: a member (`GET /members/{n}/`; an erased member as the
  API shows one then);
- `purchase.recorded`: a purchase answer (`POST /purchases/`) and `member_number`;
- `purchase.refunded`: a refund answer (`POST /purchases/{id}/refunds/`) and `member_number`;
- `points.expired`: the ledger entry (`GET /members/{n}/transactions/`) and `member_number`;
- `tier.changed`: `member_number`, `from` and `to` (a member's `tier`: code and name, or
  null), `reason` and `changed_at`;
- `voucher.issued`, `voucher.consumed`, `voucher.cancelled`: a voucher (`GET /vouchers/{code}/`);
- `campaign.sent`: a campaign (`GET /campaigns/{code}/`) with its counts.

The body is built once, when the event is handed to the webhooks (within seconds of the change),
and stored: what it shows is the state then, and every retry and replay sends the same bytes.

The event id is derived from the event's row id with a keyed hash: stable for the event (the
same in every delivery of it, to every endpoint), unguessable, and telling nothing of how many
events there were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from campaigns.api.campaigns import CampaignOutput
from campaigns.events import CAMPAIGN_SENT
from campaigns.models import Campaign
from config.events.models import Event
from config.languages import localized
from loyalty.api.members import EntryOutput, MemberOutput, TierOutput
from loyalty.api.purchases import PurchaseOutput, RefundOutput, purchase_body
from loyalty.events import POINTS_EXPIRED, PURCHASE_RECORDED, PURCHASE_REFUNDED, TIER_CHANGED
from loyalty.models import LedgerEntry, Refund, TierChange
from loyalty.selectors.ledger import purchase_get
from loyalty.selectors.program import program_definition_current, program_in_force
from members.events import MEMBER_ENROLLED, MEMBER_ERASED
from members.models import Member
from rewards.api import VoucherOutput, voucher_body
from rewards.events import VOUCHER_CANCELLED, VOUCHER_CONSUMED, VOUCHER_ISSUED
from rewards.models import Voucher

EVENT_ID_PREFIX = "evt_"
_EVENT_ID_SALT = "tessera.webhooks.event-id"

_stamp = serializers.DateTimeField().to_representation


def event_public_id(event_pk: int) -> str:
    return EVENT_ID_PREFIX + salted_hmac(_EVENT_ID_SALT, str(event_pk)).hexdigest()[:24]


def event_body(event: Event) -> bytes | None:
    """The body for `event`, or None when what it reports is no longer there to describe."""
    data = _DATA[event.kind](event.payload)
    if data is None:
        return None
    envelope = {
        "id": event_public_id(event.pk),
        "type": event.kind,
        "created_at": _stamp(event.created_at),
        "data": data,
    }
    return json.dumps(envelope, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


class _SiteRequest:
    """What rewards.api reads of a request to write a voucher's `qr_url`; a delivery is built
    by a worker, which has none, and names the site by SITE_URL as every mail does."""

    def build_absolute_uri(self, location: str) -> str:
        return settings.SITE_URL + location


def _member(payload: dict) -> dict | None:
    member = Member.objects.select_related("user").filter(pk=payload["member_id"]).first()
    if member is None:
        return None
    return MemberOutput(member, context={"program": program_definition_current()}).data


def _purchase(payload: dict) -> dict | None:
    purchase = purchase_get(external_id=payload["external_id"])
    if purchase is None:
        return None
    answer = PurchaseOutput(purchase_body(purchase)).data
    return {**answer, "member_number": purchase.member.member_number}


def _refund(payload: dict) -> dict | None:
    refund = (
        Refund.objects.select_related("purchase__member").filter(pk=payload["refund_id"]).first()
    )
    if refund is None:
        return None
    answer = RefundOutput(
        {
            "id": refund.pk,
            "external_id": refund.external_id,
            "amount": refund.amount,
            "points_taken": refund.points_taken,
            "purchase": purchase_body(refund.purchase),
        }
    ).data
    return {**answer, "member_number": refund.purchase.member.member_number}


def _entry(payload: dict) -> dict | None:
    entry = (
        LedgerEntry.objects.select_related("member", "purchase", "refund")
        .filter(pk=payload["entry_id"])
        .first()
    )
    if entry is None:
        return None
    return {**EntryOutput(entry).data, "member_number": entry.member.member_number}


def _tier_change(payload: dict) -> dict | None:
    change = (
        TierChange.objects.select_related("member").filter(pk=payload["tier_change_id"]).first()
    )
    if change is None:
        return None
    program = program_in_force(at=change.at)
    levels = {level.code: level for level in program.tiers} if program else {}
    language = change.member.language

    def tier(code: str) -> dict | None:
        if not code:
            return None
        level = levels.get(code)
        name = localized(level.name, language, code) if level else code
        return TierOutput({"code": code, "name": name}).data

    return {
        "member_number": change.member.member_number,
        "from": tier(change.from_code),
        "to": tier(change.to_code),
        "reason": change.reason,
        "changed_at": _stamp(change.at),
    }


def _voucher(payload: dict) -> dict | None:
    voucher = (
        Voucher.objects.select_related("redemption__member")
        .filter(pk=payload["voucher_id"])
        .first()
    )
    if voucher is None:
        return None
    return VoucherOutput(voucher_body(_SiteRequest(), voucher)).data


def _campaign(payload: dict) -> dict | None:
    campaign = (
        Campaign.objects.select_related("segment", "offer_reward")
        .filter(pk=payload["campaign_id"])
        .first()
    )
    if campaign is None:
        return None
    return CampaignOutput(campaign).data


_DATA: dict[str, Callable[[dict], Any]] = {
    MEMBER_ENROLLED: _member,
    MEMBER_ERASED: _member,
    PURCHASE_RECORDED: _purchase,
    PURCHASE_REFUNDED: _refund,
    POINTS_EXPIRED: _entry,
    TIER_CHANGED: _tier_change,
    VOUCHER_ISSUED: _voucher,
    VOUCHER_CONSUMED: _voucher,
    VOUCHER_CANCELLED: _voucher,
    CAMPAIGN_SENT: _campaign,
}
