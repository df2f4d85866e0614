"""A segment's members as CSV, streamed like the other exports (loyalty.exports: chunks from a
server-side cursor, every cell through loyalty.csv_cells so a name typed as a formula stays
text). The RFM groups are read once for the whole file."""

from __future__ import annotations

from collections.abc import Iterator

from campaigns.models import Segment
from campaigns.segment_query import INACTIVE, Moment, rfm_groups_all
from campaigns.selectors.segments import segment_members
from loyalty.exports import CHUNK, csv_lines

SEGMENT_MEMBER_COLUMNS = (
    "member_number",
    "email",
    "first_name",
    "last_name",
    "language",
    "tier",
    "available_points",
    "lifetime_points",
    "rfm_group",
)


def segment_member_rows(*, segment: Segment, moment: Moment | None = None) -> Iterator[tuple]:
    moment = moment or Moment.at()
    groups = rfm_groups_all(moment=moment)
    rows = (
        segment_members(segment=segment, moment=moment)
        .values_list(
            "pk",
            "member_number",
            "user__email",
            "user__first_name",
            "user__last_name",
            "language",
            "loyalty_account__tier_code",
            "loyalty_account__available",
            "loyalty_account__lifetime",
        )
        .iterator(chunk_size=CHUNK)
    )
    for pk, number, email, first, last, language, tier, available, lifetime in rows:
        yield (
            number,
            email,
            first,
            last,
            language,
            tier or moment.lowest_tier,  # no account row yet: the lowest tier
            available or 0,
            lifetime or 0,
            groups.get(pk, INACTIVE),
        )


def segment_members_csv(*, segment: Segment) -> Iterator[str]:
    return csv_lines(SEGMENT_MEMBER_COLUMNS, segment_member_rows(segment=segment))
