"""Every member page speaks Spanish and French: no English sentence of the English page is left
in the translated one."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from loyalty.models import LedgerEntry
from members.time_zones import offered_time_zones, time_zone_label
from rewards.models import RewardKind
from rewards.services.redemption import reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.factories.rewards import RewardFactory
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db

# Text that is the same in every language: the brand, names, codes and numbers.
# The language switcher names each language in itself.
SAME_IN_EVERY_LANGUAGE = {"Tessera", "Alice", "alice@example.com", "SMS", "API"}
# The shop's program's name (the test program's), on every page.
SAME_IN_EVERY_LANGUAGE |= {"Test club"}
SAME_IN_EVERY_LANGUAGE |= {"English", "Español", "Français"}
# Time zones beyond the likely ones are offered by their IANA names.
SAME_IN_EVERY_LANGUAGE |= {time_zone_label(name) for name in offered_time_zones()}
# Likely zones whose country is spelled the same in Spanish or French.
SAME_IN_EVERY_LANGUAGE |= {
    time_zone_label(name)
    for name in ("Europe/Andorra", "Europe/Luxembourg", "America/Guadeloupe", "America/Martinique")
}
# Words French shares with English.
SAME_IN_FRENCH = {"Bronze", "points", "Page 1 of 1", "Profil", "Code", "Contact"}


class Text(HTMLParser):
    """The visible text of a page, one stripped piece per text node (scripts left out)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.pieces: set[str] = set()
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self._skip -= 1

    def handle_data(self, data):
        piece = " ".join(data.split())
        if not self._skip and any(c.isalpha() for c in piece) and len(piece) > 2:
            self.pieces.add(piece)


def member_pages(alice) -> list[str]:
    entry = LedgerEntry.objects.get(member=alice, kind="refund")
    earn = LedgerEntry.objects.get(
        member=alice, kind="earn", purchase__external_id="alice-big-basket"
    )
    # Rewards of each kind, one affordable, one not; and one of Alice's vouchers used, one not.
    for kind in RewardKind.values:
        RewardFactory(code=f"r-{kind}", kind=kind, percent=10, sku="SKU-1", points_cost=200)
    RewardFactory(code="dear", points_cost=50_000)
    used = reward_redeem(member=alice, reward=RewardFactory(code="used", points_cost=10))
    voucher_consume(code=used.voucher.code, order_ref="till-1")
    kept = RewardFactory(code="kept", points_cost=10)
    voucher = reward_redeem(member=alice, reward=kept).voucher
    return [
        reverse("members:rewards"),
        reverse("members:redeem", args=["r-cashback"]),
        reverse("members:vouchers"),
        reverse("members:voucher_cancel", args=[voucher.code]),
        reverse("members:home"),
        reverse("members:activity"),
        reverse("members:entry", args=[entry.pk]),
        reverse("members:entry", args=[earn.pk]),
        reverse("members:card"),
        reverse("members:invite"),
        reverse("members:profile"),
        reverse("members:erase"),
    ]


def page_text(client, url: str, language: str) -> set[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return Text(response.content.decode()).pieces


@pytest.mark.parametrize("language", ["es", "fr"])
def test_member_pages_leave_no_english_behind(client, alice, language):
    client = login(client, alice)
    for url in member_pages(alice):
        english = page_text(client, url, "en") - SAME_IN_EVERY_LANGUAGE
        if language == "fr":
            english = {piece for piece in english if _words(piece) not in SAME_IN_FRENCH}
        translated = page_text(client, url, language)
        left = sorted(piece for piece in english & translated if not piece.isupper())
        assert not left, f"{url} in {language} still says {left}"


@pytest.mark.parametrize("language", ["es", "fr"])
def test_sign_up_leaves_no_english_behind(client, program, language):
    url = reverse("account_signup")
    english = page_text(client, url, "en") - SAME_IN_EVERY_LANGUAGE
    if language == "fr":
        english = {piece for piece in english if _words(piece) not in SAME_IN_FRENCH}

    left = sorted(english & page_text(client, url, language))

    assert not left, f"sign-up in {language} still says {left}"


def _words(piece: str) -> str:
    """The piece without its figures ("+14 points" gives "points")."""
    return " ".join(word for word in piece.split() if any(c.isalpha() for c in word))


def test_spanish_home_reads_in_spanish(client, alice):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    page = login(client, alice).get(reverse("members:home")).content.decode()

    assert "Puntos disponibles" in page
    assert "Su nivel: Bronce" in page
    assert "Gaste 377,50\N{NO-BREAK SPACE}€ más en 12 meses para llegar a Plata." in page
