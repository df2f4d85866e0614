"""The shop's privacy policy, terms and contact page (/privacy/, /terms/, /contact/), linked from
every page's footer: the texts the shop writes in the admin (loyalty.ShopProfile), in the
visitor's language, or the defaults the portal ships until it does. A shop's text is plain: its
paragraphs and line breaks are kept, nothing in it is markup. The stylesheet of the shop's
accent colour is here too (/shop.css): the Content-Security-Policy allows no inline style."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from loyalty.models.shop import LEGAL_KINDS
from loyalty.selectors.program import shop_profile

TITLES = {
    "privacy": _("Privacy policy"),
    "terms": _("Terms of the program"),
    "contact": _("Contact"),
}


@require_safe
def legal(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in LEGAL_KINDS:
        raise Http404
    text = shop_profile().legal_text(kind, (get_language() or "en")[:2])
    return render(
        request,
        "portal/legal/page.html",
        {"kind": kind, "title": TITLES[kind], "text": text},
    )


@require_safe
def shop_css(request: HttpRequest) -> HttpResponse:
    """The accent colour as the portal's primary colour (links, buttons, the brand mark)."""
    accent = shop_profile().accent_color
    body = f":root {{ --color-primary: {accent}; --color-primary-dark: {accent}; }}\n"
    if not accent:
        body = ""
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
