"""Surveys (CAMPAIGNS.md, Automations: survey; off by default): N days (the automation's delay,
default 3) after a purchase, a marketing message with a signed link to a 0-10 question and a
comment, at most one per member every 90 days; the survey rule's bonus once per survey, given
with the answer.

A daily scan looks at purchases N to N+2 days old (a missed scan catches up; turning the
automation on does not survey every past purchase). Each survey is written with its delivery
row in one transaction (the occasion is the survey), so a scan run twice, or two at once,
surveys each purchase once: the survey's one-per-purchase key decides.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import AutomationCode, CampaignChannel, Survey
from campaigns.models.surveys import COMMENT_MAX_LENGTH, SCORE_MAX
from campaigns.schedule import local_due_at
from campaigns.selectors.automations import automation_get
from campaigns.services.deliveries import deliveries_queue, delivery_new
from config.domain import DomainError
from loyalty.models import Purchase
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_in_force
from loyalty.services.ledger import event_bonus_award
from members.models import MemberStatus

SURVEY = AutomationCode.SURVEY.value
SEND_AT = datetime.time(10, 0)
CATCH_UP = datetime.timedelta(days=2)
ONE_PER = datetime.timedelta(days=90)
BONUS_REASON = "survey answered"


class SurveyAnswered(DomainError):
    code = "survey_answered"
    status = 409
    template = _("This survey has been answered already. Thank you!")


class SurveyAnswerInvalid(DomainError):
    code = "survey_invalid"
    status = 400
    field = "score"
    template = _("Choose a score from 0 to 10.")


def surveys_queue(*, at: datetime.datetime | None = None) -> int:
    """Survey the purchases N days old (up to two days more) of active members surveyed not in
    the last 90 days, one per member (their latest such purchase). Returns how many."""
    at = at or timezone.now()
    automation = automation_get(SURVEY)
    if not automation.enabled:
        return 0
    delay = datetime.timedelta(days=automation.days)
    purchases = (
        Purchase.objects.filter(
            purchased_at__lte=at - delay,
            purchased_at__gt=at - delay - CATCH_UP,
            member__status=MemberStatus.ACTIVE,
        )
        .select_related("member")
        .order_by("member_id", "-purchased_at", "-pk")
    )
    latest: dict[int, Purchase] = {}
    for purchase in purchases:
        latest.setdefault(purchase.member_id, purchase)
    recent = set(
        Survey.objects.filter(member_id__in=latest, created_at__gt=at - ONE_PER).values_list(
            "member_id", flat=True
        )
    )
    program = program_in_force(at=at)
    queued = 0
    for member_id, purchase in latest.items():
        if member_id in recent:
            continue
        queued += _survey_open(purchase, program=program, at=at)
    return queued


def _survey_open(purchase: Purchase, *, program, at: datetime.datetime) -> bool:
    zone = member_time_zone(member=purchase.member, program=program)
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                member_id=purchase.member_id, purchase=purchase, created_at=at
            )
            deliveries_queue(
                [
                    delivery_new(
                        member_id=purchase.member_id,
                        automation=SURVEY,
                        occasion=str(survey.pk),
                        channel=CampaignChannel.EMAIL,
                        due_at=local_due_at(local_time=SEND_AT, zone=zone, start=at),
                    )
                ]
            )
    except IntegrityError:
        return False  # surveyed by another scan
    return True


def survey_answer(
    *, survey: Survey, score, comment: str = "", at: datetime.datetime | None = None
) -> Survey:
    """Record the answer, once, and give the survey rule's bonus with it. SurveyAnswerInvalid
    for a score that is not a whole number from 0 to 10; SurveyAnswered the second time."""
    at = at or timezone.now()
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= SCORE_MAX:
        raise SurveyAnswerInvalid()
    comment = (comment or "").strip()[:COMMENT_MAX_LENGTH]
    with transaction.atomic():
        answered = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            answered_at=at, score=score, comment=comment
        )
        if not answered:
            raise SurveyAnswered()
        event_bonus_award(
            member=survey.member,
            event="survey_answered",
            at=at,
            source_key=str(survey.pk),
            reason=BONUS_REASON,
            source_type="survey",
            source_id=str(survey.pk),
        )
    survey.refresh_from_db()
    return survey
