"""A segment's rules as one SQL query over members (CAMPAIGNS.md, Segments): each rule becomes a
Q over the member's row, their account, or a subquery over their purchases, and the segment is
those Qs joined by AND (`all`) or OR (`any`). Nothing is stored: the count and the list are
always as of now. The rules come validated and normalized (campaigns.segment_rules).

What "as of now, in the program's time zone" means here:

- A day is a day on the program's wall clock. `days_since_X` is today's date minus the date of
  X, both program-local; `window_days: N` is the last N days counting today (so a purchase
  within the window is one with `days_since_last_purchase < N`). Each becomes a comparison of the
  timestamp with a local midnight computed once, which the (member, purchased_at) index serves.
- A purchase counts when its amount net of refunds is above zero (ANALYTICS.md): a fully
  refunded purchase is not a purchase, not a last purchase, not a channel or category bought.
- Blocked and erased members (members.services.member_erase) are never in a segment.

How each kind of rule stays cheap on 100,000 members and 1,000,000 purchases (bench/campaign.py):

- A condition that holds for a member with no purchase at all (`purchases lte 2`, `spend lt`,
  `channel ne online`) is written as NOT IN the members whose purchases break it, so the
  grouped subquery runs once (a hashed subplan), never once per member.
- Anything else over purchases is IN a grouped subquery, or EXISTS, both of which PostgreSQL
  plans as one semi-join.
- RFM groups are one window query over the last 365 days' purchases (rfm_groups_sql).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import and_, or_

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.models import MemberForecast
from campaigns import segment_rules as vocabulary
from campaigns.segment_rules import BETWEEN, EQ, GTE, IN, LTE, MATCH_ANY, NE, NOT_IN
from loyalty.models import Purchase
from loyalty.rules.tiers import tier_lowest_code
from loyalty.selectors.program import program_in_force
from members.models import Member, MemberStatus

# members.services.member_erase gives the person's user this address: a random name at the
# reserved .invalid domain (RFC 2606), which nothing else produces.
ERASED_EMAIL_PREFIX = "erased-"
ERASED_EMAIL_DOMAIN = "@invalid"

CONSENT_FIELDS = {
    "email": "marketing_email_opt_in",
    "sms": "marketing_sms_opt_in",
    "push": "marketing_push_opt_in",
}

RFM_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Moment:
    """ "Now" as the rules read it: the instant, the program's calendar at it, and the tier a
    member has before their first ledger write opens their account (the lowest)."""

    now: datetime.datetime
    zone: datetime.tzinfo
    lowest_tier: str = ""

    @classmethod
    def at(cls, now: datetime.datetime | None = None) -> Moment:
        now = now or timezone.now()
        program = program_in_force(at=now)
        if program is None:
            return cls(now=now, zone=datetime.UTC)
        return cls(now=now, zone=program.zone, lowest_tier=tier_lowest_code(program) or "")

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone(self.zone).date()

    def midnight(self, day: datetime.date) -> datetime.datetime:
        """The instant `day` starts on the program's wall clock."""
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.zone)

    def days_ago_start(self, days: int) -> datetime.datetime:
        """The start of the day `days` days before today (0: today's midnight)."""
        return self.midnight(self.today - datetime.timedelta(days=days))

    def window_start(self, window_days: int | None) -> datetime.datetime | None:
        """The first instant of the last `window_days` days, today included (None: all time)."""
        return None if window_days is None else self.days_ago_start(window_days - 1)


# --- Comparing a value -----------------------------------------------------------------------


def _compare(lookup: str, op: str, value) -> Q:
    """`lookup op value` for the positive operators (eq, in, gte, lte, between)."""
    if op == EQ:
        return Q(**{lookup: value})
    if op == IN:
        return Q(**{f"{lookup}__in": value})
    if op == GTE:
        return Q(**{f"{lookup}__gte": value})
    if op == LTE:
        return Q(**{f"{lookup}__lte": value})
    if op == BETWEEN:
        return Q(**{f"{lookup}__gte": value[0], f"{lookup}__lte": value[1]})
    raise ValueError(op)


def _positive(op: str) -> str:
    return {NE: EQ, NOT_IN: IN}.get(op, op)


def _holds(op: str, value, number) -> bool:
    """Whether the rule holds for the plain `number` (used for a member with no purchase: 0)."""
    if op in (EQ, NE):
        result = number == value
    elif op in (IN, NOT_IN):
        result = number in value
    elif op == GTE:
        result = number >= value
    elif op == LTE:
        result = number <= value
    else:
        result = value[0] <= number <= value[1]
    return not result if op in vocabulary.NEGATIVE_OPERATORS else result


