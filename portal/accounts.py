"""allauth's mails in the shop's name (settings.ACCOUNT_ADAPTER): the verification and password
mails said "[Tessera]" and named the site after the server's address ("127.0.0.1:8300"). They
are sent from, prefixed with and signed by the program's name, with the site's public address
(SITE_URL) for links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils.encoding import force_str

from loyalty.selectors.program import program_name, program_sender


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
