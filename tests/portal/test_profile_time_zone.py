"""The member sets their time zone on the profile: the shop's by default (shown with its name),
the likely zones of a Spanish or French shop first, then every zone; in each language."""

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from members.models import Member
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db

PROFILE = {"first_name": "Alice", "language": "en"}


def options(page: str) -> list[tuple[str, str, bool]]:
    """The time zone select's options: (value, text, selected)."""
    [select] = re.findall(r'<select name="time_zone".*?</select>', page, re.DOTALL)
    return [
        (value, text.strip(), " selected" in attrs)
        for value, attrs, text in re.findall(
            r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select
        )
    ]


def test_the_profile_offers_the_shop_s_zone_then_the_likely_ones_then_all(client, alice):
    page = login(client, alice).get(reverse("members:profile")).content.decode()

    offered = options(page)
    assert offered[0] == ("", "Same as the shop", True)
    assert offered[1] == ("Europe/Madrid", "Spain (mainland and Balearic Islands)", False)
    assert [value for value, _text, _selected in offered[1:4]] == [
        "Europe/Madrid",
        "Atlantic/Canary",
        "Europe/Paris",
    ]
    assert ("Asia/Tokyo", "Asia/Tokyo", False) in offered
    assert '<optgroup label="Most likely">' in page
    assert '<optgroup label="All time zones">' in page
    assert 'for="id_time_zone"' in page
    assert (
        "We send you our messages at a sensible hour where you are. The shop&#x27;s time zone "
        "is Europe/Madrid." in page
    )


def test_a_member_chooses_a_zone_and_can_go_back_to_the_shop_s(client, alice):
    client = login(client, alice)

    saved = client.post(reverse("members:profile"), {**PROFILE, "time_zone": "Atlantic/Canary"})

    assert saved.status_code == 302
    assert Member.objects.get(pk=alice.pk).time_zone == "Atlantic/Canary"
    page = client.get(reverse("members:profile")).content.decode()
    assert ("Atlantic/Canary", "Canary Islands", True) in options(page)

    client.post(reverse("members:profile"), {**PROFILE, "time_zone": ""})

    assert Member.objects.get(pk=alice.pk).time_zone == ""


def test_an_unknown_zone_is_refused_at_the_field_and_nothing_changes(client, alice):
    response = login(client, alice).post(
        reverse("members:profile"), {**PROFILE, "first_name": "Alicia", "time_zone": "Mars/Base"}
    )

    assert response.status_code == 200
    assert 'id="id_time_zone_error"' in response.content.decode()
    stored = Member.objects.select_related("user").get(pk=alice.pk)
    assert (stored.time_zone, stored.user.first_name) == ("", "Alice")


def test_a_zone_the_select_does_not_list_is_kept_when_the_profile_is_saved(client, alice):
    # An old alias, as a member imported from another system may have.
    Member.objects.filter(pk=alice.pk).update(time_zone="US/Pacific")
    client = login(client, alice)

    page = client.get(reverse("members:profile")).content.decode()
    assert ("US/Pacific", "US/Pacific", True) in options(page)

    client.post(reverse("members:profile"), {**PROFILE, "time_zone": "US/Pacific"})
    assert Member.objects.get(pk=alice.pk).time_zone == "US/Pacific"


@pytest.mark.parametrize(
    ("language", "label", "default", "likely"),
    [
        ("es", "Zona horaria", "La de la tienda", "Las más probables"),
        ("fr", "Fuseau horaire", "Celui de la boutique", "Les plus probables"),
    ],
)  # fmt: skip
def test_the_time_zone_select_speaks_the_member_s_language(
    client, alice, language, label, default, likely
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = login(client, alice).get(reverse("members:profile")).content.decode()

    assert f'<label for="id_time_zone">{label}</label>' in page
    assert options(page)[0] == ("", default, True)
    assert f'<optgroup label="{likely}">' in page


def test_the_data_download_has_the_zone_and_every_consent(client, alice):
    Member.objects.filter(pk=alice.pk).update(time_zone="Europe/Paris", program_notices=False)

    response = login(client, alice).get(reverse("members:data_export"))

    profile = json.loads(response.content)["profile"]
    assert profile["time_zone"] == "Europe/Paris"
    assert (profile["marketing_push_opt_in"], profile["program_notices"]) == (False, False)
