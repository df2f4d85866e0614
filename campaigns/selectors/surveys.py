"""Reading survey answers: the marketer's list, a member's surveys, and the NPS of a set of
answers (ANALYTICS.md: % of answers 9-10 minus % of answers 0-6)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from campaigns.models import Survey

PROMOTER_FROM = 9
DETRACTOR_UP_TO = 6


def survey_answers(*, score_max: int | None = None) -> QuerySet[Survey]:
    """Answered surveys, newest answer first, with the member; `score_max` keeps the scores at
    or below it (the detractors: 6)."""
    rows = Survey.objects.filter(answered_at__isnull=False).select_related("member__user")
    if score_max is not None:
        rows = rows.filter(score__lte=score_max)
    return rows.order_by("-answered_at", "-pk")


def nps_of(answers: QuerySet[Survey]) -> dict:
    """{"answers", "promoters", "passives", "detractors", "nps"} of the answered surveys given;
    `nps` is None without answers (a whole number otherwise, -100 to 100)."""
    counts = answers.aggregate(
        answers=Count("pk"),
        promoters=Count("pk", filter=Q(score__gte=PROMOTER_FROM)),
        detractors=Count("pk", filter=Q(score__lte=DETRACTOR_UP_TO)),
    )
    total = counts["answers"]
    counts["passives"] = total - counts["promoters"] - counts["detractors"]
    counts["nps"] = (
        round(100 * (counts["promoters"] - counts["detractors"]) / total) if total else None
    )
    return counts


def surveys_for_member(*, member) -> QuerySet[Survey]:
    """The member's surveys, newest first (the portal shows them with their links)."""
    return Survey.objects.filter(member=member).order_by("-created_at", "-pk")
