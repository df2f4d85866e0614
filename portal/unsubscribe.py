"""The one-click unsubscribe behind every message's signed link (CAMPAIGNS.md, "Consent and
unsubscribe"; RFC 8058).

No login: the signed token (campaigns.links) is the authority, for one member and one kind of
message. GET shows one button in the member's language; POST withdraws that consent at once and
keeps the change in the member's consent history (source: the unsubscribe link). A mail provider's
one-click POST (`List-Unsubscribe=One-Click`) carries no CSRF token and no cookie, so the view
is exempt from CSRF: forging the POST needs the token, which is the secret. Repeating it changes
nothing more. A token this installation did not sign is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.links import unsubscribe_read
from members.models import ConsentSource, Member
from members.services import member_consents_set

# The consent each kind of link withdraws (member_consents_set's keywords), and what the page
# calls it.
_CONSENTS = {
    "email": ("marketing_email", _("offers and news by email")),
    "sms": ("marketing_sms", _("offers and news by SMS")),
    "push": ("marketing_push", _("offers and news as app notifications")),
    "program_notices": (
        "program_notices",
        _("program notices (points, tiers, vouchers) by email"),
    ),
}


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    member = None
    if found is not None:
        member_pk, kind = found
        member = Member.objects.select_related("user").filter(pk=member_pk).first()
    if member is None:
        raise Http404
    keyword, what = _CONSENTS[kind]
    done = request.method == "POST"
    if done:  # an erased member's consents are already withdrawn: nothing changes
        member_consents_set(member=member, source=ConsentSource.UNSUBSCRIBE, **{keyword: False})
    with translation.override(member.language):
        response = render(
            request,
            "portal/unsubscribe.html",
            {"what": what, "done": done, "token": token},
        )
    response["Content-Language"] = member.language
    response["X-Robots-Tag"] = "noindex"
    return response
