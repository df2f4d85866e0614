"""Staff may give a walk-in customer's time zone at enrolment; by default the shop's."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from members.models import Member

pytestmark = pytest.mark.django_db

WALK_IN = {"email": "walk.in@example.com", "first_name": "Walker", "language": "fr"}


def test_the_enrolment_offers_the_shop_s_zone_by_default(client, cashier, program):
    client.force_login(cashier)

    page = client.get(reverse("staff:enrol")).content.decode()

    [select] = re.findall(r'<select name="time_zone".*?</select>', page, re.DOTALL)
    first = re.search(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert first.groups() == ("", "Same as the shop")
    assert 'value="Europe/Paris"' in select


def test_a_walk_in_customer_is_enrolled_with_their_zone(client, cashier, program):
    client.force_login(cashier)

    response = client.post(reverse("staff:enrol"), {**WALK_IN, "time_zone": "Europe/Paris"})

    assert response.status_code == 302
    assert Member.objects.get(user__email="walk.in@example.com").time_zone == "Europe/Paris"


def test_without_a_zone_the_customer_follows_the_shop_s(client, cashier, program):
    client.force_login(cashier)

    client.post(reverse("staff:enrol"), WALK_IN)

    assert Member.objects.get(user__email="walk.in@example.com").time_zone == ""


def test_an_unknown_zone_is_refused_at_the_field_and_nobody_is_enrolled(client, cashier, program):
    client.force_login(cashier)

    response = client.post(reverse("staff:enrol"), {**WALK_IN, "time_zone": "Europe/Atlantis"})

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert not Member.objects.filter(user__email="walk.in@example.com").exists()


@pytest.mark.parametrize(
    ("language", "label", "help_text"),
    [
        ("es", "Zona horaria", "si no es en la zona horaria de la tienda (Europe/Madrid)."),
        ("fr", "Fuseau horaire", "pas dans le fuseau horaire de la boutique (Europe/Madrid)."),
    ],
)  # fmt: skip
def test_the_time_zone_field_speaks_the_staff_s_language(
    client, cashier, program, language, label, help_text
):
    client.force_login(cashier)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(reverse("staff:enrol")).content.decode()

    assert f'<label for="id_time_zone">{label}</label>' in page
    assert help_text in page
