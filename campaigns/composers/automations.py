"""The automations' messages (CAMPAIGNS.md, Automations), made the same way for each: the
marketer's content for the message in the member's language, else the text shipped for it
(translated), with the campaigns' merge fields and the automation's own (the gift's points, the
friend's first name...), and the automation's optional reward given with the message.

An automation turned off after its message was queued sends nothing: the row is skipped with
the reason `automation_off`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.channels import Message
from campaigns.composers.building import message_build, offer_give, offered_voucher_code
from campaigns.composers.registry import Compose, Outdated, composer
from campaigns.links import survey_url
from campaigns.merge_values import merge_values_for
from campaigns.models import AUTOMATIONS, MAIN, AutomationCode, Delivery, DeliveryPurpose
from campaigns.schedule import month_bounds
from campaigns.selectors.automations import automation_get
from loyalty.explanations import entry_title, points_text
from loyalty.models import LedgerEntry, Purchase
from loyalty.money import DEFAULT_CURRENCY, money_text
from loyalty.scoring import event_bonus_rule
from loyalty.selectors.ledger import bonus_points
from loyalty.selectors.program import program_in_force
from members.models import Member

MINUS = "\N{MINUS SIGN}"  # a typographic minus, as points read in the member's pages


class AutomationOff(Outdated):
    """The automation was turned off after the message was queued."""


# The texts Tessera ships for each automation's messages, with the same merge fields the
# marketer's content uses; a message or a language the marketer did not write sends these.
DEFAULT_TEXTS: dict[tuple[str, str], tuple] = {
    (AutomationCode.WELCOME, MAIN): (
        gettext_lazy("Welcome, {{ first_name }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nThank you for joining. Every purchase earns you points, "
            "and the points get you rewards. You have {{ points }} points to start with.\n\n"
            "Your card and your points are here: {{ portal_url }}\n"
        ),
    ),
    (AutomationCode.BIRTHDAY, MAIN): (
        gettext_lazy("Happy birthday, {{ first_name }}!"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nHappy birthday from all of us. As a gift, we have added "
            "{{ gift_points }} points to your account, which now holds {{ points }} points.\n\n"
            "See what they get you: {{ portal_url }}\n"
        ),
    ),
    (AutomationCode.REFERRAL, "referrer"): (
        gettext_lazy("{{ friend_first_name }} made a first purchase: {{ gift_points }} points"),
        gettext_lazy(
            "Hello {{ first_name }},\n\n{{ friend_first_name }}, who joined with your "
            "invitation, made a first purchase. Thank you: we have added {{ gift_points }} points "
            "to your account, which now holds {{ points }} points.\n\n"
            "Invite more friends: {{ portal_url }}\n"
        ),
    ),
    (AutomationCode.REFERRAL, "referee"): (
        gettext_lazy("{{ gift_points }} points for joining with an invitation"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nYou joined with {{ friend_first_name }}'s invitation and "
            "your first purchase now counts: we have added {{ gift_points }} points to your "
            "account, which now holds {{ points }} points.\n\n"
            "See what they get you: {{ portal_url }}\n"
        ),
    ),
    (AutomationCode.TIER_CHANGE, "upgrade"): (
        gettext_lazy("You are now {{ new_tier }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nYour purchases have taken you to the {{ new_tier }} "
            "tier. Enjoy its benefits from your next purchase.\n\n{{ portal_url }}\n"
        ),
    ),
    (AutomationCode.TIER_CHANGE, "downgrade"): (
        gettext_lazy("Your tier is now {{ new_tier }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nAt the yearly tier review, your purchases of the past "
            "period placed you in the {{ new_tier }} tier rather than {{ previous_tier }}. Every "
            "purchase counts towards the next tier again.\n\n{{ portal_url }}\n"
        ),
    ),
    (AutomationCode.POINTS_EXPIRING, MAIN): (
        gettext_lazy("{{ expiring_points }} points expire on {{ expiring_on }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\n{{ expiring_points }} of your points expire on "
            "{{ expiring_on }}. Use them before then: see what they get you at "
            "{{ portal_url }}\n"
        ),
    ),
    (AutomationCode.VOUCHER_EXPIRING, MAIN): (
        gettext_lazy("Your voucher expires soon: {{ reward }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nYour voucher ({{ reward }}) is still unused and "
            "expires on {{ voucher_expires_on }}. Show this code at the till to use it:\n\n"
            "    {{ voucher_code }}\n\nSee it with its QR code: {{ voucher_url }}\n"
        ),
    ),
    (AutomationCode.MONTHLY_STATEMENT, MAIN): (
        gettext_lazy("Your points in {{ statement_month }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nYour points in {{ statement_month }}:\n\n"
            "{{ statement_lines }}\n\nEvery movement, explained: {{ portal_url }}\n"
        ),
    ),
    (AutomationCode.WIN_BACK, MAIN): (
        gettext_lazy("We miss you, {{ first_name }}"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nIt has been a while since your last visit. Your "
            "{{ points }} points are still waiting for you: see what they get you at "
            "{{ portal_url }}\n"
        ),
    ),
    (AutomationCode.SURVEY, MAIN): (
        gettext_lazy("How was your visit, {{ first_name }}?"),
        gettext_lazy(
            "Hello {{ first_name }},\n\nHow likely are you to recommend us to a friend? Tell us "
            "from 0 to 10, in one click and with no need to sign in:\n\n{{ survey_url }}\n\n"
            "Thank you for your time.\n"
        ),
    ),
}


def automation_texts(code: str, message: str, language: str, content: Mapping) -> tuple[str, str]:
    """(subject, body) of `message` in `language`: the marketer's, else the shipped text."""
    written = (content.get(message) or {}).get(language)
    if written and (written.get("body") or "").strip():
        return written.get("subject", ""), written["body"]
    subject, body = DEFAULT_TEXTS[(code, message)]
    with translation.override(language):
        return str(subject), str(body)


