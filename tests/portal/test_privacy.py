"""Consents recorded with their time; erasure pseudonymises the person and keeps the figures."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.db.models import Sum
from django.urls import reverse

from loyalty.models import LedgerEntry
from members.models import ConsentChange
from members.services import member_consents_set
from tests.conftest import PASSWORD
from tests.portal.conftest import NOW, login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def history(member):
    return list(
        ConsentChange.objects.filter(member=member)
        .order_by("at", "pk")
        .values_list("kind", "granted", "source")
    )


def test_each_consent_change_is_recorded_with_its_time_and_only_changes(client, alice):
    client = login(client, alice)
    before = history(alice)

    # As the browser sends the form: only the ticked boxes (program notices are on by default).
    client.post(reverse("members:consents"), {"marketing_sms": "on", "program_notices": "on"})
    client.post(reverse("members:consents"), {"marketing_sms": "on", "program_notices": "on"})

    alice.refresh_from_db()
    assert not alice.marketing_email_opt_in
    assert alice.marketing_sms_opt_in
    added = history(alice)[len(before) :]
    assert sorted(added) == [
        ("marketing_email", False, "profile"),
        ("marketing_sms", True, "profile"),
    ]
    assert all(
        change.at == NOW for change in ConsentChange.objects.filter(member=alice, source="profile")
    )


def test_consents_with_htmx_answer_with_the_section_and_its_history(client, alice):
    response = login(client, alice).post(reverse("members:consents"), {}, **HTMX)

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="consents"')
    assert "Your choices are saved." in page
    assert "email: declined" in page


def test_erase_asks_for_confirmation_first(client, alice):
    client = login(client, alice)

    page = client.get(reverse("members:erase")).content.decode()
    refused = client.post(reverse("members:erase"), {})

    assert 'name="confirm"' in page
    assert refused.status_code == 200
    alice.user.refresh_from_db()
    assert alice.user.is_active


def test_erase_pseudonymises_keeps_the_ledger_and_logs_out(client, alice):
    client = login(client, alice)
    total_before = LedgerEntry.objects.filter(member=alice).aggregate(s=Sum("points"))["s"]
    entries_before = LedgerEntry.objects.filter(member=alice).count()

    response = client.post(reverse("members:erase"), {"confirm": "on"})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    alice.refresh_from_db()
    user = alice.user
    user.refresh_from_db()
    assert user.email.startswith("erased-")
    assert user.email.endswith("@invalid")
    assert (user.first_name, user.last_name, alice.phone) == ("", "", "")
    assert (alice.birth_day, alice.birth_month, alice.birth_year) == (None, None, None)
    assert not user.is_active
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not alice.marketing_email_opt_in
    assert ("marketing_email", False, "erasure") in history(alice)
    assert LedgerEntry.objects.filter(member=alice).count() == entries_before
    assert LedgerEntry.objects.filter(member=alice).aggregate(s=Sum("points"))["s"] == total_before
    # The person cannot sign in any more, with the old address or the placeholder.
    login_page = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert login_page.status_code == 200
    assert client.get(reverse("members:home")).status_code == 302


def test_push_and_program_notices_are_set_on_the_profile_and_kept_in_the_history(client, alice):
    client = login(client, alice)
    before = history(alice)

    response = client.post(reverse("members:consents"), {"marketing_push": "on"}, **HTMX)

    alice.refresh_from_db()
    assert (alice.marketing_push_opt_in, alice.program_notices) == (True, False)
    assert sorted(history(alice)[len(before) :]) == [
        ("marketing_email", False, "profile"),
        ("marketing_push", True, "profile"),
        ("program_notices", False, "profile"),
    ]
    page = response.content.decode()
    assert "phone notifications: agreed" in page
    assert "program notices: off" in page
    assert is_ticked(page, "marketing_push")
    assert not is_ticked(page, "program_notices")


def is_ticked(page: str, name: str) -> bool:
    [box] = re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', page)
    return " checked" in box


def test_the_profile_shows_each_consent_as_it_is(client, alice):
    member_consents_set(member=alice, marketing_push=True, program_notices=False)

    page = login(client, alice).get(reverse("members:profile")).content.decode()

    ticked = {
        name: is_ticked(page, name)
        for name in ("marketing_email", "marketing_sms", "marketing_push", "program_notices")
    }
    assert ticked == {
        "marketing_email": True,
        "marketing_sms": False,
        "marketing_push": True,
        "program_notices": False,
    }
    # The notices' box is described by the paragraph saying what they are.
    assert 'name="program_notices" aria-describedby="program-notices-help"' in page
    assert 'id="program-notices-help"' in page