def _matching(lookup: str, op: str, value) -> Q:
    """`lookup op value` for any operator."""
    q = _compare(lookup, _positive(op), value)
    return ~q if op in vocabulary.NEGATIVE_OPERATORS else q


# --- Days since a moment ---------------------------------------------------------------------


def _day_ranges(op: str, value, moment: Moment) -> list[tuple]:
    """The instants [start, end) (either may be None: open) for which `days since` satisfies
    the positive form of `op`. days >= N <=> the moment is before the start of the day N - 1
    days ago; days <= N <=> it is at or after the start of the day N days ago."""

    def between(low: int, high: int) -> tuple:
        return (moment.days_ago_start(high), moment.days_ago_start(low - 1))

    op = _positive(op)
    if op == EQ:
        return [between(value, value)]
    if op == IN:
        return [between(day, day) for day in value]
    if op == GTE:
        return [(None, moment.days_ago_start(value - 1))]
    if op == LTE:
        return [(moment.days_ago_start(value), None)]
    return [between(value[0], value[1])]


def _in_range(lookup: str, start, end) -> Q:
    q = Q()
    if start is not None:
        q &= Q(**{f"{lookup}__gte": start})
    if end is not None:
        q &= Q(**{f"{lookup}__lt": end})
    return q


# --- Purchases -------------------------------------------------------------------------------


def counted_purchases(*, since: datetime.datetime | None = None) -> QuerySet[Purchase]:
    """Purchases whose amount net of refunds is above zero, from `since` (None: all time)."""
    purchases = Purchase.objects.filter(amount__gt=F("refunded_amount"))
    if since is not None:
        purchases = purchases.filter(purchased_at__gte=since)
    return purchases


def _net():
    return F("amount") - F("refunded_amount")


def _members_whose(purchases: QuerySet[Purchase], having: Q, **aggregates) -> QuerySet:
    """The members (ids) whose purchases, aggregated, satisfy `having`: one grouped query."""
    return purchases.values("member_id").annotate(**aggregates).filter(having).values("member_id")


def _aggregate_rule(purchases: QuerySet[Purchase], name: str, aggregate, op: str, value, zero) -> Q:
    """A rule over one aggregate of the member's purchases (a count, a sum); `zero` is its value
    for a member with none, who matches when the rule holds for it."""
    if _holds(op, value, zero):
        broken = ~_matching(name, op, value)
        return ~Q(pk__in=_members_whose(purchases, broken, **{name: aggregate}))
    return Q(pk__in=_members_whose(purchases, _matching(name, op, value), **{name: aggregate}))


def _average_having(op: str, value, *, total: str, orders: str) -> Q:
    """Average order value = spend / purchases, compared as spend against value x purchases,
    which is exact in decimals; a member with no purchase has no average and never matches."""

    def scaled(amount: Decimal) -> ExpressionWrapper:
        return ExpressionWrapper(Value(amount) * F(orders), output_field=DecimalField())

    def compare(lookup: str, amount) -> Q:
        return Q(**{f"{total}{lookup}": scaled(Decimal(amount))})

    positive = _positive(op)
    if positive in (EQ, IN):
        amounts = [value] if positive == EQ else value
        q = reduce(or_, (compare("", amount) for amount in amounts))
    elif positive == GTE:
        q = compare("__gte", value)
    elif positive == LTE:
        q = compare("__lte", value)
    else:
        q = compare("__gte", value[0]) & compare("__lte", value[1])
    if op in vocabulary.NEGATIVE_OPERATORS:
        q = ~q
    return Q(**{f"{orders}__gt": 0}) & q


def _average_rule(purchases: QuerySet[Purchase], op: str, value) -> Q:
    having = _average_having(op, value, total="total", orders="orders")
    members = _members_whose(purchases, having, total=Sum(_net()), orders=Count("*"))
    return Q(pk__in=members)


# --- Several aggregates in one pass ----------------------------------------------------------

AGGREGATE_FIELDS = ("purchases", "spend", "average_order_value")


def _zero_matches(rule: dict) -> bool:
    """Whether a member with no purchase in the rule's window satisfies it."""
    if rule["field"] == "purchases":
        return _holds(rule["op"], rule["value"], 0)
    if rule["field"] == "spend":
        return _holds(rule["op"], _money(rule["value"]), Decimal(0))
    return False  # no purchase, no average


