"""Pages of the member portal. Each one finds the signed-in member through `member_required`
and reads or writes only through that member (selectors and services); nothing here takes a
member id from the URL, so no page can show or change someone else's data."""

import functools
import json
import secrets

from allauth.account.views import LogoutView
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.links import survey_url
from campaigns.selectors.referrals import friends_for_member
from campaigns.selectors.surveys import surveys_for_member
from config.domain import DomainError
from config.once import once_begin
from loyalty.explanations import entry_explanation, entry_title, points_text
from loyalty.money import DEFAULT_CURRENCY
from loyalty.selectors.ledger import account_for_member, transactions_for_member
from loyalty.selectors.members import referral_bonus_for
from loyalty.selectors.program import program_in_force, shop_frame
from loyalty.services.enrolment import member_join_signed_up
from members.barcodes import ean13_svg, qr_svg
from members.selectors import consent_history_for_member, member_for_user
from members.services import (
    MemberExists,
    member_consents_set,
    member_erase,
    member_profile_update,
)
from portal.forms import ConsentForm, EraseForm, JoinForm, ProfileForm, client_address
from portal.offers import kind_label, voucher_views
from portal.selectors import member_data_export, member_home, reward_offers_for_member
from rewards.errors import RewardError, VoucherNotUsable
from rewards.models import RewardKind
from rewards.selectors import (
    redemption_for_member,
    reward_get,
    voucher_for_member,
    voucher_list_for_member,
)
from rewards.services.redemption import redemption_cancel, reward_redeem

ACTIVITY_PAGE_SIZE = 20


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The program's front door: what the program is and how to join. Someone signed in goes
    where a sign-in lands (portal.landing): a member to their points, staff to the console."""
    if request.user.is_authenticated:
        return redirect("landing")
    return render(request, "portal/home.html")


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
def member_home_page(request: HttpRequest, *, member) -> HttpResponse:
    overview = member_home(member=member, language=_language(request))
    for entry in overview["latest"]:
        entry.title = entry_title(entry)
    return render(request, "portal/member_home.html", {"member": member, **overview})


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
        return render(request, "portal/_activity_list.html", context)
    return render(request, "portal/activity.html", context)


@member_required
@require_safe
def entry_detail(request: HttpRequest, entry_id: int, *, member) -> HttpResponse:
    # Looked up among the member's own entries: another member's id is a 404, not a 403, so
    # nobody learns which ids exist.
    entry = get_object_or_404(
        transactions_for_member(member=member).select_related("program_version"), pk=entry_id
    )
    program = entry.program_version.definition if entry.program_version_id else None
    currency = program.currency if program else DEFAULT_CURRENCY
    language = _language(request)
    explanation = entry_explanation(
        entry,
        currency=currency,
        tier_names=_tier_names(program, language),
        category_names=program.category_names(language) if program else {},
    )
    context = {"member": member, "entry": entry, "explanation": explanation}
    if request.htmx:
        return render(request, "portal/_entry_explanation.html", context)
    return render(request, "portal/entry_detail.html", context)


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
    response = render(request, "portal/card.html", context)
    # Personal: a shared cache or proxy must never keep it (the service worker's cache is the
    # member's own browser).
    response["Cache-Control"] = "private, no-cache"
    return response


# A voucher's QR image URL around its code, for the service worker to recognise one.
QR_CODE_PLACEHOLDER = "QR-CODE"


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /me/ so that its scope covers the card and vouchers pages; it names the
    fingerprinted static files, the vouchers' QR images and the shop's colours and logo so both
    pages can be drawn offline."""
    qr_prefix, qr_suffix = reverse("voucher-qr", kwargs={"code": QR_CODE_PLACEHOLDER}).split(
        QR_CODE_PLACEHOLDER
    )
    frame = shop_frame()
    body = render(
        request,
        "portal/sw.js",
        {
            "card_url": reverse("members:card"),
            "vouchers_url": reverse("members:vouchers"),
            "qr_prefix": qr_prefix,
            "qr_suffix": qr_suffix,
            "assets": [
                static("css/tessera.css"),
                static("js/portal.js"),
                static("vendor/htmx-2.0.11.min.js"),
            ],
            "frame": [reverse("shop_css"), *([frame.logo_url] if frame.logo_url else [])],
            "version": static("css/tessera.css"),
        },
        content_type="application/javascript",
    )
    body["Cache-Control"] = "no-cache"
    return body


