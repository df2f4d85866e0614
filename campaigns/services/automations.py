"""The automations' settings (CAMPAIGNS.md, Automations): on or off, content per message and
language, the optional reward and the delay. Read by the scans and consumers that queue their
messages and by the composers that write them; changed by the marketer's pages and the API.

Everything is checked before anything is written: a refusal is one AutomationInvalid listing
every problem at its path (`content.referee.es.body`, `offer.points`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Automation, CampaignChannel
from campaigns.selectors.automations import automation_fields, automation_get
from campaigns.services.campaigns import content_checked, offer_checked
from config.domain import Problem, ProblemsError

DELAY_DAYS_MAX = 3650

_UNSET: Any = object()


class AutomationInvalid(ProblemsError):
    code = "automation_invalid"
    template = _("The automation is not valid: see the errors for each field.")


def _content_problems(automation: Automation, content, offers_voucher: bool):
    if not isinstance(content, Mapping):
        return {}, [Problem("content", _("Give the content of each message."), {})]
    messages = automation.spec.messages
    cleaned: dict[str, dict] = {}
    problems: list[Problem] = []
    for message, texts in content.items():
        if message not in messages:
            problems.append(
                Problem(
                    f"content.{message}",
                    _("This automation sends these messages: %(messages)s."),
                    {"messages": ", ".join(messages)},
                )
            )
            continue
        found, found_problems = content_checked(
            texts,
            channel=CampaignChannel.EMAIL,
            allowed=automation_fields(automation, offers_voucher=offers_voucher),
            path=f"content.{message}",
            required=False,
        )
        problems += found_problems
        if found:
            cleaned[message] = found
    return cleaned, problems


def _delay_problems(automation: Automation, delay_days) -> list[Problem]:
    if delay_days is None:
        return []
    if automation.spec.delay_days is None:
        return [Problem("delay_days", _("This automation does not wait a number of days."))]
    if (
        isinstance(delay_days, bool)
        or not isinstance(delay_days, int)
        or not 0 < delay_days <= DELAY_DAYS_MAX
    ):
        return [
            Problem(
                "delay_days",
                _("Give a whole number of days from 1 to %(max)s."),
                {"max": DELAY_DAYS_MAX},
            )
        ]
    return []


def automation_update(
    *,
    code: str,
    enabled=_UNSET,
    content=_UNSET,
    offer=_UNSET,
    delay_days=_UNSET,
    actor=None,
) -> tuple[Automation, list[str]]:
    """Change what is given (the rest stays): `enabled`, `content` ({message: {language:
    {"subject", "body"}}}; a message or language left out sends the shipped text), `offer`
    ({"reward": code} or {"points": n} or None) and `delay_days` (None: the default). Returns
    the automation and the fields that changed (none: nothing written). AutomationInvalid
    lists every problem; AutomationUnknown for a code that is none."""
    current = automation_get(code)
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if enabled is not _UNSET:
        if not isinstance(enabled, bool):
            problems.append(Problem("enabled", _("Say true or false.")))
        values["enabled"] = enabled
    reward = current.offer_reward
    if offer is not _UNSET:
        if offer not in (None, {}) and not current.spec.rewardable:
            problems.append(Problem("offer", _("This automation gives no reward of its own.")))
        else:
            reward, points, offer_problems = offer_checked(offer)
            problems += offer_problems
            values["offer_reward"] = reward
            values["offer_points"] = points
    if content is not _UNSET:
        cleaned, content_problems = _content_problems(current, content, reward is not None)
        problems += content_problems
        values["content"] = cleaned
    if delay_days is not _UNSET:
        problems += _delay_problems(current, delay_days)
        values["delay_days"] = delay_days
    if problems:
        raise AutomationInvalid(problems=problems)
    with transaction.atomic():
        locked = Automation.objects.select_for_update().get(pk=current.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if not changed:
            return locked, []
        for name in changed:
            setattr(locked, name, values[name])
        locked.updated_at = timezone.now()
        locked.updated_by = actor
        locked.save(update_fields=[*changed, "updated_at", "updated_by"])
    return locked, changed
