"""Pages of the staff console. Every view names the permission it needs (`staff_required`): not
signed in goes to the sign-in page, signed in without the role is a 403. The views parse forms,
call console.selectors and services, and render; htmx requests get the page's partial."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.domain import DomainError
from console import permissions as perms
from console.forms import (
    AdjustForm,
    BlockForm,
    EnrolForm,
    PurchaseForm,
    PurchaseLineFormSet,
    RefundForm,
    SearchForm,
    VoucherConsumeForm,
    VoucherForm,
    purchase_items,
)
from console.permissions import staff_can
from console.selectors import (
    member_for_staff,
    member_page_for_staff,
    member_scanned,
    member_search,
    purchase_for_staff,
    purchase_preview_for_staff,
    purchases_for_staff,
)
from console.services import (
    console_purchase_limit,
    member_block,
    member_enrol_by_staff,
    member_unblock,
    points_adjust_by_staff,
    purchase_record_by_staff,
    refund_record_by_staff,
    voucher_consume_by_staff,
)
from loyalty.channels import channel_name
from loyalty.explanations import money_text, points_text
from loyalty.selectors.program import ProgramNotConfigured, program_zone
from loyalty.services.ledger import LedgerError
from loyalty.services.purchases import AmountAboveLimit, InvalidPurchase, ItemsExceedAmount
from members.services import MemberExists
from members.status import MemberBlocked
from rewards.errors import RewardError
from rewards.selectors import voucher_get


def staff_required(permission: str):
    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            perms.staff_permission_require(request.user, permission)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _language(request) -> str:
    return (getattr(request, "LANGUAGE_CODE", None) or "en")[:2]


def _member_or_404(request, member_number: str):
    member = member_for_staff(actor=request.user, member_number=member_number)
    if member is None:
        raise Http404(_("No member has this number."))
    return member


def _member_url(member) -> str:
    return reverse("staff:member", kwargs={"member_number": member.member_number})


# --- Search ------------------------------------------------------------------------------------


@staff_required(perms.VIEW_MEMBERS)
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Search as you type (htmx asks for the results list); a submitted search that is a valid
    member number, as a barcode scanner types it followed by Enter, opens that member."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    if not request.htmx and query:
        scanned = member_scanned(actor=request.user, query=query)
        if scanned is not None:
            return redirect(_member_url(scanned))
    context = {
        "form": form,
        "query": query,
        "results": member_search(actor=request.user, query=query) if query else [],
    }
    if request.htmx:
        return render(request, "console/_results.html", context)
    return render(request, "console/search.html", context)


# --- The member ------------------------------------------------------------------------------


@staff_required(perms.VIEW_MEMBERS)
@require_safe
def member(request: HttpRequest, member_number: str) -> HttpResponse:
    member = _member_or_404(request, member_number)
    context = {
        "member": member,
        **member_page_for_staff(actor=request.user, member=member, language=_language(request)),
    }
    return render(request, "console/member.html", context)


# --- Purchase ----------------------------------------------------------------------------------


def _refused(form, error: DomainError, *, field: str | None = None) -> None:
    """A service's refusal on the form: at the field it names when the form has it, else at
    `field`, else on the form as a whole; in the active language."""
    at = error.field if error.field in form.fields else field
    form.add_error(at, ValidationError(error.message(), code=error.code))


def _purchase_forms(request):
    data = request.POST if request.method == "POST" else None
    return PurchaseForm(data), PurchaseLineFormSet(data, prefix="lines")


def _purchase_refused(form, error: LedgerError) -> None:
    """A refusal of the ledger at the field it is about; the lines are a formset of their own,
    so a refusal of the items (worth more than the amount) is shown at the amount."""
    _refused(form, error, field="amount" if error.field == "items" else None)


def _preview(request, member, form, lines):
    """The points the purchase would earn, or why it cannot be previewed yet (None, error).
    A refusal of the amount or the lines goes to the form's fields."""
    if not (form.is_valid() and lines.is_valid()):
        return None, ""
    try:
        preview = purchase_preview_for_staff(
            actor=request.user,
            member=member,
            amount=form.cleaned_data["amount"],
            channel=form.cleaned_data["channel"],
            items=purchase_items(lines),
            confirm_above_limit=form.cleaned_data["confirm_above_limit"],
        )
    except ProgramNotConfigured:
        return None, _("The program is not set up yet: purchases cannot be recorded.")
    except (AmountAboveLimit, ItemsExceedAmount, InvalidPurchase) as error:
        _purchase_refused(form, error)
        return None, ""
    except LedgerError as error:
        return None, error.message()
    return preview, ""


