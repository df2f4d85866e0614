"""The marketer's automation pages under /staff/automations/: the list (each automation, when it
sends, on or off with a button to turn it the other way) and one automation's editor (on or
off, its content per message and language over the shipped texts, its reward and its delay
where they apply, and a preview of each message as a member). Marketers and managers
(`members.manage_campaigns`); anyone else gets a 403.

The preview renders the saved texts with the member's merge values of the moment and sample
values for the automation's own fields (the friend's name, the new tier...): a real message
needs its occasion (a tier change, a voucher), which a preview does not have.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.composers.automations import automation_texts
from campaigns.composers.building import SAMPLE_VOUCHER_CODE
from campaigns.content import text_render
from campaigns.merge_values import merge_values_for
from campaigns.models import Automation
from campaigns.selectors.automations import AutomationUnknown, automation_get, automations_all
from campaigns.services.automations import AutomationInvalid
from console.automation_forms import (
    MESSAGE_NAMES,
    PURPOSE_TEXTS,
    AutomationForm,
    PreviewForm,
    ToggleForm,
    automation_when,
)
from console.marketing import automation_subject, automation_update_by_staff
from console.permissions import MANAGE_CAMPAIGNS
from console.selectors import history_for_subject
from console.views import _language, staff_required
from loyalty.explanations import points_text
from members.models import Member
from rewards.models import Reward

# The preview's values for what only a real occasion knows.
SAMPLE_POINTS = 100
SAMPLE_FRIEND = "Sam"
SAMPLE_DAYS_AHEAD = 7


def _automation_or_404(code: str) -> Automation:
    try:
        return automation_get(code)
    except AutomationUnknown as error:
        raise Http404(error.message()) from None


def _row(automation: Automation, **extra) -> dict:
    return {"automation": automation, "when": automation_when(automation), **extra}


@staff_required(MANAGE_CAMPAIGNS)
@require_safe
def automations(request: HttpRequest) -> HttpResponse:
    rows = [_row(automation) for automation in automations_all()]
    return render(request, "console/automations/list.html", {"rows": rows})


@staff_required(MANAGE_CAMPAIGNS)
@require_POST
def automation_toggle(request: HttpRequest, code: str) -> HttpResponse:
    """Turn it on or off, as the button says; htmx gets the automation's card back."""
    automation = _automation_or_404(code)
    form = ToggleForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Say whether to turn it on or off."))
    automation, _changed = automation_update_by_staff(
        code=automation.code, actor=request.user, enabled=form.cleaned_data["enabled"]
    )
    name = str(automation)
    said = _("%(name)s is on.") if automation.enabled else _("%(name)s is off.")
    said = said % {"name": name}
    if request.htmx:
        context = {"row": _row(automation, said=said)}
        return render(request, "console/automations/_automation.html", context)
    messages.success(request, said)
    return redirect("staff:automations")


def _rewards(request, automation: Automation) -> list[tuple[str, str]]:
    """The rewards to choose from: the active ones, and the one it gives if since withdrawn
    (else saving anything else would refuse the reward it already has)."""
    language = _language(request)
    active = Q(is_active=True) | Q(pk=automation.offer_reward_id)
    return [
        (reward.code, reward.localized_name(language))
        for reward in Reward.objects.filter(active).order_by("code")
    ]


@staff_required(MANAGE_CAMPAIGNS)
@require_http_methods(["GET", "HEAD", "POST"])
def automation(request: HttpRequest, code: str) -> HttpResponse:
    automation = _automation_or_404(code)
    data = request.POST if request.method == "POST" else None
    form = AutomationForm(
        data,
        initial=AutomationForm.initial_for(automation),
        automation=automation,
        rewards=_rewards(request, automation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            _saved, changed = automation_update_by_staff(
                code=automation.code, actor=request.user, **form.service_values()
            )
        except AutomationInvalid as error:
            form.refusal_show(error)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing to save: no change."))
            return redirect("staff:automation", automation.code)
    context = {
        "automation": automation,
        "form": form,
        "history": history_for_subject(
            actor=request.user, subject=automation_subject(automation.code)
        ),
        **_preview_context(request, automation),
    }
    return render(request, "console/automations/editor.html", context)


# --- Preview -----------------------------------------------------------------------------------


def _preview_context(request, automation: Automation) -> dict:
    """The preview form (a member number, in the query string: a preview changes nothing) and
    each message as that member, or as the first member when no number is given."""
    preview_form = PreviewForm(request.GET if "member_number" in request.GET else None)
    member = None
    if not preview_form.is_bound:
        member = _preview_member("")
    elif preview_form.is_valid():
        member = _preview_member(preview_form.cleaned_data["member_number"].strip())
        if member is None:
            preview_form.add_error("member_number", _("No member has this number."))
    previews = automation_previews(automation, member) if member is not None else []
    return {
        "preview_form": preview_form,
        "preview_member": member,
        "previews": previews,
        "purpose_text": PURPOSE_TEXTS[automation.spec.purpose],
        "when": automation_when(automation),
    }


def _preview_member(number: str) -> Member | None:
    members = Member.objects.select_related("user")
    if number:
        return members.filter(member_number=number).first()
    return members.filter(user__is_active=True).order_by("pk").first()


def automation_previews(automation: Automation, member: Member) -> list[dict]:
    """Each message of the automation as `member` would read it now, in their language: the
    saved content, else the shipped text."""
    at = timezone.now()
    language = member.language
    values = dict(merge_values_for(members=[member], at=at)[member.pk])
    with translation.override(language):
        values.update(_sample_values(automation, values, at, language))
    previews = []
    for message in automation.spec.messages:
        subject, body = automation_texts(automation.code, message, language, automation.content)
        previews.append(
            {
                "key": message,
                "name": MESSAGE_NAMES[message],
                "language": language,
                "subject": text_render(subject, values),
                "text": text_render(body, values),
            }
        )
    return previews


def _sample_values(automation: Automation, values: dict, at, language: str) -> dict[str, str]:
    """Sample values for the automation's own fields, in the active language: the member's own
    where the member has one (their tier, their points about to expire)."""
    ahead = formats.date_format(at.date() + datetime.timedelta(days=SAMPLE_DAYS_AHEAD))
    last_month = at.date().replace(day=1) - datetime.timedelta(days=1)
    gift = points_text(automation.offer_points or SAMPLE_POINTS)
    expiring = bool(values.get("expiring_on"))
    samples = {
        "gift_points": gift,
        "friend_first_name": SAMPLE_FRIEND,
        "new_tier": values.get("next_tier") or values.get("tier", ""),
        "previous_tier": values.get("tier", ""),
        "expiring_points": values["expiring_points"] if expiring else points_text(SAMPLE_POINTS),
        "expiring_on": values["expiring_on"] if expiring else ahead,
        "reward": _sample_reward(automation, language),
        "voucher_code": SAMPLE_VOUCHER_CODE,
        "voucher_expires_on": ahead,
        "voucher_url": values.get("portal_url", ""),
        "statement_month": formats.date_format(last_month, "YEAR_MONTH_FORMAT"),
        "statement_lines": _("Points earned: %(points)s") % {"points": gift},
        "survey_url": values.get("portal_url", ""),
    }
    own = set(automation.spec.fields)
    if automation.offer_reward_id is not None:
        own.add("voucher_code")
    return {name: text for name, text in samples.items() if name in own}


def _sample_reward(automation: Automation, language: str) -> str:
    reward = automation.offer_reward or (
        Reward.objects.filter(is_active=True).order_by("code").first()
    )
    return reward.localized_name(language) if reward is not None else ""
