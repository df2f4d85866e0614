"""The mail inviting a customer enrolled at the till to set a password, and so claim the account
members.services.member_enrol made for them without one.

The link is allauth's own password-reset link (its token generator, its URL), not a mechanism
of ours: it opens the portal's usual "set a new password" page, works once, stops working when
the password changes, and expires as any reset link does (PASSWORD_RESET_TIMEOUT, three days);
after that the customer asks for another on the sign-in page, as the mail says.

The mail is rendered by allauth's adapter (settings.ACCOUNT_ADAPTER: portal.accounts) like
every other account mail, in the member's language: the same sender, subject prefix and frame
(account/email/base_message.txt, "Hello from <name>!"). Its `send_mail` asks the request for
the site before anything else, and a task has no request: so the mail is rendered with
`render_mail`, and the site (`current_site`) named as the adapter names the sender, by its
display name (the shop's program's): this module, below loyalty, does not read the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from config.once import once_begin
from members.models import Member

TEMPLATE_PREFIX = "account/email/account_claim"


def account_claim_url(user) -> str:
    """The absolute set-password link for `user`: the one allauth's reset mail would send."""
    key = default_token_generator.make_token(user)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": key},
    )
    return settings.SITE_URL + path


def account_is_unclaimed(user) -> bool:
    """An account nobody has set a password for yet (an existing account enrolled at the till
    keeps its password, and an erased member's is inactive)."""
    return user.is_active and not user.has_usable_password()


@dataclass(frozen=True)
class _Site:
    """What allauth's mail templates read of `current_site` (there is no request to ask)."""

    name: str
    domain: str


def account_claim_mail(member: Member) -> EmailMessage:
    """The invitation, text and HTML, in the member's language."""
    user = member.user
    adapter = get_adapter()
    site_name = parseaddr(adapter.get_from_email())[0] or urlsplit(settings.SITE_URL).netloc
    with translation.override(member.language):
        return adapter.render_mail(
            TEMPLATE_PREFIX,
            user.email,
            {
                "current_site": _Site(name=site_name, domain=urlsplit(settings.SITE_URL).netloc),
                "language": member.language,
                "member_number": member.member_number,
                "password_url": account_claim_url(user),
                "reset_url": settings.SITE_URL + reverse("account_reset_password"),
            },
        )


def account_claim_mail_send(*, member_id: int) -> bool:
    """Mail the invitation once per member, while the account is still unclaimed; whether a
    mail left. Claimed with a durable row (config.once) in the transaction that sends: a second
    run (a duplicate delivery of the task) finds the row and sends nothing, and a send that
    fails rolls the claim back, so the retry sends. Only a worker dying between the SMTP
    server's acceptance and the commit can send it twice."""
    with transaction.atomic():
        member = Member.objects.select_related("user").filter(pk=member_id).first()
        if member is None or not account_is_unclaimed(member.user):
            return False
        attempt = once_begin(scope="members.account_claim", key=str(member.pk))
        if not attempt.first:
            return False
        account_claim_mail(member).send()
        attempt.done(True)
    return True
