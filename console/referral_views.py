"""The referral review page under /staff/referrals/: the referrals held for review (a burst of
sign-ups from one address) and those not rewarded, each with its reason, and a manager's
release or rejection of a held one. Managers (`members.review_referrals`); anyone else gets a
403."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from campaigns.models import Referral, ReferralStatus
from campaigns.selectors.referrals import referrals_for_review
from config.domain import DomainError
from console.permissions import REVIEW_REFERRALS
from console.referrals import REFERRAL_DECISIONS, referral_decide_by_staff
from console.views import staff_required

ROWS_SHOWN = 200
FILTERS = ("", ReferralStatus.HELD, ReferralStatus.REJECTED)


@staff_required(REVIEW_REFERRALS)
@require_safe
def referrals(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in FILTERS:
        status = ""
    rows = list(referrals_for_review(status=status).order_by("-created_at", "-pk")[:ROWS_SHOWN])
    filters = [
        ("", _("To review and not rewarded")),
        (ReferralStatus.HELD, _("Held for review")),
        (ReferralStatus.REJECTED, _("Not rewarded")),
    ]
    return render(
        request,
        "console/referrals/list.html",
        {"rows": rows, "status": status, "filters": filters},
    )


@staff_required(REVIEW_REFERRALS)
@require_POST
def referral_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in REFERRAL_DECISIONS:
        raise Http404(_("There is no such action."))
    referral = Referral.objects.select_related("referee__user").filter(pk=pk).first()
    if referral is None:
        raise Http404(_("There is no such referral."))
    try:
        decided = referral_decide_by_staff(referral=referral, decision=decision, actor=request.user)
    except DomainError as error:
        messages.error(request, error.render())
    else:
        name = referral.referee.user.first_name or referral.referee.member_number
        if decided.status == ReferralStatus.REWARDED:
            text = _("Released: %(name)s and the referrer have their points.")
        elif decided.status == ReferralStatus.PENDING:
            text = _("Released: %(name)s's first purchase will reward them both.")
        else:
            text = _("Rejected: nobody is rewarded for %(name)s.")
        messages.success(request, text % {"name": name})
    return redirect("staff:referrals")
