"""The survey answers under /staff/surveys/: the NPS of every answer so far and the answers,
newest first, with their comments (CAMPAIGNS.md, Automations: survey). Marketers and managers
(`members.manage_campaigns`); anyone else gets a 403. Reading only: an answer is the
customer's."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from campaigns.selectors.surveys import DETRACTOR_UP_TO, nps_of, survey_answers
from console.permissions import MANAGE_CAMPAIGNS
from console.views import staff_required

ROWS_PER_PAGE = 50


@staff_required(MANAGE_CAMPAIGNS)
@require_safe
def surveys(request: HttpRequest) -> HttpResponse:
    detractors_only = request.GET.get("show") == "detractors"
    answers = survey_answers(score_max=DETRACTOR_UP_TO if detractors_only else None)
    page = Paginator(answers, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/surveys/list.html",
        {
            "page": page,
            "summary": nps_of(survey_answers()),
            "detractors_only": detractors_only,
        },
    )
