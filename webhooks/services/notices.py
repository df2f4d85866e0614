"""The mail to an endpoint's owner when it is disabled for failing (API.md: "An endpoint failing
for 3 days is disabled and its owner told by mail").

A plain transactional mail through Django's mail backend (EMAIL_BACKEND: SMTP, an Anymail
provider), from the shop (program_sender), in the owner's language: theirs when they are also a
member, else the program's. An endpoint registered with an API key is owned by the staff user
who created the key; one without an owner (a key made on the command line) tells the
superusers.

Once per disabling: claimed by a conditional update of `disabled_notice_at` in the transaction
that sends, so a second run sends nothing, and a send that fails rolls the claim back for the
next run to try again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from loyalty.selectors.program import program_language, program_sender, program_zone
from members.models import Member
from webhooks.models import DisabledReason, Endpoint

logger = logging.getLogger(__name__)


def _waiting():
    return Endpoint.objects.present().filter(
        is_active=False, disabled_reason=DisabledReason.FAILING, disabled_notice_at__isnull=True
    )


def endpoints_disabled_notify() -> int:
    """Mail the owner of every endpoint disabled for failing whose owner has not been told
    yet; returns how many were told. A mail that fails is logged and tried at the next run."""
    told = 0
    for endpoint_id in _waiting().values_list("pk", flat=True):
        try:
            told += endpoint_disabled_notify(endpoint_id=endpoint_id)
        except Exception:
            logger.exception("could not mail the owner of webhook endpoint %s", endpoint_id)
    return told


def endpoint_disabled_notify(*, endpoint_id: int) -> bool:
    with transaction.atomic():
        if not _waiting().filter(pk=endpoint_id).update(disabled_notice_at=timezone.now()):
            return False
        endpoint = Endpoint.objects.select_related("owner").get(pk=endpoint_id)
        recipients = _recipients(endpoint)
        if not recipients:
            logger.warning("webhook endpoint %s was disabled and nobody can be told", endpoint_id)
            return False
        endpoint_disabled_mail(endpoint, to=recipients).send()
    return True


def _recipients(endpoint: Endpoint) -> list[str]:
    owner = endpoint.owner
    if owner is not None and owner.is_active and owner.email:
        return [owner.email]
    superusers = get_user_model().objects.filter(is_superuser=True, is_active=True)
    return sorted(email for email in superusers.values_list("email", flat=True) if email)


def _language(endpoint: Endpoint) -> str:
    member_language = (
        Member.objects.filter(user_id=endpoint.owner_id).values_list("language", flat=True).first()
        if endpoint.owner_id
        else None
    )
    return member_language or program_language()


def endpoint_disabled_mail(endpoint: Endpoint, *, to: list[str]) -> EmailMessage:
    zone = program_zone()
    admin_url = settings.SITE_URL + reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    log_url = (
        settings.SITE_URL
        + reverse("admin:webhooks_delivery_changelist")
        + f"?endpoint__id__exact={endpoint.pk}"
    )
    with translation.override(_language(endpoint)):

        def when(moment) -> str:
            return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")

        values = {
            "url": endpoint.url,
            "since": when(endpoint.failing_since or endpoint.disabled_at),
            "disabled_at": when(endpoint.disabled_at),
        }
        subject = _("Webhook endpoint disabled: %(url)s") % values
        lines = [
            _(
                "Every delivery to the webhook endpoint %(url)s has failed since %(since)s, "
                "so it was disabled on %(disabled_at)s."
            )
            % values,
            "",
            _(
                "The events that happen while it is disabled wait for it. Once the receiver "
                "answers again, enable the endpoint in the admin:"
            ),
            admin_url,
            "",
            _("Deliveries that failed can be replayed from its delivery log:"),
            log_url,
        ]
    return EmailMessage(
        subject=subject, body="\n".join(lines) + "\n", from_email=program_sender(), to=to
    )
