"""The program import page's simulation (ANALYTICS.md, "The program simulator"): the last 12
months replayed under the file, beside the diff. Small histories are replayed while the page is
made; a large one is left to a task (loyalty.services.simulations), whose progress the page
polls with htmx until the figures are there."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext as _

from config.numbers import number_text
from loyalty.models import ProgramSimulation, SimulationStatus
from loyalty.selectors.program import program_definition_for_import, program_version_latest
from loyalty.services.simulations import (
    simulation_is_inline,
    simulation_request,
    simulation_window,
)
from loyalty.simulation import simulation_compute
from loyalty.simulation.attribution import OTHER, ROUNDING, TIER_PREFIX
from loyalty.tasks import program_simulation_run

PARTIAL = "admin/loyalty/_program_simulation.html"


def simulation_context(text: str) -> dict[str, Any]:
    """What the import page shows of the simulation of `text` (a file that validates): the
    figures (`simulation`), or the stored run to poll (`simulation_run`)."""
    draft = program_definition_for_import(text=text)
    window = simulation_window(draft=draft)
    if simulation_is_inline(draft=draft, window=window):
        found = simulation_compute(draft=draft, window=window, workers=1)
        return {"simulation": simulation_table(found.as_data())}
    run, is_new = simulation_request(text=text, window=window)
    if is_new:
        program_simulation_run.delay(run.pk)  # once the request's writes commit
    return simulation_run_context(run)


def simulation_run_context(run: ProgramSimulation) -> dict[str, Any]:
    context: dict[str, Any] = {"simulation_run": run}
    if run.status == SimulationStatus.DONE and run.result:
        context["simulation"] = simulation_table(run.result)
    return context


def simulation_view(model_admin, request, key) -> TemplateResponse:
    """The stored run's progress, or its figures once done (an htmx fragment; a page of its
    own when asked for directly)."""
    run = get_object_or_404(ProgramSimulation, key=key)
    context = simulation_run_context(run)
    if request.htmx:
        return TemplateResponse(request, PARTIAL, context)
    return TemplateResponse(
        request,
        "admin/loyalty/program_simulation.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": _("Simulation of a program file"),
            **context,
        },
    )


# --- The table ---------------------------------------------------------------------------------


def _points(value: int) -> str:
    return number_text(value)


def _change(live, draft, places: int = 0) -> str:
    change = draft - live
    if not change:
        return "0"
    text = number_text(abs(change), places)
    return f"+{text}" if change > 0 else f"\N{MINUS SIGN}{text}"


def _tier_names() -> dict[str, str]:
    """The live program's tiers by code, named in the request's language (a tier only the
    draft has keeps its code)."""
    version = program_version_latest()
    if version is None:
        return {}
    language = translation.get_language()
    return {tier.code: tier.localized_name(language) for tier in version.definition.tiers}


def _rule_label(code: str, tiers: dict[str, str]) -> str:
    if code == ROUNDING:
        return _("rounding of each purchase")
    if code == OTHER:
        return _("entries without a breakdown")
    if code.startswith(TIER_PREFIX):
        tier = code.removeprefix(TIER_PREFIX)
        return _("%(tier)s tier's multiplier") % {"tier": tiers.get(tier, tier)}
    return code


def simulation_table(data: dict[str, Any]) -> dict[str, Any]:
    """`Simulation.as_data()` as the page shows it: rows of (label, live, draft, difference)
    in the request's language, and the notes the figures rest on."""
    live, draft = data["figures"]["live"], data["figures"]["draft"]
    rows: list[dict[str, Any]] = []

    def add(label: str, left, right, *, is_part: bool = False, money: bool = False) -> None:
        if money:
            left, right = Decimal(left), Decimal(right)
            shown = [number_text(value, 2) for value in (left, right)]
            difference = _change(left, right, 2)
        else:
            shown, difference = [_points(left), _points(right)], _change(left, right)
        rows.append(
            {
                "label": label,
                "live": shown[0],
                "draft": shown[1],
                "difference": difference,
                "is_part": is_part,
                "is_changed": difference != "0",
            }
        )

    tiers = _tier_names()
    add(_("Points issued"), live["points_issued"], draft["points_issued"])
    # The live program's rules, then those only the draft has (a new rule earns only there).
    for code in dict.fromkeys([*live["points_by_rule"], *draft["points_by_rule"]]):
        found = (live["points_by_rule"].get(code, 0), draft["points_by_rule"].get(code, 0))
        add(_rule_label(code, tiers), *found, is_part=True)
    rows.append({"label": _("Members per tier at the end"), "is_heading": True})
    codes = dict.fromkeys([*live["members_per_tier"], *draft["members_per_tier"]])
    for code in codes:
        counts = (live["members_per_tier"].get(code, 0), draft["members_per_tier"].get(code, 0))
        add(tiers.get(code, code), *counts, is_part=True)
    add(_("Upgrades"), live["upgrades"], draft["upgrades"])
    add(_("Downgrades"), live["downgrades"], draft["downgrades"])
    add(_("Outstanding points at the end"), live["outstanding_points"], draft["outstanding_points"])
    currency = data["currency"]
    add(
        _("Liability (%(currency)s)") % {"currency": currency},
        live["liability"],
        draft["liability"],
        money=True,
    )
    add(
        _("Expected reward cost (%(currency)s)") % {"currency": currency},
        live["expected_reward_cost"],
        draft["expected_reward_cost"],
        money=True,
    )
    breakage = data["breakage"]
    rate = data["redemption_rate"]
    return {
        "rows": rows,
        "start": data["from"],
        "end": data["to"],
        "purchases": _points(data["purchases_scored"]),
        "refunds": _points(data["refunds_rescored"]),
        "breakage": _percent(breakage) if breakage is not None else None,
        "redemption_rate": _percent(rate) if rate is not None else _percent("0"),
    }


def _percent(value) -> str:
    return number_text(Decimal(value) * 100, 2, grouping=False) + "\N{NO-BREAK SPACE}%"
