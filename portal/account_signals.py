"""What the portal does when allauth reports an account event.

A password set through a reset link proves the customer reads that mailbox, as a verification
link would: the address is marked verified, so a customer enrolled at the till who sets their
password from the invitation (members.account_claim) is not asked, on first sign-in, to verify
the address they have just used.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from django.dispatch import receiver


@receiver(password_reset, dispatch_uid="portal.password_reset_verifies_email")
def password_reset_verifies_email(sender, request, user, **kwargs) -> None:
    if not user.email:
        return
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=not has_primary
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