def automation_offer_key(delivery: Delivery) -> str:
    """Once per member and occasion: the gift key of the reward's voucher, the bonus key of its
    points (the unique indexes in rewards and the ledger)."""
    return f"automation:{delivery.automation}:{delivery.occasion}"


def automation_message(
    delivery: Delivery,
    member: Member,
    *,
    message: str = MAIN,
    extra: Mapping[str, str] | None = None,
    at: datetime.datetime | None = None,
) -> Message:
    """`member`'s message of the row's automation: its `message` (the referral's `referrer` or
    `referee`...), the merge values of the moment and `extra` (the automation's own fields)."""
    automation = automation_of(delivery)
    if not automation.enabled:
        raise AutomationOff(f"automation {automation.code} is off")
    language = member.language
    values = member_values(delivery, member, at=at)
    values.update(extra or {})
    subject, body = automation_texts(automation.code, message, language, automation.content)
    appendix = ""
    reward = automation.offer_reward
    if reward is not None:
        values["voucher_code"] = offered_voucher_code(delivery)
        if "voucher_code" not in body:
            with translation.override(language):
                appendix = _(
                    "Your gift: %(reward)s. Show this code at the till to use it: %(code)s"
                ) % {"reward": reward.localized_name(language), "code": values["voucher_code"]}
    elif automation.offer_points and "gift_points" not in automation.spec.fields:
        with translation.override(language):
            appendix = _("Your gift: %(points)s points, in your account now.") % {
                "points": points_text(automation.offer_points)
            }
    return message_build(
        delivery,
        member,
        subject=subject,
        body=body,
        values=values,
        language=language,
        marketing=automation.spec.purpose == DeliveryPurpose.MARKETING,
        appendix=appendix,
    )


def automation_offers(delivery: Delivery) -> bool:
    automation = automation_of(delivery)
    return automation.offer_reward_id is not None or bool(automation.offer_points)


def automation_offer_issue(delivery: Delivery, member: Member) -> None:
    """Give the automation's reward with the message recorded sent: its reward as a voucher at
    no points (under the code the message announced) or its points. Once per member and
    occasion, however often this runs for the row."""
    automation = automation_of(delivery)
    offer_give(
        member,
        key=automation_offer_key(delivery),
        reward=automation.offer_reward if automation.offer_reward_id is not None else None,
        points=automation.offer_points,
        voucher_code=delivery.voucher_code,
        event=automation.code,
        source_type="automation",
        source_id=automation.code,
        reason=f"automation {automation.code} {delivery.occasion}",
    )


def gift_points_of(delivery: Delivery, bonus_key: str) -> int:
    """The bonus points the program gave for the occasion, plus the automation's own points."""
    automation = automation_of(delivery)
    own = automation.offer_points or 0
    return bonus_points(member_id=delivery.member_id, bonus_key=bonus_key) + own


