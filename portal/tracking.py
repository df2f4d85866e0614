"""Open and click tracking behind a campaign mail's signed links (campaigns.links): the first
open and the first click of each delivery are recorded; a click also counts as an open (mail
clients that block images still follow links). No login, no cookie: the signed token names the
delivery. Either can be turned off (TESSERA_TRACK_OPENS, TESSERA_TRACK_CLICKS), which only
stops new mails from carrying the links; links in mails already sent keep working.
"""

from __future__ import annotations

import base64

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from campaigns.links import click_read, open_read
from campaigns.models import Delivery

# The smallest transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
@require_safe
def track_open(request: HttpRequest, token: str) -> HttpResponse:
    delivery_pk = open_read(token)
    if delivery_pk is None:
        raise Http404
    Delivery.objects.filter(pk=delivery_pk, opened_at__isnull=True).update(opened_at=timezone.now())
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_safe
def track_click(request: HttpRequest, token: str) -> HttpResponse:
    found = click_read(token)
    if found is None:
        raise Http404
    delivery_pk, target = found
    now = timezone.now()
    Delivery.objects.filter(
        Q(clicked_at__isnull=True) | Q(opened_at__isnull=True), pk=delivery_pk
    ).update(clicked_at=Coalesce("clicked_at", now), opened_at=Coalesce("opened_at", now))
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer"
    return response
