"""The events a webhook endpoint may subscribe to (API.md, Webhooks), with what staff read
for each in the admin. Each is a domain event of the app that makes the change (members,
loyalty, rewards, campaigns), recorded in the change's own transaction."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from campaigns.events import CAMPAIGN_SENT
from loyalty.events import POINTS_EXPIRED, PURCHASE_RECORDED, PURCHASE_REFUNDED, TIER_CHANGED
from members.events import MEMBER_ENROLLED, MEMBER_ERASED
from rewards.events import VOUCHER_CANCELLED, VOUCHER_CONSUMED, VOUCHER_ISSUED

# In API.md's order, which is the order an endpoint's `events` are kept and shown in.
EVENT_CHOICES = [
    (MEMBER_ENROLLED, _("a member enrolled")),
    (MEMBER_ERASED, _("a member erased their data")),
    (PURCHASE_RECORDED, _("a purchase recorded")),
    (PURCHASE_REFUNDED, _("a purchase refunded")),
    (POINTS_EXPIRED, _("points expired")),
    (TIER_CHANGED, _("a member's tier changed")),
    (VOUCHER_ISSUED, _("a voucher issued")),
    (VOUCHER_CONSUMED, _("a voucher consumed")),
    (VOUCHER_CANCELLED, _("a voucher cancelled")),
    (CAMPAIGN_SENT, _("a campaign sent")),
]
EVENT_TYPES = tuple(name for name, _label in EVENT_CHOICES)


def events_ordered(events) -> list[str]:
    """`events` without repeats, in the catalog's order (unknown names are left out: callers
    check them first)."""
    wanted = set(events)
    return [name for name in EVENT_TYPES if name in wanted]
