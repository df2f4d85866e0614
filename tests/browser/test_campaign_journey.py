"""The marketer runs a campaign on a phone, in Spanish: signing in lands on the campaigns; a draft
with Spanish and English content, a merge field inserted with the keyboard, a bad one refused at
its field; preview as a member and a test send; schedule, pause, resume, sending, cancel; the
figures and the delivery log with a filter. Nothing scrolls sideways at 360 px. A cashier is
refused the same pages."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from campaigns.models import Campaign, CampaignState, Delivery, DeliveryStatus, SkipReason
from campaigns.services.campaigns import campaigns_start_due
from campaigns.services.segments import segment_create
from members.roles import CASHIER, MARKETER, roles_install
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_smoke import assert_fits_the_screen
from tests.conftest import PASSWORD
from tests.factories.ledger import MemberFactory, program_version_create
from tests.factories.members import StaffUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEST_ADDRESS = "yo@tienda.example"


@pytest.fixture
def audience(transactional_db):
    roles_install()
    program_version_create(pending_days=0)
    ana = MemberFactory(email="ana@example.com", first_name="Ana", language="es")
    for n in range(3):
        MemberFactory(email=f"es{n}@example.com", first_name=f"Eva{n}", language="es")
    segment_create(
        code="hispanos",
        names={"en": "Spanish speakers", "es": "Hispanohablantes"},
        match="all",
        rules=[{"field": "language", "op": "eq", "value": "es"}],
    )
    return ana


@pytest.fixture
def phone_es(browser: Browser):
    """A phone whose browser asks for Spanish, as the marketer's does."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="es-ES")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page: Page, live_server, role: str) -> None:
    user = StaffUserFactory(email=f"{role}@example.com", password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.goto(live_server.url + reverse("account_login"))
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_marketer_writes_previews_schedules_pauses_and_reads_a_campaign_on_a_phone(
    phone_es: Page, live_server, audience, smtp_outbox
):
    page = phone_es
    shot = _shooter(page, "campaign-journey")
    sign_in(page, live_server, MARKETER)
    expect(page).to_have_url(live_server.url + reverse("staff:campaigns"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Campañas")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_fits_the_screen(page)

    # A draft: the segment by its Spanish name, Spanish content with a merge field inserted by
    # keyboard (type, Tab to the picker, choose by typing, Tab, Enter), and English content.
    page.get_by_role("link", name="Nueva campaña").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nueva campaña")
    page.get_by_label("Código").fill("invierno")
    page.get_by_label("Nombre (para el personal)").fill("Invierno")
    page.get_by_label("Segmento").select_option(label="Hispanohablantes")
    spanish = page.get_by_role("group", name="Español")
    spanish.get_by_label("Asunto (Español)").fill("Hola")
    body = spanish.get_by_label("Mensaje (Español)")
    body.fill("Tiene  puntos.")
    body.evaluate("area => area.setSelectionRange(6, 6)")  # the cursor between the two spaces
    page.keyboard.press("Tab")
    expect(spanish.get_by_label("Campo de combinación que insertar")).to_be_focused()
    page.keyboard.type("Puntos disp")
    page.keyboard.press("Tab")
    expect(spanish.get_by_role("button", name="Insertar")).to_be_focused()
    page.keyboard.press("Enter")
    expect(body).to_have_value("Tiene {{ points }} puntos.")
    expect(body).to_be_focused()  # back in the text, to go on typing
    english = page.get_by_role("group", name="Inglés")
    english.get_by_label("Asunto (Inglés)").fill("Hello")
    english.get_by_label("Mensaje (Inglés)").fill("Hello {{ nombre }}")
    assert_fits_the_screen(page)
    shot("1-editor")
    page.get_by_role("button", name="Guardar el borrador").click()

    # Refused at its field, in Spanish, and nothing saved; the summary on top links to it.
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("Cambie lo que está marcado")
    expect(summary.get_by_role("link", name="Mensaje (Inglés)")).to_have_attribute(
        "href", "#id_body_en"
    )
    invalid = page.locator(".field--invalid")
    expect(invalid).to_have_count(1)
    expect(invalid).to_contain_text("Mensaje (Inglés)")
    expect(invalid).to_contain_text("{{ nombre }} no es un campo de combinación")
    expect(page.get_by_label("Mensaje (Inglés)")).to_have_attribute("aria-invalid", "true")
    assert not Campaign.objects.exists()
    assert_fits_the_screen(page)
    shot("2-refused")
    page.get_by_label("Mensaje (Inglés)").fill("You have {{ points }} points.")
    page.get_by_role("button", name="Guardar el borrador").click()
    expect(page.get_by_text("Borrador guardado.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invierno")
    expect(page.get_by_test_id("campaign-state")).to_contain_text("borrador")
    expect(page.get_by_test_id("campaign-state")).to_contain_text("Hispanohablantes")
    assert Campaign.objects.get().content["es"]["body"] == "Tiene {{ points }} puntos."

    # Preview as Ana, in her language with her values; then a test to a typed address.
    page.get_by_label("Como el socio (número)").fill(audience.member_number)
    page.get_by_role("button", name="Vista previa").click()
    expect(page.get_by_test_id("preview")).to_contain_text("Tiene")
    expect(page.get_by_test_id("preview")).to_contain_text("puntos.")
    expect(page.get_by_test_id("preview")).not_to_contain_text("{{")
    page.get_by_label("Enviar la prueba a").fill(TEST_ADDRESS)
    page.get_by_role("button", name="Enviar una prueba").click()
    expect(page.get_by_test_id("test-sent")).to_have_text(f"Prueba enviada a {TEST_ADDRESS}.")
    assert smtp_outbox.wait_for_mail(to=TEST_ADDRESS).subject == "[Prueba] Hola"
    assert_fits_the_screen(page)
    shot("3-preview")

    # Schedule now, pause, resume: each state shown, in Spanish.
    state = page.get_by_test_id("campaign-state")
    page.get_by_role("button", name="Programar").click()
    expect(page.get_by_text("Programada.")).to_be_visible()
    expect(state).to_contain_text("programada")
    expect(page.get_by_test_id("campaign-when")).to_have_text("Empieza a enviarse ahora.")
    page.get_by_role("button", name="Pausar").click()
    expect(state).to_contain_text("en pausa")
    page.get_by_role("button", name="Reanudar").click()
    expect(state).to_contain_text("programada")

    # The workers start it (here, the service they call); some messages go, one is skipped.
    assert campaigns_start_due() == 1
    rows = list(Delivery.objects.filter(status=DeliveryStatus.QUEUED).order_by("pk"))
    assert len(rows) == 4
    sent_at = Campaign.objects.get().started_at
    Delivery.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(
        status=DeliveryStatus.SENT, sent_at=sent_at, handed_at=sent_at, attempts=1
    )
    Delivery.objects.filter(pk=rows[0].pk).update(opened_at=sent_at)
    Delivery.objects.filter(pk=rows[2].pk).update(
        status=DeliveryStatus.SKIPPED, reason=SkipReason.NO_CONSENT
    )
    page.reload()
    expect(state).to_contain_text("enviándose")
    figures = page.get_by_test_id("figures")
    expect(figures.locator("div", has_text="Enviados")).to_contain_text("2")
    expect(figures.locator("div", has_text="Abiertos")).to_contain_text("1 50 %")
    expect(figures.locator("div", has_text="Omitidos")).to_contain_text("1")
    expect(figures.locator("div", has_text="En espera")).to_contain_text("1")

    # Cancelled: what was still waiting is skipped, and nothing more can be done.
    page.get_by_role("button", name="Cancelar la campaña").click()
    # For good, so it asks first: the browser keeps the form until the box is ticked.
    assert page.eval_on_selector("#cancel-confirm", "box => box.validity.valueMissing")
    page.get_by_label("Sí, anularla: los mensajes aún no enviados no se enviarán nunca").check()
    page.get_by_role("button", name="Cancelar la campaña").click()
    expect(page.get_by_text("Anulada: los mensajes aún no enviados no")).to_be_visible()
    expect(state).to_contain_text("anulad")
    expect(page.get_by_text("Nada más que hacer: esta campaña ha terminado.")).to_be_visible()
    expect(page.get_by_role("button", name="Pausar")).to_have_count(0)
    assert Campaign.objects.get().state == CampaignState.CANCELLED
    assert_fits_the_screen(page)
    shot("4-figures")

    # The log, filtered to the skipped, with their reasons.
    page.get_by_label("Estado", exact=True).select_option(label="omitido")
    page.get_by_role("button", name="Mostrar").click()
    expect(page).to_have_url(re.compile(r"\?status=skipped"))
    log = page.get_by_test_id("deliveries")
    expect(log.locator("tbody tr")).to_have_count(2)  # the one skipped, the one cancelled
    expect(log).to_contain_text("sin consentimiento")
    expect(log).not_to_contain_text("enviado")
    assert_fits_the_screen(page)
    shot("5-log")

    # Back on the list, the campaign's card shows its figures.
    page.get_by_role("link", name="Campañas").first.click()
    card = page.get_by_test_id("campaigns").locator("tr", has_text="Invierno")
    expect(card).to_contain_text("Hispanohablantes")
    expect(card.locator("td[data-label='Enviados']")).to_have_text("2")
    assert_fits_the_screen(page)
    shot("6-list")


def test_a_cashier_is_refused_the_campaign_pages(phone_es: Page, live_server, audience):
    sign_in(phone_es, live_server, CASHIER)
    expect(phone_es.get_by_role("heading", level=1)).to_have_text("Buscar un socio")
    expect(phone_es.get_by_role("link", name="Campañas")).to_have_count(0)
    for name in ("staff:campaigns", "staff:campaign_new"):
        response = phone_es.goto(live_server.url + reverse(name))
        assert response.status == 403
    assert_fits_the_screen(phone_es)


def _shooter(page: Page, prefix: str):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(step: str) -> None:
        page.screenshot(path=ARTIFACTS / f"{prefix}-{step}.png", full_page=True)

    return take