def _aggregates_together(rules: list[dict], moment: Moment) -> Q:
    """Rules over counts and sums of purchases that all must hold, and that no member without
    purchases satisfies, as one grouped subquery: one read of the purchases (the index on
    member and time) from the widest window, each aggregate filtered to its own window.
    Two windows read apart cost the five-rule segment of bench/campaign.py a second pass."""
    starts = [moment.window_start(rule.get("window_days")) for rule in rules]
    widest = None if any(start is None for start in starts) else min(starts)
    aggregates: dict = {}
    having = Q()
    for position, (rule, start) in enumerate(zip(rules, starts, strict=True)):
        window = Q(purchased_at__gte=start) if start is not None and start != widest else None
        # COUNT(*) takes no filter; purchased_at is never null and in the index.
        count = Count("purchased_at", filter=window) if window is not None else Count("*")
        spent = Coalesce(Sum(_net(), filter=window), Value(Decimal(0)), output_field=DecimalField())
        if rule["field"] == "purchases":
            aggregates[f"orders_{position}"] = count
            having &= _matching(f"orders_{position}", rule["op"], rule["value"])
        elif rule["field"] == "spend":
            aggregates[f"spent_{position}"] = spent
            having &= _matching(f"spent_{position}", rule["op"], _money(rule["value"]))
        else:
            aggregates[f"orders_{position}"] = count
            aggregates[f"spent_{position}"] = spent
            having &= _average_having(
                rule["op"],
                rule["value"],
                total=f"spent_{position}",
                orders=f"orders_{position}",
            )
    return Q(pk__in=_members_whose(counted_purchases(since=widest), having, **aggregates))


def _bought(purchases: QuerySet[Purchase], condition: Q, op: str) -> Q:
    """Bought something matching `condition` (eq/in), or did not (ne/not_in, which a member
    with no purchase satisfies)."""
    found = Exists(purchases.filter(condition, member_id=OuterRef("pk")))
    return ~Q(found) if op in vocabulary.NEGATIVE_OPERATORS else Q(found)


def _last_purchase_rule(op: str, value, moment: Moment) -> Q:
    """Days since the last counted purchase; a member with none never matches. The last
    purchase is in [start, end) when some purchase is at or after start and none at or after
    end: two EXISTS, each a semi-join on (member, purchased_at)."""

    def since(at) -> Exists:
        return Exists(counted_purchases(since=at).filter(member_id=OuterRef("pk")))

    def last_in(start, end) -> Q:
        q = Q(since(start)) if start is not None else Q(since(None))
        if end is not None:
            q &= ~Q(since(end))
        return q

    q = reduce(or_, (last_in(start, end) for start, end in _day_ranges(op, value, moment)))
    if op in vocabulary.NEGATIVE_OPERATORS:
        return Q(since(None)) & ~q
    return q


# --- RFM -------------------------------------------------------------------------------------

# CAMPAIGNS.md: a score is 1 + floor(5 x (members with a strictly lower value) / (members
# scored)); RANK() - 1 is exactly the members strictly lower, so ties share a score. The
# division is of non-negative integers, which PostgreSQL and SQLite floor. R orders by the time
# of the last purchase (later is better), F by the number of purchases. The groups read R and F
# only, so M (spend) is not computed: it would cost one more sort of every scored member.
RFM_SCORES_SQL = """
SELECT member_id,
       1 + (5 * (RANK() OVER (ORDER BY last_at) - 1)) / COUNT(*) OVER () AS r,
       1 + (5 * (RANK() OVER (ORDER BY frequency) - 1)) / COUNT(*) OVER () AS f
FROM (
    SELECT member_id, MAX(purchased_at) AS last_at, COUNT(*) AS frequency
    FROM loyalty_purchase
    WHERE amount > refunded_amount AND purchased_at >= %s
    GROUP BY member_id
) AS measures
"""

RFM_GROUPS_SQL = f"""
SELECT member_id,
       CASE WHEN r >= 4 AND f >= 4 THEN 'champions'
            WHEN r <= 2 AND f >= 3 THEN 'at_risk'
            WHEN f >= 3 THEN 'loyal'
            WHEN r >= 4 THEN 'recent'
            WHEN r = 1 THEN 'lost'
            ELSE 'hibernating' END AS rfm_group
FROM ({RFM_SCORES_SQL}) AS scores
"""  # noqa: S608 - constant SQL

