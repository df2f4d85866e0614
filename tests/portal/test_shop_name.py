"""The shop's name, not ours: the program's name on every page and in every mail's sender and
subject (the verification mail included), "Tessera" only as "powered by"; the footer links to
the shop's privacy policy, terms and contact, written in the admin per language (defaults
shipped); the accent colour through a stylesheet the Content-Security-Policy allows."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from campaigns.services.deliveries import deliveries_queue, delivery_new
from campaigns.services.sending import deliveries_send
from loyalty.models import ShopProfile
from loyalty.services.program import program_import
from tests.conftest import PASSWORD
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text


@pytest.fixture
def club(db):
    """The example program: 'Club Sicmay'."""
    return program_import(text=example_program_text(), note="example").version


@pytest.mark.django_db
def test_every_page_bears_the_programs_name_and_tessera_only_as_powered_by(client, club):
    page = client.get(reverse("home")).content.decode()
    assert "<title>" in page
    assert "· Club Sicmay</title>" in page
    assert '<span class="brand__name">Club Sicmay</span>' in page
    assert page.count("Tessera") == 1
    assert "Powered by Tessera" in page
    for kind in ("privacy", "terms", "contact"):
        assert f'href="{reverse("legal", args=[kind])}"' in page


@pytest.mark.django_db
def test_the_legal_pages_show_the_shops_text_in_the_visitors_language(client, club):
    default = client.get(reverse("legal", args=["privacy"]), HTTP_ACCEPT_LANGUAGE="es")
    assert default.status_code == 200
    assert "Club Sicmay" in default.content.decode()

    ShopProfile.objects.create(
        privacy_es="Sus datos son suyos.\n\nEscríbanos a <privacidad@sicmay.es>.",
        contact_fr="Écrivez-nous à bonjour@sicmay.fr",
    )
    spanish = client.get(reverse("legal", args=["privacy"]), HTTP_ACCEPT_LANGUAGE="es")
    html = spanish.content.decode()
    assert "<p>Sus datos son suyos.</p>" in html
    assert "&lt;privacidad@sicmay.es&gt;" in html  # the shop's text is text, never markup
    french = client.get(reverse("legal", args=["contact"]), HTTP_ACCEPT_LANGUAGE="fr")
    assert "bonjour@sicmay.fr" in french.content.decode()
    assert client.get("/nonsense-kind/").status_code == 404


@pytest.mark.django_db
def test_the_accent_colour_comes_as_a_stylesheet(client, club):
    assert "shop.css" not in client.get(reverse("home")).content.decode()
    ShopProfile.objects.create(accent_color="#1f5fa8")
    page = client.get(reverse("home")).content.decode()
    assert reverse("shop_css") in page
    css = client.get(reverse("shop_css"))
    assert css["Content-Type"].startswith("text/css")
    assert "--color-primary: #1f5fa8" in css.content.decode()


@pytest.mark.django_db
def test_the_profile_refuses_a_colour_that_is_not_one(club):
    profile = ShopProfile(accent_color="red; background:url(x)")
    with pytest.raises(Exception, match="hexadecimal"):
        profile.full_clean()


@pytest.mark.django_db
def test_a_notice_comes_from_the_shop(club, smtp_outbox):
    member = MemberFactory(email="ana@example.es", first_name="Ana", language="es")
    deliveries_queue(
        [
            delivery_new(
                member_id=member.pk, automation="welcome", occasion=str(member.pk), channel="email"
            )
        ]
    )
    deliveries_send()
    (mail,) = smtp_outbox.mails
    assert mail.message["From"].startswith("Club Sicmay <")


@pytest.mark.django_db
def test_the_verification_mail_is_in_the_shops_name(client, club, smtp_outbox, settings):
    settings.SITE_URL = "https://club.sicmay.es"
    cache.clear()
    client.post(
        reverse("account_signup"),
        {
            "email": "joan@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "first_name": "Joan",
        },
    )
    mail = smtp_outbox.wait_for_mail(to="joan@example.com")
    assert mail.subject.startswith("[Club Sicmay] ")
    assert mail.message["From"].startswith("Club Sicmay <")
    assert "testserver" not in mail.text.split("http")[0]  # the site is named, not its address
    assert "Club Sicmay" in mail.text