def _purchase_context(request, member, form, lines, preview, preview_error) -> dict:
    refused = form.errors.as_data().get("amount", []) if form.is_bound else []
    above_limit = any(error.code == AmountAboveLimit.code for error in refused)
    if not above_limit and form.is_bound and form.cleaned_data.get("confirm_above_limit"):
        # Confirmed and accepted: keep the confirmation on screen while it is still needed.
        limit = console_purchase_limit()
        amount = form.cleaned_data.get("amount")
        above_limit = limit is not None and amount is not None and amount > limit
    if request.htmx and refused and not preview_error:
        # The htmx preview replaces only its own region: say there what the amount field says.
        preview_error = " ".join(message for error in refused for message in error.messages)
    return {
        "member": member,
        "form": form,
        "lines": lines,
        "preview": preview,
        "preview_error": preview_error,
        # A manager may record it anyway, ticking the confirmation; a cashier is told to ask one.
        "above_limit": above_limit,
        "may_confirm_above_limit": staff_can(request.user, perms.RECORD_PURCHASE_ABOVE_LIMIT),
    }


@staff_required(perms.RECORD_PURCHASE)
@require_http_methods(["GET", "POST"])
def purchase(request: HttpRequest, member_number: str) -> HttpResponse:
    member = _member_or_404(request, member_number)
    form, lines = _purchase_forms(request)
    preview, preview_error = (None, "")
    if request.method == "POST":
        try:
            preview, preview_error = _preview(request, member, form, lines)
        except MemberBlocked as error:
            form.add_error(None, error.message())
        # "Preview" re-shows the form with the points; "Record" saves.
        if preview is not None and "preview" not in request.POST:
            try:
                recorded, created = purchase_record_by_staff(
                    member=member,
                    token=form.cleaned_data["token"],
                    amount=form.cleaned_data["amount"],
                    channel=form.cleaned_data["channel"],
                    items=purchase_items(lines),
                    actor=request.user,
                    confirm_above_limit=form.cleaned_data["confirm_above_limit"],
                )
            except ProgramNotConfigured:
                preview_error = _("The program is not set up yet: purchases cannot be recorded.")
            except MemberBlocked as error:
                form.add_error(None, error.message())
            except LedgerError as error:
                _purchase_refused(form, error)
            else:
                if created:
                    messages.success(
                        request,
                        _("Purchase of %(amount)s recorded: %(points)s points.")
                        % {
                            "amount": money_text(recorded.amount, recorded.currency),
                            "points": points_text(recorded.points),
                        },
                    )
                else:
                    messages.info(request, _("This purchase was already recorded."))
                return redirect(_member_url(member))
    context = _purchase_context(request, member, form, lines, preview, preview_error)
    return render(request, "console/purchase.html", context)


@staff_required(perms.RECORD_PURCHASE)
@require_POST
def purchase_preview(request: HttpRequest, member_number: str) -> HttpResponse:
    """The preview region of the purchase form, asked by htmx as the cashier types."""
    member = _member_or_404(request, member_number)
    form, lines = _purchase_forms(request)
    try:
        preview, preview_error = _preview(request, member, form, lines)
    except MemberBlocked as error:
        preview, preview_error = None, error.message()
    context = _purchase_context(request, member, form, lines, preview, preview_error)
    return render(request, "console/_purchase_preview.html", context)


# --- Refund ------------------------------------------------------------------------------------