# Filled with one "%s" per value: the SQL stays constant, every value is bound.
RFM_MEMBERS_IN_GROUPS_SQL = (
    "SELECT member_id FROM (" + RFM_GROUPS_SQL + ") AS grouped"  # noqa: S608 - constant
    " WHERE rfm_group IN ({placeholders})"
)
RFM_GROUP_OF_MEMBERS_SQL = (
    "SELECT member_id, rfm_group FROM (" + RFM_GROUPS_SQL + ") AS grouped"  # noqa: S608 - constant
    " WHERE member_id IN ({placeholders})"
)

INACTIVE = "inactive"


def rfm_since(moment: Moment) -> datetime.datetime:
    return moment.window_start(RFM_WINDOW_DAYS)


def _rfm_members(groups: list[str], moment: Moment) -> Q:
    since = rfm_since(moment)
    scored = [group for group in groups if group != INACTIVE]
    q = Q(pk__in=[])
    if scored:
        placeholders = ", ".join(["%s"] * len(scored))
        sql = RFM_MEMBERS_IN_GROUPS_SQL.format(placeholders=placeholders)
        q = Q(pk__in=RawSQL(sql, [since, *scored]))  # noqa: S611 - constant SQL, bound values
    if INACTIVE in groups:
        q |= ~Q(Exists(counted_purchases(since=since).filter(member_id=OuterRef("pk"))))
    return q


def _rfm_rule(op: str, value, moment: Moment) -> Q:
    groups = [value] if op in (EQ, NE) else list(value)
    q = _rfm_members(groups, moment)
    return ~q if op in vocabulary.NEGATIVE_OPERATORS else q


# --- Rules -----------------------------------------------------------------------------------


# A member's account row is written by their first ledger write; before it they have no points
# and the lowest tier (loyalty.selectors.ledger.account_for_member), and the rules read them so.


def _without_account(holds: bool) -> Q:
    return Q(loyalty_account__isnull=True) if holds else Q(pk__in=[])


def _account(field: str) -> Callable:
    def compile_rule(rule: dict, moment: Moment) -> Q:
        op, value = rule["op"], rule["value"]
        lookup = f"loyalty_account__{field}"
        present = Q(loyalty_account__isnull=False) & _matching(lookup, op, value)
        return present | _without_account(_holds(op, value, 0))

    return compile_rule


def _tier(rule: dict, moment: Moment) -> Q:
    op, value = rule["op"], rule["value"]
    present = Q(loyalty_account__isnull=False) & _matching("loyalty_account__tier_code", op, value)
    return present | _without_account(_holds(op, value, moment.lowest_tier))


def _purchase_count(rule: dict, moment: Moment) -> Q:
    purchases = counted_purchases(since=moment.window_start(rule.get("window_days")))
    return _aggregate_rule(purchases, "orders", Count("*"), rule["op"], rule["value"], 0)


def _money(value):
    return [Decimal(v) for v in value] if isinstance(value, list) else Decimal(value)


def _spend(rule: dict, moment: Moment) -> Q:
    purchases = counted_purchases(since=moment.window_start(rule.get("window_days")))
    value = _money(rule["value"])
    return _aggregate_rule(purchases, "spent", Sum(_net()), rule["op"], value, Decimal(0))


def _average(rule: dict, moment: Moment) -> Q:
    purchases = counted_purchases(since=moment.window_start(rule.get("window_days")))
    return _average_rule(purchases, rule["op"], rule["value"])


def _days_since_last_purchase(rule: dict, moment: Moment) -> Q:
    return _last_purchase_rule(rule["op"], rule["value"], moment)


def _days_since_joined(rule: dict, moment: Moment) -> Q:
    op, value = rule["op"], rule["value"]
    q = reduce(or_, (_in_range("joined_at", *bounds) for bounds in _day_ranges(op, value, moment)))
    return ~q if op in vocabulary.NEGATIVE_OPERATORS else q


def _birthday_month(rule: dict, moment: Moment) -> Q:
    op = rule["op"]
    values = rule["value"] if isinstance(rule["value"], list) else [rule["value"]]
    months = sorted({moment.today.month if v == vocabulary.CURRENT_MONTH else v for v in values})
    q = Q(birth_month__in=months)
    # A member who has not given a birthday is in no month, and in no "not this month" either.
    return Q(birth_month__isnull=False) & (~q if op in vocabulary.NEGATIVE_OPERATORS else q)


def _language(rule: dict, moment: Moment) -> Q:
    return _matching("language", rule["op"], rule["value"])


def _consent(rule: dict, moment: Moment) -> Q:
    op = rule["op"]
    channels = rule["value"] if isinstance(rule["value"], list) else [rule["value"]]
    given = reduce(or_, (Q(**{CONSENT_FIELDS[channel]: True}) for channel in channels))
    return ~given if op in vocabulary.NEGATIVE_OPERATORS else given


