"""Reads of segments: the saved segments, and a segment's members as of now (one query for the
count, one per page for the members and one for their RFM groups; campaigns.segment_query)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from campaigns.models import Segment
from campaigns.segment_query import Moment, rfm_groups_for, segment_queryset
from members.models import Member


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.order_by("code")


def segment_get(*, code: str) -> Segment | None:
    return Segment.objects.filter(code=code).first()


def segment_members(*, segment: Segment, moment: Moment | None = None) -> QuerySet[Member]:
    """The members in the segment now, in member order, with their user and account."""
    return (
        segment_queryset(match=segment.match, rules=segment.rules, moment=moment)
        .select_related("user", "loyalty_account")
        .order_by("pk")
    )


def segment_count(*, segment: Segment, moment: Moment | None = None) -> int:
    """How many members the segment holds now: one SQL query."""
    return segment_queryset(match=segment.match, rules=segment.rules, moment=moment).count()


def segment_rules_count(*, match: str, rules: list[dict], moment: Moment | None = None) -> int:
    """The count for rules being edited (validated, not saved): what the editor shows."""
    return segment_queryset(match=match, rules=rules, moment=moment).count()


def rfm_groups_of(*, members: Sequence[Member], moment: Moment | None = None) -> dict[int, str]:
    """Each member's RFM group (member id -> group), scored among all members: one query."""
    return rfm_groups_for(
        member_ids=[member.pk for member in members], moment=moment or Moment.at()
    )