# --- Signing out -----------------------------------------------------------------------------

# Signing out (or deleting the account) asks the browser to drop what the portal kept on this
# device: the service worker's saved card and vouchers, and the worker itself. portal.js also
# empties the saved copies when the header's button is pressed; this header covers a sign-out
# from any page, portal.js loaded or not. Cookies stay (the language chosen, for one).
CLEAR_SITE_DATA = '"storage"'


def forget_this_device(response: HttpResponse) -> HttpResponse:
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


class SignOutView(LogoutView):
    """allauth's sign-out (config/urls.py mounts it at its URL, ahead of allauth's)."""

    def post(self, *args, **kwargs) -> HttpResponse:
        return forget_this_device(super().post(*args, **kwargs))


sign_out = SignOutView.as_view()


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
    return render(request, "portal/invite.html", context)


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


SURVEYS_SHOWN = 10


def _profile_page(request, member, *, form=None, consent_form=None, status=200):
    context = {
        "member": member,
        "form": form or ProfileForm(initial=ProfileForm.initial_for(member)),
        "consent_form": consent_form or ConsentForm(initial=ConsentForm.initial_for(member)),
        "consent_history": consent_history_for_member(member=member)[:20],
        "surveys": [
            (survey, survey_url(survey_pk=survey.pk))
            for survey in surveys_for_member(member=member)[:SURVEYS_SHOWN]
        ],
    }
    return render(request, "portal/profile.html", context, status=status)


@member_required
@require_POST
def consents(request: HttpRequest, *, member) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not form.is_valid():  # optional booleans: only a tampered request lands here
        return _profile_page(request, member, consent_form=form, status=400)
    changes = member_consents_set(member=member, **form.cleaned_data)
    if request.htmx:
        context = {
            "member": member,
            "consent_form": form,
            "consent_history": consent_history_for_member(member=member)[:20],
            "consents_saved": True,
            "consents_changed": bool(changes),
        }
        return render(request, "portal/_consents.html", context)
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
        return forget_this_device(redirect("home"))
    return render(request, "portal/erase.html", {"member": member, "form": form})


# --- Rewards ------------------------------------------------------------------------------------

# A redeem form carries a signed one-time token: the member and reward it was shown for and a
# random nonce. The first POST claims the nonce with a durable row in the redemption's own
# transaction (config.once), so a double click or a resubmitted form redeems once, and the
# repeat is answered with the first request's outcome. htmx also disables the button while the
# request runs; the service's locks keep the balance and limits right whatever the client does.
REDEEM_SIGNING_SALT = "members.reward_redeem"
REDEEM_TOKEN_MAX_AGE = 60 * 60


def _redeem_token(member, reward) -> str:
    return signing.dumps(
        {"member": member.pk, "reward": reward.pk, "nonce": secrets.token_urlsafe(12)},
        salt=REDEEM_SIGNING_SALT,
    )


