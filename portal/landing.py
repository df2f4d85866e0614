"""Where a person lands after signing in: staff at their work (a marketer, who records no
purchases, at the campaigns; other staff at the console's member search), members at
their own home. The login's `?next=` still wins: allauth only comes here without one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

# The roles' permissions (members.roles); named here, as portal does not import the console.
MANAGE_CAMPAIGNS = "members.manage_campaigns"
RECORD_PURCHASE = "members.record_purchase"


@login_required
@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_staff:
        if user.has_perm(MANAGE_CAMPAIGNS) and not user.has_perm(RECORD_PURCHASE):
            return redirect("staff:campaigns")
        return redirect("staff:search")
    return redirect("members:home")
