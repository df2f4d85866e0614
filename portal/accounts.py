"""allauth's mails in the shop's name (settings.ACCOUNT_ADAPTER): the verification and password
mails said "[Tessera]" and named the site after the server's address ("127.0.0.1:8300"). They
are sent from, prefixed with and signed by the program's name, with the site's public address
(SITE_URL) for links.

The failed-login lock-out (ACCOUNT_RATE_LIMITS["login_failed"]) says when to try again, on the
portal's sign-in form and the admin's alike (both authenticate through this adapter); the form
links to the password reset beside it (templates/allauth/elements/fields.html)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from config.ratelimits import longest_window, retry_after, try_again_text
from loyalty.selectors.program import program_name, program_sender

LOCKED_OUT = "too_many_login_attempts"  # allauth's code for the refusal


@dataclass(frozen=True)
class ShopSite:
    """What allauth's templates read of `current_site`: its name and domain."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        return f"[{program_name()}] {force_str(subject)}"

    def get_from_email(self) -> str:
        return program_sender()

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        site = ShopSite(name=program_name(), domain=urlsplit(settings.SITE_URL).netloc)
        super().send_mail(template_prefix, email, {"current_site": site, **context})

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as refusal:
            if refusal.code != LOCKED_OUT:
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            wait = retry_after(request, action="login_failed", key=key)
            wait = wait or longest_window(action="login_failed") or 60
            message = f"{_('Too many failed login attempts.')} {try_again_text(wait)}"
            raise ValidationError(message, code=LOCKED_OUT) from refusal