def _redeem_token_nonce(token: str, *, member, reward) -> str | None:
    try:
        data = signing.loads(token, salt=REDEEM_SIGNING_SALT, max_age=REDEEM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("member") != member.pk or data.get("reward") != reward.pk:
        return None
    return data.get("nonce") or None


def _account(member, *, fresh: bool = False):
    """The member's balance: the one `member_for_user` loaded with the member, or read again
    after a write changed it."""
    if not fresh:
        try:
            return member.loyalty_account
        except ObjectDoesNotExist:
            pass
    return account_for_member(member=member)


def _rewards_context(request, member, account, *, notice=None, error=""):
    language = _language(request)
    program = program_in_force()
    offers = reward_offers_for_member(
        member=member, language=language, account=account, program=program
    )
    kinds = sorted({offer.reward.kind for offer in offers}, key=RewardKind.values.index)
    # The filters come with the page's URL, or with a redemption's form (hx-include) so that the
    # catalog redrawn after it keeps them.
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind", "")
    affordable_only = params.get("affordable") == "1"
    shown = [
        offer
        for offer in offers
        if (not kind or offer.reward.kind == kind) and (not affordable_only or offer.is_redeemable)
    ]
    return {
        "member": member,
        "account": account,
        "offers": shown,
        "offer_count": len(offers),
        "kinds": [(code, kind_label(code)) for code in kinds],
        "kind": kind,
        "affordable_only": affordable_only,
        "notice": notice,
        "error": error,
    }


@member_required
@require_safe
def rewards(request: HttpRequest, *, member) -> HttpResponse:
    context = _rewards_context(request, member, _account(member))
    if request.htmx and request.htmx.target == "rewards-catalog":
        return render(request, "portal/_rewards_catalog.html", context)
    return render(request, "portal/rewards.html", context)


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def redeem(request: HttpRequest, reward_code: str, *, member) -> HttpResponse:
    reward = reward_get(code=reward_code)
    if reward is None:
        raise Http404
    if request.method == "POST":
        return _reward_redeem_post(request, member, reward)
    account = _account(member)
    # Confirming is offered for what the member may see; a reward outside their tier or window
    # is not shown to them at all.
    offer = next(
        (
            offer
            for offer in reward_offers_for_member(
                member=member,
                language=_language(request),
                account=account,
                program=program_in_force(),
            )
            if offer.reward.pk == reward.pk
        ),
        None,
    )
    if offer is None:
        raise Http404
    context = {
        "member": member,
        "account": account,
        "offer": offer,
        "token": _redeem_token(member, reward),
    }
    if request.htmx:
        return render(request, "portal/_reward_confirm.html", context)
    return render(request, "portal/reward_confirm.html", context)


def _reward_redeem_post(request, member, reward) -> HttpResponse:
    language = _language(request)
    nonce = _redeem_token_nonce(request.POST.get("token", ""), member=member, reward=reward)
    if nonce is None:
        return _redeem_refused(
            request,
            member,
            _("This confirmation is no longer valid. Please confirm again."),
            status=400,
        )
    try:
        with transaction.atomic():
            attempt = once_begin(scope=f"member:{member.pk}", key=f"redeem:{nonce}")
            if not attempt.first:
                return _redeem_repeated(request, member, claimed=attempt.outcome)
            redemption = reward_redeem(member=member, reward=reward)
            attempt.done(str(redemption.public_id))
    except DomainError as error:  # nothing happened: the same form may be sent again
        return _redeem_refused(request, member, error.member_message(language), status=409)
    return _redeem_done(request, member, redemption)


def _redeem_done(request, member, redemption) -> HttpResponse:
    if not request.htmx:
        messages.success(
            request,
            _("Reward redeemed: %(reward)s. Show the code below at the till.")
            % {"reward": redemption.localized_name(_language(request))},
        )
        return redirect(reverse("members:vouchers") + f"#voucher-{redemption.voucher.code}")
    notice = {
        "kind": "success",
        "redemption": redemption,
        "name": redemption.localized_name(_language(request)),
        "code": redemption.voucher.code,
        "code_groups": redemption.voucher.code.split("-"),
    }
    context = _rewards_context(request, member, _account(member, fresh=True), notice=notice)
    return render(request, "portal/_rewards_catalog.html", context | {"balance_oob": True})


def _redeem_repeated(request, member, *, claimed) -> HttpResponse:
    """The same confirmation sent again: answered with the first one's outcome."""
    redemption = None
    if claimed:
        redemption = redemption_for_member(member=member, public_id=claimed)
    if redemption is not None:
        return _redeem_done(request, member, redemption)
    info = _("We already received this request. Your voucher appears in My vouchers.")
    if not request.htmx:
        messages.info(request, info)
        return redirect("members:vouchers")
    return _redeem_refused(request, member, info, status=200)


def _redeem_refused(request, member, message: str, *, status: int) -> HttpResponse:
    context = _rewards_context(request, member, _account(member, fresh=True), error=message)
    if request.htmx:
        # htmx swaps only successful responses: the refusal is content, not a transport error.
        return render(request, "portal/_rewards_catalog.html", context | {"balance_oob": True})
    return render(request, "portal/rewards.html", context, status=status)


# --- My vouchers ---------------------------------------------------------------------------------


def _vouchers_context(request, member, account, *, notice="", error=""):
    views = voucher_views(
        voucher_list_for_member(member=member), language=_language(request), now=timezone.now()
    )
    return {
        "member": member,
        "account": account,
        "usable": [view for view in views if view.is_usable],
        "past": [view for view in views if not view.is_usable],
        "notice": notice,
        "error": error,
    }


@member_required
@require_safe
def vouchers(request: HttpRequest, *, member) -> HttpResponse:
    context = _vouchers_context(request, member, _account(member))
    response = render(request, "portal/vouchers.html", context)
    # Personal, like the card: kept by the member's own browser (the service worker) only.
    response["Cache-Control"] = "private, no-cache"
    return response


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def voucher_cancel(request: HttpRequest, voucher_code: str, *, member) -> HttpResponse:
    # Looked up among the member's own vouchers: anyone else's code is a 404.
    voucher = voucher_for_member(member=member, code=voucher_code)
    if voucher is None:
        raise Http404
    language = _language(request)
    (view,) = voucher_views([voucher], language=language, now=timezone.now())
    if request.method == "POST":
        # Safe to repeat: the service claims the voucher with a conditional UPDATE, so a second
        # submit finds it cancelled and is told so; the points come back once.
        redemption = voucher.redemption
        redemption.member = member
        try:
            redemption_cancel(redemption=redemption)
        except RewardError as error:
            if not request.htmx:
                context = {"member": member, "voucher": view, "error": error.message(language)}
                return render(request, "portal/voucher_cancel.html", context, status=409)
            context = _vouchers_context(
                request, member, _account(member, fresh=True), error=error.message(language)
            )
            return render(request, "portal/_vouchers_list.html", context | {"balance_oob": True})
        done = _("Voucher cancelled: %(reward)s. %(points)s points are back in your balance.") % {
            "reward": view.name,
            "points": points_text(redemption.points_spent),
        }
        if not request.htmx:
            messages.success(request, done)
            return redirect("members:vouchers")
        context = _vouchers_context(request, member, _account(member, fresh=True), notice=done)
        return render(request, "portal/_vouchers_list.html", context | {"balance_oob": True})
    context = {"member": member, "voucher": view, "redemption": voucher.redemption}
    if not view.is_usable:  # only an unused voucher can be cancelled: say why not
        context["error"] = VoucherNotUsable(reason=view.status).message(language)
    if request.htmx:
        return render(request, "portal/_voucher_confirm.html", context)
    return render(request, "portal/voucher_cancel.html", context)


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
            member_join_signed_up(
                user=request.user,
                signup_address=client_address(request),
                **form.membership_values(),
            )
        except MemberExists:
            return redirect("members:home")
        except DomainError as error:  # a referral code unknown by now, a blocked account
            form.add_error(
                error.field if error.field in form.fields else None, error.member_message()
            )
        else:
            messages.success(request, _("Welcome to the program!"))
            return redirect("members:home")
    return render(request, "portal/join.html", {"form": form})