# What an automation's composer reads for a whole batch at once: rows -> {name: what}.
Prefetch = Callable[[Sequence[Delivery]], Mapping]

# Where a row of a prepared batch keeps the batch (set by _Batch, read by automation_of and
# member_values).
_BATCH = "_automation_batch"


class _Batch:
    """What a batch of an automation's rows shares, read once: the automation (on or off, its
    content and reward) and every member's merge values, of the batch's start (a batch lasts
    seconds; an automation turned off meanwhile stops at the next batch, as a paused campaign
    does). Each row keeps the batch, for its composer, its offer and its `gives`."""

    def __init__(self, rows: Sequence[Delivery], prefetch: Prefetch | None = None) -> None:
        self.prefetched = prefetch(rows) if prefetch is not None else {}
        self.automations = {code: automation_get(code) for code in {row.automation for row in rows}}
        members = list(
            Member.objects.select_related("user").filter(pk__in={row.member_id for row in rows})
        )
        self.values = merge_values_for(members=members, at=timezone.now())
        for row in rows:
            setattr(row, _BATCH, self)


def prefetched(delivery: Delivery) -> Mapping:
    """What the composer's `prefetch` read for the row's batch ({} for a row composed alone)."""
    batch = getattr(delivery, _BATCH, None)
    return batch.prefetched if batch is not None else {}


def automation_of(delivery: Delivery):
    """The row's automation: its batch's, else read now."""
    batch = getattr(delivery, _BATCH, None)
    if batch is not None and delivery.automation in batch.automations:
        return batch.automations[delivery.automation]
    return automation_get(delivery.automation)


def member_values(
    delivery: Delivery, member: Member, *, at: datetime.datetime | None = None
) -> dict[str, str]:
    """`member`'s merge values for the row (a copy, to add to): its batch's, else read as of
    `at` (default now)."""
    batch = getattr(delivery, _BATCH, None)
    if batch is not None and member.pk in batch.values:
        return dict(batch.values[member.pk])
    return dict(merge_values_for(members=[member], at=at or timezone.now())[member.pk])


def automation_composer(code: str, *, prefetch: Prefetch | None = None):
    """@composer for an automation: its purpose as declared (a notice, or marketing), its
    reward given with its message, and its batches prepared (_Batch), with what `prefetch(rows)`
    reads for them all at once (its composer finds it in `prefetched(row)`)."""

    def register(compose: Compose) -> Compose:
        def prepare(rows: Sequence[Delivery]) -> Compose:
            _Batch(rows, prefetch)
            return compose

        return composer(
            code,
            purpose=AUTOMATIONS[code].purpose,
            prepare=prepare,
            issue=automation_offer_issue,
            offers=automation_offers,
        )(compose)

    return register


# --- Welcome and birthday ----------------------------------------------------------------------


@automation_composer(AutomationCode.WELCOME)
def welcome(delivery: Delivery, member: Member) -> Message:
    """On joining (the occasion is the member): the sign-up bonus is the gift."""
    points = gift_points_of(delivery, "signup:once")
    return automation_message(delivery, member, extra={"gift_points": points_text(points)})


@automation_composer(AutomationCode.BIRTHDAY)
def birthday(delivery: Delivery, member: Member) -> Message:
    """On the birthday, at 09:00 the member's time (the occasion is the year): the birthday
    bonus, credited when the message was queued, is the gift."""
    points = gift_points_of(delivery, f"birthday:{delivery.occasion}")
    return automation_message(delivery, member, extra={"gift_points": points_text(points)})


# --- Referral ----------------------------------------------------------------------------------


@automation_composer(AutomationCode.REFERRAL)
def referral(delivery: Delivery, member: Member) -> Message:
    """Both sides of a rewarded referral (the occasion is the friend): the referrer hears that
    the friend's first purchase earned them points, the friend that joining with an invitation
    did. Each is told the other's first name only."""
    referee_id = int(delivery.occasion)
    is_referee = member.pk == referee_id
    other = (
        Member.objects.select_related("user")
        .filter(pk=member.referred_by_id if is_referee else referee_id)
        .first()
    )
    key = "referral:referee" if is_referee else f"referral:{referee_id}"
    points = gift_points_of(delivery, key)
    if not points:
        raise Outdated(f"the referral of member {referee_id} gave {member.pk} nothing")
    return automation_message(
        delivery,
        member,
        message="referee" if is_referee else "referrer",
        extra={
            "gift_points": points_text(points),
            "friend_first_name": other.user.first_name if other is not None else "",
        },
    )


