"""The marketer's campaign pages under /staff/campaigns/: the list with states and counts, a
new or edited draft (content per language with a merge-field picker), and a campaign's page (its
figures so far, the schedule, pause / resume / cancel, preview and test send, the delivery log
with filters and reasons, and "send these again" for messages whose fate is unknown).
Marketers and managers (`members.manage_campaigns`); anyone else gets a 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.channels import SendError
from campaigns.models import Campaign, CampaignState, DeliveryStatus
from campaigns.selectors.deliveries import (
    campaign_delivery_counts,
    campaign_delivery_counts_of,
    delivery_list_for_campaign,
)
from campaigns.selectors.segments import segment_list
from campaigns.services.campaigns import CampaignExists, CampaignInvalid, campaign_preview
from config.domain import DomainError
from console.campaign_forms import CampaignForm, ScheduleForm, TestSendForm
from console.marketing import (
    CAMPAIGN_STATE_CHANGES,
    campaign_create_by_staff,
    campaign_schedule_by_staff,
    campaign_send_again_by_staff,
    campaign_state_change_by_staff,
    campaign_subject,
    campaign_test_send_by_staff,
    campaign_update_by_staff,
)
from console.permissions import MANAGE_CAMPAIGNS
from console.selectors import history_for_subject
from console.views import _language, staff_required
from loyalty.selectors.program import program_zone
from members.models import Member
from rewards.models import Reward

ROWS_PER_PAGE = 50


def _campaign_or_404(code: str) -> Campaign:
    campaign = Campaign.objects.select_related("segment", "offer_reward").filter(code=code).first()
    if campaign is None:
        raise Http404(_("No campaign has this code."))
    return campaign


def _form(request, campaign=None) -> CampaignForm:
    language = _language(request)
    segments = [(s.code, s.localized_name(language)) for s in segment_list()]
    rewards = [
        (r.code, r.localized_name(language))
        for r in Reward.objects.filter(is_active=True).order_by("code")
    ]
    initial = CampaignForm.initial_for(campaign) if campaign else None
    data = request.POST if request.method == "POST" else None
    return CampaignForm(
        data, initial=initial, segments=segments, rewards=rewards, editing=campaign is not None
    )


@staff_required(MANAGE_CAMPAIGNS)
@require_safe
def campaigns(request: HttpRequest) -> HttpResponse:
    shown = list(Campaign.objects.select_related("segment").order_by("-created_at")[:100])
    counts = campaign_delivery_counts_of(campaigns=shown)
    rows = [(campaign, counts[campaign.pk]) for campaign in shown]
    return render(request, "console/campaigns/list.html", {"rows": rows})


@staff_required(MANAGE_CAMPAIGNS)
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create_by_staff(
                code=form.cleaned_data["code"], actor=request.user, **form.service_values()
            )
        except CampaignInvalid as error:
            form.refusal_show(error)
        except CampaignExists as error:
            form.add_error("code", error.message())
        else:
            messages.success(request, _("Draft saved."))
            return redirect("staff:campaign", campaign.code)
    return render(request, "console/campaigns/editor.html", {"form": form, "campaign": None})


@staff_required(MANAGE_CAMPAIGNS)
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_edit(request: HttpRequest, code: str) -> HttpResponse:
    campaign = _campaign_or_404(code)
    if campaign.state != CampaignState.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("staff:campaign", campaign.code)
    form = _form(request, campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update_by_staff(campaign=campaign, actor=request.user, **form.service_values())
        except CampaignInvalid as error:
            form.refusal_show(error)
        except DomainError as error:
            form.add_error(None, error.message())
        else:
            messages.success(request, _("Draft saved."))
            return redirect("staff:campaign", campaign.code)
    return render(request, "console/campaigns/editor.html", {"form": form, "campaign": campaign})


@staff_required(MANAGE_CAMPAIGNS)
@require_safe
def campaign(request: HttpRequest, code: str) -> HttpResponse:
    campaign = _campaign_or_404(code)
    return render(request, "console/campaigns/detail.html", _detail_context(request, campaign))


def _detail_context(request, campaign, **extra) -> dict:
    wanted = request.GET.get("status") or None
    if wanted not in DeliveryStatus.values:
        wanted = None
    rows = delivery_list_for_campaign(campaign=campaign, status=wanted)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "campaign": campaign,
        "counts": campaign_delivery_counts(campaign=campaign),
        "statuses": DeliveryStatus.choices,
        "status": wanted,
        "page": page,
        "schedule_form": extra.pop("schedule_form", None) or ScheduleForm(),
        "test_form": extra.pop("test_form", None) or TestSendForm(),
        "history": history_for_subject(actor=request.user, subject=campaign_subject(campaign.code)),
        **extra,
    }


# What the marketer is told once a state change is made.
_STATE_CHANGED = {
    "pause": gettext_lazy("Paused: no more messages leave until you resume the campaign."),
    "resume": gettext_lazy("Resumed: the campaign goes on where it left off."),
    "cancel": gettext_lazy("Cancelled: the messages not sent yet will not be sent."),
}


@staff_required(MANAGE_CAMPAIGNS)
@require_POST
def campaign_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    campaign = _campaign_or_404(code)
    try:
        if action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                context = _detail_context(request, campaign, schedule_form=form)
                return render(request, "console/campaigns/detail.html", context, status=400)
            send_at = form.cleaned_data["send_at"]
            if send_at is not None and timezone.is_naive(send_at):
                send_at = timezone.make_aware(send_at, program_zone())
            campaign_schedule_by_staff(
                campaign=campaign,
                actor=request.user,
                send_at=send_at,
                local_time=form.cleaned_data["local_time"],
            )
            messages.success(request, _("Scheduled."))
        elif action == "cancel" and request.POST.get("confirm") != "1":
            messages.error(request, _("Tick the box to confirm the cancellation."))
        elif action in CAMPAIGN_STATE_CHANGES:
            campaign_state_change_by_staff(campaign=campaign, change=action, actor=request.user)
            messages.success(request, str(_STATE_CHANGED[action]))
        elif action == "send-again":
            count = campaign_send_again_by_staff(campaign=campaign, actor=request.user)
            messages.success(request, _("%(count)s messages queued again.") % {"count": count})
        elif action in ("preview", "test"):
            return _preview_or_test(request, campaign, test=action == "test")
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message())
    return redirect("staff:campaign", campaign.code)


def _preview_or_test(request, campaign, *, test: bool) -> HttpResponse:
    form = TestSendForm(request.POST)
    member = None
    if form.is_valid():
        member = (
            Member.objects.select_related("user")
            .filter(member_number=form.cleaned_data["member_number"].strip())
            .first()
        )
        if member is None:
            form.add_error("member_number", _("No member has this number."))
    if member is None:
        context = _detail_context(request, campaign, test_form=form)
        return render(request, "console/campaigns/detail.html", context, status=400)
    preview = campaign_preview(campaign=campaign, member=member)
    sent_to = None
    if test:
        try:
            campaign_test_send_by_staff(
                campaign=campaign, member=member, to=form.cleaned_data["to"], actor=request.user
            )
            sent_to = form.cleaned_data["to"]
        except CampaignInvalid as error:
            for message in error.errors().get("to", []):
                form.add_error("to", message)
        except SendError as error:
            form.add_error("to", str(error))
    context = _detail_context(request, campaign, test_form=form, preview=preview, sent_to=sent_to)
    return render(request, "console/campaigns/detail.html", context)