def _channel(rule: dict, moment: Moment) -> Q:
    op, value = rule["op"], rule["value"]
    channels = value if isinstance(value, list) else [value]
    purchases = counted_purchases(since=moment.window_start(rule.get("window_days")))
    return _bought(purchases, Q(channel__in=channels), op)


def _category(rule: dict, moment: Moment) -> Q:
    op, value = rule["op"], rule["value"]
    categories = value if isinstance(value, list) else [value]
    purchases = counted_purchases(since=moment.window_start(rule.get("window_days")))
    # JSON containment: an item of the purchase has this category (PostgreSQL's jsonb @>).
    has_item = reduce(or_, (Q(items__contains=[{"category": code}]) for code in categories))
    return _bought(purchases, has_item, op)


def _rfm_group(rule: dict, moment: Moment) -> Q:
    return _rfm_rule(rule["op"], rule["value"], moment)


def _churn_risk(rule: dict, moment: Moment) -> Q:
    op, value = rule["op"], rule["value"]
    risks = value if isinstance(value, list) else [value]
    forecasts = MemberForecast.objects.all()
    if op in vocabulary.NEGATIVE_OPERATORS:
        # Only members with a forecast are "not high risk"; without one, no rule matches.
        forecasts = forecasts.exclude(churn_risk__in=risks)
    else:
        forecasts = forecasts.filter(churn_risk__in=risks)
    return Q(pk__in=forecasts.values("member_id"))


COMPILERS: dict[str, Callable[[dict, Moment], Q]] = {
    "tier": _tier,
    "available_points": _account("available"),
    "lifetime_points": _account("lifetime"),
    "days_since_last_purchase": _days_since_last_purchase,
    "purchases": _purchase_count,
    "spend": _spend,
    "average_order_value": _average,
    "days_since_joined": _days_since_joined,
    "birthday_month": _birthday_month,
    "language": _language,
    "consent": _consent,
    "channel": _channel,
    "category": _category,
    "rfm_group": _rfm_group,
    "churn_risk": _churn_risk,
}
if set(COMPILERS) != set(vocabulary.FIELDS):  # every field of the vocabulary compiles
    raise ImportError("campaigns.segment_query: a field of segment_rules has no compiler")


def reachable_members() -> QuerySet[Member]:
    """Members a segment may hold: neither blocked nor erased."""
    return Member.objects.filter(status=MemberStatus.ACTIVE).exclude(
        user__email__startswith=ERASED_EMAIL_PREFIX, user__email__endswith=ERASED_EMAIL_DOMAIN
    )


def rules_q(*, match: str, rules: list[dict], moment: Moment) -> Q:
    """The rules as one Q over members (no rule: every member)."""
    together: list[dict] = []
    if match != MATCH_ANY:
        together = [
            rule for rule in rules if rule["field"] in AGGREGATE_FIELDS and not _zero_matches(rule)
        ]
        if len(together) < 2:
            together = []
    conditions = [COMPILERS[rule["field"]](rule, moment) for rule in rules if rule not in together]
    if together:
        conditions.append(_aggregates_together(together, moment))
    if not conditions:
        return Q()
    return reduce(or_ if match == MATCH_ANY else and_, conditions)


def segment_queryset(*, match: str, rules: list[dict], moment: Moment | None = None):
    """The members matching the rules, as one query (not yet run)."""
    moment = moment or Moment.at()
    return reachable_members().filter(rules_q(match=match, rules=rules, moment=moment))


def rfm_groups_all(*, moment: Moment) -> dict[int, str]:
    """The RFM group of every scored member (member id -> group); a member not in it is
    `inactive`. One query, for an export."""
    sql = f"SELECT member_id, rfm_group FROM ({RFM_GROUPS_SQL}) AS grouped"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [rfm_since(moment)])
        return dict(cursor.fetchall())


def rfm_groups_for(*, member_ids: list[int], moment: Moment) -> dict[int, str]:
    """The RFM group of each of these members, scored among all members (one query;
    `inactive` for a member with no counted purchase in the last 365 days)."""
    groups = dict.fromkeys(member_ids, INACTIVE)
    if not member_ids:
        return groups
    placeholders = ", ".join(["%s"] * len(member_ids))
    sql = RFM_GROUP_OF_MEMBERS_SQL.format(placeholders=placeholders)
    with connection.cursor() as cursor:
        cursor.execute(sql, [rfm_since(moment), *member_ids])
        groups.update(cursor.fetchall())
    return groups
