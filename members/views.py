"""Pages of the member portal. Each one finds the signed-in member through `member_required`
and reads or writes only through that member (selectors and services); nothing here takes a
member id from the URL, so no page can show or change someone else's data."""

import functools
import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from loyalty.selectors.ledger import transactions_for_member
from members.barcodes import ean13_svg, qr_svg
from members.explanations import entry_explanation, entry_title
from members.forms import ConsentForm, EraseForm, JoinForm, ProfileForm
from members.selectors import (
    consent_history_for_member,
    friends_for_member,
    member_data_export,
    member_for_user,
    member_overview,
    program_in_force,
    referral_bonus_for,
)
from members.services import (
    MemberExists,
    UnknownReferralCode,
    member_consents_set,
    member_erase,
    member_profile_update,
    member_signup,
)

ACTIVITY_PAGE_SIZE = 20


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The program's front door: what the program is and how to join; a greeting once signed in."""
    return render(request, "members/home.html")


def member_required(view):
    """Signed in, and a member: the view gets the member as `member`. An account without a
    membership (staff, an account older than the program) is asked to join instead."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        member = member_for_user(user=request.user)
        if member is None:
            return redirect("members:join")
        return view(request, *args, member=member, **kwargs)

    return wrapper


def _tier_names(program, language: str) -> dict[str, str]:
    if program is None:
        return {}
    return {tier.code: tier.localized_name(language) for tier in program.tiers}


def _language(request) -> str:
    return (request.LANGUAGE_CODE or "en")[:2]


# --- Home -------------------------------------------------------------------------------------


@member_required
@require_safe
def member_home(request: HttpRequest, *, member) -> HttpResponse:
    overview = member_overview(member=member, language=_language(request))
    for entry in overview["latest"]:
        entry.title = entry_title(entry)
    return render(request, "members/member_home.html", {"member": member, **overview})


# --- Activity ---------------------------------------------------------------------------------


@member_required
@require_safe
def activity(request: HttpRequest, *, member) -> HttpResponse:
    paginator = Paginator(transactions_for_member(member=member), ACTIVITY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.title = entry_title(entry)
    context = {"member": member, "page": page}
    if request.htmx and request.htmx.target == "activity-list":
        return render(request, "members/_activity_list.html", context)
    return render(request, "members/activity.html", context)


@member_required
@require_safe
def entry_detail(request: HttpRequest, entry_id: int, *, member) -> HttpResponse:
    # Looked up among the member's own entries: another member's id is a 404, not a 403, so
    # nobody learns which ids exist.
    entry = get_object_or_404(
        transactions_for_member(member=member).select_related("program_version"), pk=entry_id
    )
    program = entry.program_version.definition if entry.program_version_id else None
    currency = program.currency if program else "EUR"
    explanation = entry_explanation(
        entry, currency=currency, tier_names=_tier_names(program, _language(request))
    )
    context = {"member": member, "entry": entry, "explanation": explanation}
    if request.htmx:
        return render(request, "members/_entry_explanation.html", context)
    return render(request, "members/entry_detail.html", context)


# --- Member card ------------------------------------------------------------------------------


@member_required
@require_safe
def card(request: HttpRequest, *, member) -> HttpResponse:
    label = _("Barcode of member number %(number)s") % {"number": member.member_number}
    context = {
        "member": member,
        "barcode": ean13_svg(member.member_number, label=label),
        "qr": qr_svg(member.member_number, label=_("QR code of your member number")),
    }
    response = render(request, "members/card.html", context)
    # Personal: a shared cache or proxy must never keep it (the service worker's cache is the
    # member's own browser).
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /me/ so that its scope covers the card page; it names the fingerprinted
    static files so the card can be drawn offline."""
    body = render(
        request,
        "members/sw.js",
        {
            "card_url": reverse("members:card"),
            "assets": [
                static("css/tessera.css"),
                static("js/portal.js"),
                static("vendor/htmx-2.0.11.min.js"),
            ],
            "version": static("css/tessera.css"),
        },
        content_type="application/javascript",
    )
    body["Cache-Control"] = "no-cache"
    return body


# --- Invite friends ---------------------------------------------------------------------------


@member_required
@require_safe
def invite(request: HttpRequest, *, member) -> HttpResponse:
    share_url = request.build_absolute_uri(
        reverse("account_signup") + "?ref=" + member.referral_code
    )
    context = {
        "member": member,
        "share_url": share_url,
        "friends": friends_for_member(member=member),
        "bonus": referral_bonus_for(program=program_in_force()),
    }
    return render(request, "members/invite.html", context)


# --- Profile and privacy ----------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest, *, member) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            member_profile_update(member=member, **form.profile_values())
            messages.success(request, _("Your profile is saved."))
            return redirect("members:profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(member))
    return _profile_page(request, member, form=form)


def _profile_page(request, member, *, form=None, consent_form=None, status=200):
    context = {
        "member": member,
        "form": form or ProfileForm(initial=ProfileForm.initial_for(member)),
        "consent_form": consent_form
        or ConsentForm(
            initial={
                "marketing_email": member.marketing_email_opt_in,
                "marketing_sms": member.marketing_sms_opt_in,
            }
        ),
        "consent_history": consent_history_for_member(member=member)[:20],
    }
    return render(request, "members/profile.html", context, status=status)


@member_required
@require_POST
def consents(request: HttpRequest, *, member) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not form.is_valid():  # two optional booleans: only a tampered request lands here
        return _profile_page(request, member, consent_form=form, status=400)
    changes = member_consents_set(
        member=member,
        marketing_email=form.cleaned_data["marketing_email"],
        marketing_sms=form.cleaned_data["marketing_sms"],
    )
    if request.htmx:
        context = {
            "member": member,
            "consent_form": form,
            "consent_history": consent_history_for_member(member=member)[:20],
            "consents_saved": True,
            "consents_changed": bool(changes),
        }
        return render(request, "members/_consents.html", context)
    messages.success(request, _("Your choices are saved."))
    return redirect(reverse("members:profile") + "#consents")


@member_required
@require_safe
def data_export(request: HttpRequest, *, member) -> HttpResponse:
    data = member_data_export(member=member)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    filename = f"tessera-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request: HttpRequest, *, member) -> HttpResponse:
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member_erase(member=member)
        logout(request)
        messages.success(request, _("Your account is deleted. Thank you for having been with us."))
        return redirect("home")
    return render(request, "members/erase.html", {"member": member, "form": form})


# --- Joining with an existing account ---------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    if member_for_user(user=request.user) is not None:
        return redirect("members:home")
    form = JoinForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member_signup(user=request.user, **form.membership_values())
        except UnknownReferralCode:
            form.add_error("referral_code", _("We do not know this referral code."))
        except MemberExists:
            return redirect("members:home")
        else:
            messages.success(request, _("Welcome to the program!"))
            return redirect("members:home")
    return render(request, "members/join.html", {"form": form})
