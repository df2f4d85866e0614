# ruff: noqa: RUF001 - the multiplication sign is what a shop owner reads.
"""An admin a shop owner can use (issue 15): the earning rule's form shows and keeps only the
fields of its kind, in plain words; amounts read as money in the program's currency; the
history of the program reads as sentences in the active language."""

import html
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from loyalty.admin_rules import KIND_FIELDS, REQUIRED_FIELDS
from loyalty.config_history import config_history
from loyalty.definition import RULE_KINDS
from loyalty.models import EarningRule, Program, ProgramVersion, Tier
from loyalty.program_file import RULE_FIELDS, parse_program_data, program_to_text
from loyalty.selectors.program import program_change_check
from loyalty.services.program import program_import, program_settings_save, tier_save
from loyalty.services.purchases import purchase_record
from tests.factories.ledger import MemberFactory
from tests.factories.members import StaffUserFactory

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"
RULE_ADD = "admin:loyalty_earningrule_add"


@pytest.fixture
def admin_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def get(client, url, language):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response


def post(client, url, data, language="en"):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)


def visible_text(page: str) -> str:
    """What a person reads on the page: no tags, attributes or scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    # Only ASCII white space is squeezed: money keeps its no-break spaces ("500,00\u00a0€").
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page)))


def rule_form(**values) -> dict:
    """Every field of the form filled with something, as a page without the script sends it
    when a shop owner typed in fields the kind does not use."""
    form = {
        "code": "new_rule",
        "position": "30",
        "is_active": "on",
        "points": "7",
        "per": "2.00",
        "multiplier": "3",
        "min_amount": "80.00",
        "category": "cheese",
        "sku": "",
        "event": "birthday",
        "referee_points": "9",
        "monthly_cap": "4",
        "starts": "",
        "ends": "",
    }
    return {**form, **values}


# --- The rule's form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "kind_label", "per_help"),
    [
        ("en", "Points for every amount spent", "Points for every €1.00 spent"),
        ("es", "Puntos por cada importe gastado", f"Puntos por cada 1,00{NBSP}€ gastado"),
        (
            "fr",
            "Des points pour chaque montant dépensé",
            f"Des points pour chaque 1,00{NBSP}€ dépensé",
        ),
    ],
)
def test_the_form_speaks_the_shop_owners_language(
    admin_client, imported_version, language, kind_label, per_help
):
    page = get(admin_client, reverse(RULE_ADD), language).content.decode()
    text = visible_text(page)

    assert kind_label in text
    assert per_help in text
    assert "PROGRAM.md" not in page
    for jargon in ("per_currency_unit", "spend_threshold_bonus", "min_amount", "referee_points"):
        assert jargon not in text, jargon


def test_the_kind_select_tells_the_script_which_fields_each_kind_uses(
    admin_client, imported_version
):
    page = get(admin_client, reverse(RULE_ADD), "en").content.decode()

    fields = re.search(r'data-rule-fields="([^"]*)"', page).group(1)
    assert json.loads(html.unescape(fields)) == {
        kind: list(RULE_FIELDS[kind]) for kind in RULE_KINDS
    }
    help_texts = json.loads(html.unescape(re.search(r'data-rule-help="([^"]*)"', page).group(1)))
    assert help_texts["per_item"]["points"] == "Points for each item bought."
    assert set(help_texts["event_bonus"]) == set(RULE_FIELDS["event_bonus"])
    # The script is a static file (the CSP refuses inline script), on this page.
    assert re.search(r'<script src="/static/js/admin-rule-kind\.[0-9a-f]+\.js"', page)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
    assert inline == []


def test_without_the_script_each_field_names_the_kinds_that_use_it(admin_client, imported_version):
    page = get(admin_client, reverse(RULE_ADD), "es").content.decode()

    notes = {}
    for row in page.split('<div class="form-row')[1:]:
        field = re.match(r"[^\"]*\bfield-(\w+)", row).group(1)
        note = re.search(r'<span class="rule-kinds-note">([^<]*)</span>', row)
        if note:
            notes[field] = html.unescape(note.group(1))
    assert set(notes) == set(KIND_FIELDS)
    assert notes["min_amount"] == ("Lo usan: Bonificación por una compra a partir de un importe.")
    assert "Puntos por cada importe gastado" in notes["weekdays"]
    assert "Bonificación por un evento" not in notes["weekdays"]  # an event has no weekday


def test_fields_the_kind_does_not_use_are_emptied_even_when_filled(admin_client, imported_version):
    form = rule_form(kind="per_currency_unit", min_amount="not a number", weekdays=["tue"])

    response = post(admin_client, reverse(RULE_ADD), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = EarningRule.objects.get(code="new_rule")
    assert (rule.points, rule.per, rule.weekdays) == (7, Decimal("2.00"), ["tue"])
    assert (rule.multiplier, rule.min_amount, rule.referee_points, rule.monthly_cap) == (
        None,
        None,
        None,
        None,
    )
    assert (rule.category, rule.sku, rule.event) == ("", "", "")
    published = ProgramVersion.objects.get(number=2).definition.rule("new_rule")
    assert (published.points, published.per, published.category) == (7, Decimal("2.00"), None)


def test_an_event_bonus_keeps_only_the_event_fields(admin_client, imported_version):
    form = rule_form(kind="event_bonus", event="birthday", weekdays=["tue"], channels=["app"])

    response = post(admin_client, reverse(RULE_ADD), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = EarningRule.objects.get(code="new_rule")
    assert (rule.event, rule.points, rule.monthly_cap) == ("birthday", 7, 4)
    # The friend's points are an invitation's only; days and channels are a purchase's.
    assert (rule.referee_points, rule.weekdays, rule.channels, rule.per) == (None, [], [], None)


def test_an_invitation_keeps_the_friends_points(admin_client, imported_version):
    form = rule_form(kind="event_bonus", event="referral")

    response = post(admin_client, reverse(RULE_ADD), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert EarningRule.objects.get(code="new_rule").referee_points == 9


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "This field is required."), ("es", "Este campo es requerido.")],
)
def test_a_field_the_kind_needs_is_refused_at_that_field_when_empty(
    admin_client, imported_version, language, message
):
    form = rule_form(kind="spend_threshold_bonus", min_amount="")

    response = post(admin_client, reverse(RULE_ADD), form, language)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"min_amount": [message]}
    assert not EarningRule.objects.filter(code="new_rule").exists()


def test_a_bad_value_in_a_used_field_is_refused_at_that_field(admin_client, imported_version):
    form = rule_form(kind="promo_multiplier", multiplier="lots")

    response = post(admin_client, reverse(RULE_ADD), form)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["multiplier"]


@pytest.mark.parametrize(
    ("category", "sku", "message"),
    [
        ("wine", "VINO-1", "Give a category or a product, not both."),
        ("", "", "Give the category (or the product) that earns more."),
    ],
)
def test_more_points_on_a_category_needs_exactly_one_target(
    admin_client, imported_version, category, sku, message
):
    form = rule_form(kind="category_multiplier", category=category, sku=sku)

    response = post(admin_client, reverse(RULE_ADD), form)

    assert response.context["adminform"].form.errors == {"category": [message]}


@pytest.mark.parametrize("kind", RULE_KINDS)
def test_the_required_fields_are_the_validators(imported_version, kind):
    """REQUIRED_FIELDS (what the form insists on) says what the program validator says."""
    values = {"points": 5, "per": Decimal("1.00"), "multiplier": Decimal(2)}
    values |= {"min_amount": Decimal("10.00"), "event": "profile_completed"}
    complete = EarningRule(code="probe", kind=kind, position=99)
    for name in REQUIRED_FIELDS[kind]:
        setattr(complete, name, values[name])
    if kind == "category_multiplier":
        complete.category = "wine"
    assert program_change_check(rule=complete).errors == []
    for name in REQUIRED_FIELDS[kind]:
        missing = EarningRule(
            **{f.attname: getattr(complete, f.attname) for f in EarningRule._meta.concrete_fields}
        )
        setattr(missing, name, "" if name == "event" else None)
        errors = program_change_check(rule=missing).errors
        assert [error.path[-1] for error in errors] == [name], name


def test_decimals_in_the_forms_read_without_trailing_zeros(admin_client, imported_version):
    silver = Tier.objects.get(code="silver")
    base = EarningRule.objects.get(code="base")

    tier_page = get(admin_client, reverse("admin:loyalty_tier_change", args=[silver.pk]), "en")
    rule_page = get(admin_client, reverse("admin:loyalty_earningrule_change", args=[base.pk]), "en")

    assert 'name="threshold" value="500"' in tier_page.content.decode()
    assert 'name="multiplier" value="1.25"' in tier_page.content.decode()
    assert 'name="per" value="1"' in rule_page.content.decode()


# --- Money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "silver", "gold"),
    [
        ("en", "€500.00", "€1,500.00"),
        ("es", f"500,00{NBSP}€", f"1{NBSP}500,00{NBSP}€"),
        ("fr", f"500,00{NBSP}€", f"1{NBSP}500,00{NBSP}€"),
    ],
)
def test_tier_thresholds_read_as_money(admin_client, imported_version, language, silver, gold):
    page = get(admin_client, reverse("admin:loyalty_tier_changelist"), language).content.decode()
    rows = visible_text(page)

    assert silver in rows
    assert gold in rows
    assert "500.0000" not in page
    assert "1500.0000" not in page


def test_tier_thresholds_read_as_points_when_tiers_are_reached_by_points(
    admin_client, imported_version
):
    program = Program.objects.get()
    program.qualification_metric = "points"
    program_settings_save(actor=None, program=program)

    page = get(admin_client, reverse("admin:loyalty_tier_changelist"), "en").content.decode()

    assert "1,500 points" in visible_text(page)
    assert "€1,500.00" not in visible_text(page)


def test_thresholds_are_in_the_programs_currency(admin_client, imported_version):
    program = Program.objects.get()
    program.currency = "USD"
    program_settings_save(actor=None, program=program)

    rows = visible_text(
        get(admin_client, reverse("admin:loyalty_tier_changelist"), "es").content.decode()
    )

    assert f"500,00{NBSP}$" in rows
    assert "€" not in rows


@pytest.mark.parametrize(
    ("language", "base", "basket"),
    [
        (
            "en",
            "1 point for every €1.00 spent",
            "50 bonus points for a purchase of €100.00 or more",
        ),
        (
            "es",
            f"1 punto por cada 1,00{NBSP}€ gastado",
            f"50 puntos de bonificación por una compra de 100,00{NBSP}€ o más",
        ),
        (
            "fr",
            f"1 point pour chaque 1,00{NBSP}€ dépensé",
            f"50 points bonus pour un achat de 100,00{NBSP}€ ou plus",
        ),
    ],
)
def test_the_rules_list_says_what_each_rule_gives(
    admin_client, imported_version, language, base, basket
):
    page = get(admin_client, reverse("admin:loyalty_earningrule_changelist"), language)
    rows = visible_text(page.content.decode())

    assert base in rows
    assert basket in rows
    assert "100.0000" not in rows


@pytest.fixture
def purchase(imported_version):
    member = MemberFactory()
    found, _created = purchase_record(
        member=member,
        external_id="till-1",
        amount=Decimal("1234.50"),
        currency="EUR",
        purchased_at=timezone.now(),
        channel="store",
    )
    return found


@pytest.mark.parametrize(
    ("language", "amount"),
    [("en", "€1,234.50"), ("es", f"1{NBSP}234,50{NBSP}€"), ("fr", f"1{NBSP}234,50{NBSP}€")],
)
def test_purchase_amounts_read_as_money(admin_client, purchase, language, amount):
    listed = get(admin_client, reverse("admin:loyalty_purchase_changelist"), language)
    shown = get(
        admin_client, reverse("admin:loyalty_purchase_change", args=[purchase.pk]), language
    )

    assert amount in visible_text(listed.content.decode())
    row = re.search(
        r'field-amount_text">.*?<div class="readonly">(.*?)</div>', shown.content.decode(), re.S
    )
    assert html.unescape(row.group(1)) == amount
    assert 'class="form-row field-amount"' not in shown.content.decode()  # not the bare number


# --- History ---------------------------------------------------------------------------------

TIER_FORM = {
    "code": "silver",
    "name_en": "Silver",
    "name_es": "Plata",
    "name_fr": "Argent",
    "threshold": "600",
    "multiplier": "1.25",
    "discount_percent": "10",
    "benefits": "free_shipping",
    "position": "1",
    "is_active": "on",
}


@pytest.fixture
def silver_dearer(admin_client, imported_version):
    silver = Tier.objects.get(code="silver")
    response = post(admin_client, reverse("admin:loyalty_tier_change", args=[silver.pk]), TIER_FORM)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return silver


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Tier “Silver”: the threshold changed from €500.00 to €600.00."),
        ("es", f"Nivel «Plata»: el umbral pasa de 500,00{NBSP}€ a 600,00{NBSP}€."),
        ("fr", f"Niveau « Argent » : le seuil passe de 500,00{NBSP}€ à 600,00{NBSP}€."),
    ],
)
def test_a_tiers_history_reads_as_sentences(admin_client, silver_dearer, language, sentence):
    page = get(
        admin_client, reverse("admin:loyalty_tier_history", args=[silver_dearer.pk]), language
    )

    rows = page.context["config_history"]
    assert rows[0].lines == [sentence]
    assert sentence in visible_text(page.content.decode())
    assert "->" not in visible_text(page.content.decode())
    # Stored as before: the version keeps its lines for the program file's readers.
    assert ProgramVersion.objects.get(number=2).changes == [
        'tier changed: silver: threshold "500" -> "600"'
    ]


def test_a_history_shows_only_the_objects_changes(admin_client, silver_dearer):
    gold = Tier.objects.get(code="gold")
    gold_rows = get(admin_client, reverse("admin:loyalty_tier_history", args=[gold.pk]), "en")

    assert gold_rows.context["config_history"] == []


@pytest.mark.parametrize(
    ("language", "added", "removed"),
    [
        (
            "es",
            "Regla «cheese_double» añadida (puntos × 2 en cheese).",
            "Regla «cheese_double» eliminada.",
        ),
        (
            "fr",
            "Règle « cheese_double » ajoutée (points × 2 sur cheese).",
            "Règle « cheese_double » supprimée.",
        ),
    ],
)
def test_a_rules_history_reads_as_sentences(
    admin_client, imported_version, language, added, removed
):
    form = rule_form(code="cheese_double", kind="category_multiplier", multiplier="2")
    assert post(admin_client, reverse(RULE_ADD), form).status_code == 302
    rule = EarningRule.objects.get(code="cheese_double")
    deleted = post(
        admin_client, reverse("admin:loyalty_earningrule_delete", args=[rule.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302

    with translation.override(language):
        history = config_history(label="rule", code="cheese_double")

    assert [row.lines for row in history] == [[removed], [added]]


@pytest.mark.parametrize(
    ("language", "sentences"),
    [
        (
            "es",
            [
                "El redondeo de los puntos pasa de hacia abajo a hacia arriba.",
                f"La compra más alta pasa de sin límite a 2{NBSP}000,00{NBSP}€.",
            ],
        ),
        (
            "fr",
            [
                "L'arrondi des points passe de vers le bas à vers le haut.",
                f"L'achat le plus élevé passe de sans limite à 2{NBSP}000,00{NBSP}€.",
            ],
        ),
    ],
)
def test_the_programs_history_reads_as_sentences(imported_version, language, sentences):
    program = Program.objects.get()
    program.rounding = "ceil"
    program.max_purchase_amount = Decimal("2000.00")
    program_settings_save(actor=None, program=program)

    with translation.override(language):
        history = config_history(label=None)

    assert history[0].lines == sentences
    assert history[-1].number == 1  # the first version: the program's creation


@pytest.mark.parametrize(
    ("language", "created"),
    [
        ("en", "Program “Club Sicmay” created: 3 tiers, 9 rules and 5 rewards."),
        ("es", "Programa «Club Sicmay» creado: 3 niveles, 9 reglas y 5 recompensas."),
        ("fr", "Programme « Club Sicmay » créé : 3 niveaux, 9 règles et 5 récompenses."),
    ],
)
def test_the_versions_list_reads_as_sentences(admin_client, imported_version, language, created):
    silver = Tier.objects.get(code="silver")
    silver.threshold = Decimal("600")
    tier_save(actor=None, tier=silver)

    listed = get(admin_client, reverse("admin:loyalty_programversion_changelist"), language)
    first = get(
        admin_client,
        reverse("admin:loyalty_programversion_change", args=[imported_version.pk]),
        language,
    )

    rows = visible_text(listed.content.decode())
    assert created in rows
    assert "->" not in rows
    assert created in visible_text(first.content.decode())
    threshold = {"en": "€600.00", "es": f"600,00{NBSP}€", "fr": f"600,00{NBSP}€"}[language]
    assert threshold in rows


def test_the_versions_list_shortens_a_long_change(admin_client, imported_version):
    data = ProgramVersion.objects.get(number=1).snapshot
    for rule in data["rules"]:
        if "points" in rule:
            rule["points"] += 1  # 7 rules give points: 7 changes
    program_import(text=program_to_text(parse_program_data(data)))
    version = ProgramVersion.objects.get(number=2)

    listed = get(admin_client, reverse("admin:loyalty_programversion_changelist"), "en")
    shown = get(
        admin_client, reverse("admin:loyalty_programversion_change", args=[version.pk]), "en"
    )

    assert "… and 4 more changes" in visible_text(listed.content.decode())
    page = visible_text(shown.content.decode())
    assert "Rule “survey”: the points changed from 20 points to 21 points." in page
    assert "Rule “base”: the points changed from 1 point to 2 points." in page


def test_the_rules_list_filters_by_what_the_rule_does(admin_client, imported_version):
    url = reverse("admin:loyalty_earningrule_changelist") + "?kind=event_bonus"
    page = get(admin_client, url, "en")

    listed = {rule.code for rule in page.context["cl"].result_list}
    assert listed == {"welcome", "birthday", "referral", "survey"}
    assert "Bonus for an event (joining, birthday, inviting a friend…)" in visible_text(
        page.content.decode()
    )


def test_a_snapshot_the_validator_no_longer_reads_shows_its_stored_lines(imported_version):
    ProgramVersion.objects.create(
        number=2, snapshot={"program": "unreadable"}, changes=["rule removed: bottle"]
    )

    history = config_history(label="rule", code="bottle")

    assert [row.lines for row in history] == [["rule removed: bottle"]]
