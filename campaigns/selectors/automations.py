"""Reading the automations' settings (campaigns.models.automations): the scans and consumers
that queue their messages ask whether each is on, the composers read its content and reward."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from campaigns.content import MERGE_FIELDS
from campaigns.models import AUTOMATIONS, Automation
from config.domain import DomainError


class AutomationUnknown(DomainError):
    code = "not_found"
    status = 404
    template = _("There is no automation with this code.")


def automation_get(code: str) -> Automation:
    """The automation's row, made with its defaults the first time it is asked for."""
    spec = AUTOMATIONS.get(code)
    if spec is None:
        raise AutomationUnknown()
    found = Automation.objects.filter(code=code).first()
    if found is not None:
        return found
    # INSERT ... ON CONFLICT DO NOTHING, not get_or_create: two senders reading it first at
    # once must not meet a unique violation (it would abort the sender's pipelined statements).
    Automation.objects.bulk_create(
        [Automation(code=code, enabled=spec.enabled)], ignore_conflicts=True
    )
    return Automation.objects.get(code=code)


def automations_all() -> list[Automation]:
    """Every automation, in the order of CAMPAIGNS.md's table."""
    rows = {row.code: row for row in Automation.objects.select_related("offer_reward")}
    return [rows.get(code) or automation_get(code) for code in AUTOMATIONS]


def automation_enabled(code: str) -> bool:
    return automation_get(code).enabled


def automation_fields(automation: Automation, *, offers_voucher: bool | None = None) -> list[str]:
    """The merge fields its content may use: the campaigns' and its own; `voucher_code` only
    when it gives a voucher (its reward, or the voucher it reminds of)."""
    if offers_voucher is None:
        offers_voucher = automation.offer_reward_id is not None
    own = automation.spec.fields
    base = [name for name in MERGE_FIELDS if offers_voucher or name != "voucher_code"]
    return [*base, *(name for name in own if name not in base)]