@staff_required(perms.REFUND)
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, member_number: str) -> HttpResponse:
    member = _member_or_404(request, member_number)
    purchases = [
        purchase
        for purchase in purchases_for_staff(actor=request.user, member=member)
        if purchase.left_to_refund > 0
    ]

    zone = program_zone()

    def label(purchase) -> str:
        """What the cashier recognises on the receipt: how much is left, when, where (never the
        POS's internal id), in the language of the page; what is left first, as a phone's
        closed list shows only the beginning."""
        return _("%(amount)s left of %(total)s · %(date)s · %(channel)s") % {
            "date": formats.date_format(
                timezone.localtime(purchase.purchased_at, zone), "SHORT_DATETIME_FORMAT"
            ),
            "channel": channel_name(purchase.channel),
            "amount": money_text(purchase.left_to_refund, purchase.currency),
            "total": money_text(purchase.amount, purchase.currency),
        }

    data = request.POST if request.method == "POST" else None
    initial = {"purchase": request.GET.get("purchase", "")}
    form = RefundForm(data, purchases=purchases, currency_label=label, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = purchase_for_staff(
            actor=request.user, member=member, external_id=form.cleaned_data["purchase"]
        )
        if chosen is None:
            form.add_error("purchase", _("This purchase is not the member's."))
        else:
            try:
                done = refund_record_by_staff(
                    purchase=chosen,
                    token=form.cleaned_data["token"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except LedgerError as error:
                _refused(form, error, field="amount")
            else:
                messages.success(
                    request,
                    _("Refund of %(amount)s recorded: %(points)s points taken back.")
                    % {
                        "amount": money_text(done.amount, chosen.currency),
                        "points": points_text(done.points_taken),
                    },
                )
                return redirect(_member_url(member))
    return render(
        request, "console/refund.html", {"member": member, "form": form, "purchases": purchases}
    )


# --- Adjust ------------------------------------------------------------------------------------


@staff_required(perms.ADJUST)
@require_http_methods(["GET", "POST"])
def adjust(request: HttpRequest, member_number: str) -> HttpResponse:
    member = _member_or_404(request, member_number)
    form = AdjustForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = points_adjust_by_staff(
                member=member,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                token=form.cleaned_data["token"],
            )
        except (LedgerError, MemberBlocked) as error:
            _refused(form, error, field="points")
        else:
            sign = "+" if entry.points > 0 else "\N{MINUS SIGN}"
            messages.success(
                request,
                _("Points adjusted by %(points)s.")
                % {"points": sign + points_text(abs(entry.points))},
            )
            return redirect(_member_url(member))
    context = {
        "member": member,
        "form": form,
        "is_limited": not staff_can(request.user, perms.ADJUST_ANY),
        "limit": settings.STAFF_CASHIER_MAX_ADJUSTMENT,
    }
    return render(request, "console/adjust.html", context)


# --- Block --------------------------------------------------------------------------------------


@staff_required(perms.BLOCK)
@require_http_methods(["GET", "POST"])
def block(request: HttpRequest, member_number: str) -> HttpResponse:
    member = _member_or_404(request, member_number)
    form = BlockForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            member_block(member=member, reason=form.cleaned_data["reason"], actor=request.user)
        except LedgerError as error:  # ReasonRequired
            _refused(form, error, field="reason")
        else:
            messages.success(
                request,
                _("%(name)s is blocked: no points, rewards or vouchers until unblocked.")
                % {"name": member.user.get_full_name() or member.user.email},
            )
            return redirect(_member_url(member))
    return render(request, "console/block.html", {"member": member, "form": form})


@staff_required(perms.BLOCK)
@require_POST
def unblock(request: HttpRequest, member_number: str) -> HttpResponse:
    member = _member_or_404(request, member_number)
    member_unblock(member=member, actor=request.user)
    messages.success(
        request,
        _("%(name)s is unblocked: everything works again.")
        % {"name": member.user.get_full_name() or member.user.email},
    )
    return redirect(_member_url(member))


# --- Vouchers ----------------------------------------------------------------------------------


@staff_required(perms.CONSUME_VOUCHER)
@require_safe
def voucher(request: HttpRequest) -> HttpResponse:
    """Validate: what the voucher grants, whose it is and whether it can be used, before
    consuming it. The code is the capability (as for the API): whoever holds it may see this."""

    form = VoucherForm(request.GET if "code" in request.GET else None)
    found = None
    error = ""
    if form.is_valid():
        found = voucher_get(code=form.cleaned_data["code"])
        if found is None:
            error = _("No voucher has this code.")
        else:
            found.current_status = found.status_at(timezone.now())
            found.reward_name = found.redemption.localized_name(_language(request))
    context = {
        "form": form,
        "voucher": found,
        "error": error,
        "consume_form": VoucherConsumeForm(initial={"code": found.code}) if found else None,
    }
    if request.htmx:
        return render(request, "console/_voucher.html", context)
    return render(request, "console/voucher.html", context)


@staff_required(perms.CONSUME_VOUCHER)
@require_POST
def voucher_consume(request: HttpRequest) -> HttpResponse:
    form = VoucherConsumeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the voucher's code."))
        return redirect("staff:voucher")
    try:
        used = voucher_consume_by_staff(
            code=form.cleaned_data["code"],
            order_ref=form.cleaned_data["order_ref"],
            actor=request.user,
        )
    except (RewardError, MemberBlocked) as error:
        messages.error(request, error.message())
        query = urlencode({"code": form.cleaned_data["code"]})
        return redirect(f"{reverse('staff:voucher')}?{query}")
    messages.success(
        request,
        _("Voucher %(code)s used: %(reward)s.")
        % {"code": used.code, "reward": used.redemption.localized_name(_language(request))},
    )
    return redirect(_member_url(used.redemption.member))


# --- Enrol -------------------------------------------------------------------------------------


@staff_required(perms.ENROL)
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    form = EnrolForm(
        request.POST if request.method == "POST" else None, language=_language(request)
    )
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = member_enrol_by_staff(actor=request.user, **form.enrol_values())
        except MemberExists:
            email = form.cleaned_data["email"]
            form.add_error("email", _("A member already has this email."))
            found = member_search(actor=request.user, query=email)
            existing = found[0] if len(found) == 1 else None
        else:
            messages.success(
                request,
                _("%(name)s is now a member, number %(number)s.")
                % {"name": enrolled.user.first_name, "number": enrolled.member_number},
            )
            return redirect(_member_url(enrolled))
    return render(request, "console/enrol.html", {"form": form, "existing": existing})
