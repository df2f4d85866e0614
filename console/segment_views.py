"""The marketer's segment pages under /staff/segments/: the list (each count loads on its own),
the editor with a rule builder whose count follows the typing (htmx, 300 ms after the last
keystroke), the members page by page, and their CSV. Marketers and managers
(`members.manage_segments`); anyone else is refused with a 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.exports import segment_members_csv
from campaigns.segment_query import Moment
from campaigns.segment_rules import SegmentInvalid, rules_check
from campaigns.selectors.segments import (
    rfm_groups_of,
    segment_count,
    segment_get,
    segment_list,
    segment_members,
    segment_rules_count,
)
from campaigns.services.segments import SegmentExists
from config.domain import DomainError
from console.marketing import (
    segment_create_by_staff,
    segment_delete_by_staff,
    segment_export_by_staff,
    segment_subject,
    segment_update_by_staff,
)
from console.permissions import MANAGE_SEGMENTS
from console.segment_forms import (
    RFM_GROUP_LABELS,
    RuleFormSet,
    SegmentForm,
    rule_rows_initial,
)
from console.selectors import history_for_subject
from console.views import staff_required
from loyalty.selectors.program import program_in_force

MEMBERS_PER_PAGE = 50
RULES_PREFIX = "rules"


def _segment_or_404(code: str):
    segment = segment_get(code=code)
    if segment is None:
        raise Http404(_("No segment has this code."))
    return segment


def _tier_codes() -> list[str]:
    program = program_in_force()
    return [tier.code for tier in program.tiers] if program else []


def _forms(request, segment=None):
    """The segment form and the rule rows, bound to the POST or filled from the segment. One
    blank row always follows the rules (a row with no value is no rule), so a rule can be added
    without script; "Add a rule" posts back for one more."""
    if request.method == "POST":
        form = SegmentForm(request.POST, editing=segment is not None, initial=_initial(segment))
        rows = RuleFormSet(request.POST, prefix=RULES_PREFIX)
        return form, rows
    rules = segment.rules if segment else []
    form = SegmentForm(editing=segment is not None, initial=_initial(segment))
    rows = RuleFormSet(prefix=RULES_PREFIX, initial=[*rule_rows_initial(rules), {}])
    return form, rows


def _initial(segment) -> dict:
    if segment is None:
        return {}
    return {
        "code": segment.code,
        "name_en": segment.name_en,
        "name_es": segment.name_es,
        "name_fr": segment.name_fr,
        "match": segment.match,
    }


def _rules(rows) -> tuple[list[dict], list[int]]:
    """The rules the rows hold and, for each, the row it came from (rows with no value, or
    ticked for removal, hold none)."""
    rules, origin = [], []
    for index, row in enumerate(rows.forms):
        if not row.is_valid() or row.cleaned_data.get("DELETE"):
            continue
        if not row.cleaned_data.get("value", "").strip():
            continue
        rules.append(row.rule())
        origin.append(index)
    return rules, origin


def _show_problems(form, rows, origin: list[int], problems) -> list[str]:
    """Each problem at its field: `rules.N.key` at row origin[N]; the rest on the form. What
    has no field on the page is returned to be shown above the form."""
    unplaced = []
    for problem in problems:
        parts = problem.path.split(".")
        if parts[0] == "rules" and len(parts) >= 3 and parts[1].isdigit():
            row = rows.forms[origin[int(parts[1])]]
            key = parts[2] if parts[2] in row.fields else "value"
            row.add_error(key, problem.message())
        elif parts[0] == "name" and len(parts) == 2 and f"name_{parts[1]}" in form.fields:
            form.add_error(f"name_{parts[1]}", problem.message())
        elif parts[0] in form.fields:
            form.add_error(parts[0], problem.message())
        else:
            unplaced.append(problem.message())
    return unplaced


def _with_blank_row(rows):
    """The posted rows again (those not ticked for removal), plus a blank one: "Add a rule".
    Unbound, so a row still being written shows no error yet."""
    rows.is_valid()
    kept = [
        {key: row.cleaned_data.get(key) for key in ("field", "op", "value", "window_days")}
        for row in rows.forms
        if row.is_valid() and not row.cleaned_data.get("DELETE")
    ]
    return RuleFormSet(prefix=RULES_PREFIX, initial=[*kept, {}])


def _editor(request, segment=None) -> HttpResponse:
    form, rows = _forms(request, segment)
    problems: list[str] = []
    count = None
    if request.method == "POST":
        if "add_rule" in request.POST:
            rows = _with_blank_row(rows)
            form.is_valid()
            form.errors.clear()
        elif form.is_valid() and rows.is_valid():
            rules, origin = _rules(rows)
            try:
                if segment is None:
                    saved = segment_create_by_staff(
                        code=form.cleaned_data["code"],
                        names=form.names(),
                        match=form.cleaned_data["match"],
                        rules=rules,
                        actor=request.user,
                    )
                else:
                    saved = segment_update_by_staff(
                        segment=segment,
                        names=form.names(),
                        match=form.cleaned_data["match"],
                        rules=rules,
                        actor=request.user,
                    )
            except SegmentInvalid as error:
                problems = _show_problems(form, rows, origin, error.problems)
            except SegmentExists as error:
                form.add_error("code", error.message())
            else:
                return redirect(reverse("staff:segment", kwargs={"code": saved.code}))
    elif segment is not None:
        count = segment_count(segment=segment)
    context = {
        "segment": segment,
        "form": form,
        "rows": rows,
        "problems": problems,
        "count": count,
        "history": []
        if segment is None
        else history_for_subject(actor=request.user, subject=segment_subject(segment.code)),
    }
    return render(request, "console/segments/editor.html", context)


@staff_required(MANAGE_SEGMENTS)
@require_safe
def segments(request: HttpRequest) -> HttpResponse:
    language = (getattr(request, "LANGUAGE_CODE", None) or "en")[:2]
    rows = [(segment, segment.localized_name(language)) for segment in segment_list()]
    return render(request, "console/segments/list.html", {"segments": rows})


@staff_required(MANAGE_SEGMENTS)
@require_http_methods(["GET", "POST"])
def segment_new(request: HttpRequest) -> HttpResponse:
    return _editor(request)


@staff_required(MANAGE_SEGMENTS)
@require_http_methods(["GET", "POST"])
def segment(request: HttpRequest, code: str) -> HttpResponse:
    return _editor(request, _segment_or_404(code))


@staff_required(MANAGE_SEGMENTS)
@require_POST
def segment_delete(request: HttpRequest, code: str) -> HttpResponse:
    """Delete the segment, unless a campaign uses it (then it stays, and the page says why)."""
    segment = _segment_or_404(code)
    back = redirect(reverse("staff:segment", kwargs={"code": segment.code}))
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm the deletion."))
        return back
    try:
        segment_delete_by_staff(segment=segment, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message())
        return back
    messages.success(request, _("Segment deleted."))
    return redirect(reverse("staff:segments"))


@staff_required(MANAGE_SEGMENTS)
@require_POST
def segment_preview_count(request: HttpRequest) -> HttpResponse:
    """The editor's live count, asked by htmx as the marketer edits: the rules as they stand,
    validated (not saved), counted in one query; or what is wrong with them."""
    rows = RuleFormSet(request.POST, prefix=RULES_PREFIX)
    match = request.POST.get("match", "all")
    count, problems = None, []
    if rows.is_valid():
        rules, _origin = _rules(rows)
        match, rules, found = rules_check(match=match, rules=rules, tier_codes=_tier_codes())
        if found:
            problems = [problem.message() for problem in found]
        else:
            count = segment_rules_count(match=match, rules=rules)
    else:
        problems = [_("Some rules are not complete yet.")]
    return render(
        request, "console/segments/_count.html", {"count": count, "count_problems": problems}
    )


@staff_required(MANAGE_SEGMENTS)
@require_safe
def segment_list_count(request: HttpRequest, code: str) -> HttpResponse:
    """One segment's count on the list page, loaded by htmx on its own."""
    count = segment_count(segment=_segment_or_404(code))
    return render(request, "console/segments/_count.html", {"count": count, "count_problems": []})


@staff_required(MANAGE_SEGMENTS)
@require_safe
def segment_member_list(request: HttpRequest, code: str) -> HttpResponse:
    segment = _segment_or_404(code)
    moment = Moment.at()
    paginator = Paginator(segment_members(segment=segment, moment=moment), MEMBERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    groups = rfm_groups_of(members=page.object_list, moment=moment)
    rows = [(member, RFM_GROUP_LABELS[groups[member.pk]]) for member in page.object_list]
    context = {"segment": segment, "page": page, "rows": rows}
    return render(request, "console/segments/members.html", context)


@staff_required(MANAGE_SEGMENTS)
@require_safe
def segment_member_csv(request: HttpRequest, code: str) -> StreamingHttpResponse:
    segment = _segment_or_404(code)
    segment_export_by_staff(segment=segment, actor=request.user)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        segment_members_csv(segment=segment), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.code}-{stamp}.csv"'
    return response
