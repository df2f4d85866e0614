"""The survey page behind a survey mail's signed link (CAMPAIGNS.md, Automations: survey): the
0-10 question and a comment in the member's language, answerable without signing in, once.

The signed token (campaigns.links) names the survey; a token this installation did not sign is
a 404. The form is an ordinary one with Django's CSRF protection (the page sets the cookie when
it is shown); an answer given twice is refused with a thank-you, changing nothing.
"""

from __future__ import annotations

import contextlib

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaigns.links import survey_read
from campaigns.models import Survey
from campaigns.models.surveys import COMMENT_MAX_LENGTH, SCORE_MAX
from campaigns.services.surveys import SurveyAnswered, survey_answer
from loyalty.scoring import event_bonus_rule
from loyalty.selectors.program import program_in_force


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend?"),
        help_text=_("0: not at all likely, 10: extremely likely."),
        choices=[(str(n), str(n)) for n in range(SCORE_MAX + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a score from 0 to 10."),
            "invalid_choice": _("Choose a score from 0 to 10."),
        },
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _survey_points() -> int:
    program = program_in_force()
    rule = event_bonus_rule(program=program, event="survey_answered") if program else None
    return rule.points if rule is not None and rule.points else 0


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    survey_pk = survey_read(token)
    found = (
        Survey.objects.select_related("member").filter(pk=survey_pk).first()
        if survey_pk is not None
        else None
    )
    if found is None:
        raise Http404
    language = found.member.language
    with translation.override(language):
        form = SurveyForm(request.POST if request.method == "POST" else None)
        done = found.answered_at is not None
        refused = False
        if not done and request.method == "POST" and not form.is_valid():
            refused = True
        elif not done and request.method == "POST":
            # Answered twice at once (two tabs): the first answer stands, both see thanks.
            with contextlib.suppress(SurveyAnswered):
                survey_answer(
                    survey=found,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            done = True
        response = render(
            request,
            "portal/survey.html",
            {"form": form, "done": done, "token": token, "points": _survey_points()},
            status=400 if refused else 200,
        )
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    return response
