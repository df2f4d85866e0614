"""Members' jobs: thin, each takes an id and calls the service that does the work."""

from __future__ import annotations

from celery import shared_task

from members.account_claim import account_claim_mail_send

ACCOUNT_CLAIM_MAIL_TASK = "members.tasks.account_claim_mail"


@shared_task(name=ACCOUNT_CLAIM_MAIL_TASK, ignore_result=True)
def account_claim_mail(member_id: int) -> bool:
    """The set-password invitation of a customer enrolled at the till. Idempotent (sent once
    per member, members.account_claim); SMTP errors retry (config.celery)."""
    return account_claim_mail_send(member_id=member_id)