# --- Points expiring ---------------------------------------------------------------------------


@automation_composer(AutomationCode.POINTS_EXPIRING)
def points_expiring(delivery: Delivery, member: Member) -> Message:
    """`warn_days` before points expire (the occasion is the soonest expiry date): how many
    and when, as of sending. Nothing left to expire by then (spent, or a purchase restarted
    the inactivity clock) is no longer worth a message."""
    if not _expiring_left(delivery, member):
        raise Outdated(f"member {member.pk} has no points expiring soon any more")
    return automation_message(delivery, member)


def _expiring_left(delivery: Delivery, member: Member) -> bool:
    return bool(member_values(delivery, member).get("expiring_on"))


# --- Win-back and the monthly statement --------------------------------------------------------


@automation_composer(AutomationCode.WIN_BACK)
def win_back(delivery: Delivery, member: Member) -> Message:
    """N days after the last purchase (the occasion): a member who bought again since is back
    already."""
    if Purchase.objects.filter(member_id=member.pk, pk__gt=int(delivery.occasion)).exists():
        raise Outdated(f"member {member.pk} bought again")
    return automation_message(delivery, member)


def _statement_line(entry: LedgerEntry, zone, currency: str) -> str:
    """ "3 de noviembre · Compra en tienda (64,90 €) · +70": the day, what the movement was (with
    the purchase's or the refund's amount) and its points, in the active language."""
    day = formats.date_format(entry.occurred_at.astimezone(zone), "MONTH_DAY_FORMAT")
    title = entry_title(entry)
    if entry.refund_id is not None:
        title = f"{title} ({money_text(entry.refund.amount, currency)})"
    elif entry.purchase_id is not None:
        title = f"{title} ({money_text(entry.purchase.amount, currency)})"
    sign = "+" if entry.points > 0 else MINUS
    return f"{day} · {title} · {sign}{points_text(abs(entry.points))}"


@automation_composer(AutomationCode.MONTHLY_STATEMENT)
def monthly_statement(delivery: Delivery, member: Member) -> Message:
    """Last month's points (the occasion is the month, `2026-11`): each movement with what it
    was, then the balance, what expires soon and the next tier."""
    year, month = (int(part) for part in delivery.occasion.split("-"))
    at = timezone.now()
    program = program_in_force(at=at)
    zone = program.zone if program is not None else datetime.UTC
    start, end = month_bounds(year, month, zone)
    values = member_values(delivery, member, at=at)
    entries = (
        LedgerEntry.objects.filter(member_id=member.pk, occurred_at__gte=start, occurred_at__lt=end)
        .select_related("purchase", "refund")
        .order_by("occurred_at", "pk")
    )
    currency = program.currency if program is not None else DEFAULT_CURRENCY
    with translation.override(member.language):
        lines = [_statement_line(entry, zone, currency) for entry in entries]
        lines.append("")
        lines.append(_("Your balance: %(points)s points") % {"points": values["points"]})
        if values["expiring_on"]:
            lines.append(
                _("Expiring soon: %(points)s points on %(date)s")
                % {"points": values["expiring_points"], "date": values["expiring_on"]}
            )
        if values["next_tier"]:
            lines.append(
                _("Next tier: %(tier)s, %(amount)s to go")
                % {"tier": values["next_tier"], "amount": values["amount_to_next_tier"]}
            )
        month_name = formats.date_format(start.date(), "YEAR_MONTH_FORMAT")
    return automation_message(
        delivery,
        member,
        extra={"statement_month": month_name, "statement_lines": "\n".join(lines)},
        at=at,
    )


# --- Survey ------------------------------------------------------------------------------------


@automation_composer(AutomationCode.SURVEY)
def survey(delivery: Delivery, member: Member) -> Message:
    """N days after a purchase (the occasion is the survey): the signed link to its page, and
    the survey rule's points it earns."""
    program = program_in_force()
    rule = event_bonus_rule(program=program, event="survey_answered") if program else None
    return automation_message(
        delivery,
        member,
        extra={
            "survey_url": survey_url(survey_pk=int(delivery.occasion)),
            "gift_points": points_text(rule.points if rule and rule.points else 0),
        },
    )
