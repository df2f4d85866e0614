"""The referral review page: managers see held and unrewarded referrals with their reason, and
release or reject a held one (recorded in the staff history); other roles get a 403."""

import pytest
from django.urls import reverse

from campaigns.models import Referral, ReferralReason, ReferralStatus
from members.models import StaffAction, StaffActionKind
from members.roles import CASHIER, MANAGER, MARKETER
from tests.console.conftest import staff_user_create
from tests.factories.ledger import MemberFactory

PAGE = reverse("staff:referrals")


@pytest.fixture
def held(program):
    referrer = MemberFactory(email="ana@example.es", first_name="Ana")
    friend = MemberFactory(
        email="luc@example.fr", first_name="Luc", referral_code=referrer.referral_code
    )
    return Referral.objects.create(
        referrer=referrer,
        referee=friend,
        status=ReferralStatus.HELD,
        reason=ReferralReason.ADDRESS_BURST,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"), [(MANAGER, True), (MARKETER, False), (CASHIER, False)]
)
def test_only_managers_review_referrals(client, held, role, allowed):
    client.force_login(staff_user_create(role))
    page = client.get(PAGE)
    assert page.status_code == (200 if allowed else 403)
    answer = client.post(reverse("staff:referral_decide", args=[held.pk, "reject"]))
    assert answer.status_code == (302 if allowed else 403)
    held.refresh_from_db()
    assert held.status == (ReferralStatus.REJECTED if allowed else ReferralStatus.HELD)


@pytest.mark.django_db
def test_the_page_says_why_and_a_release_is_recorded_once(client, held):
    manager = staff_user_create(MANAGER)
    client.force_login(manager)
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="es")
    html = page.content.decode()
    assert "Luc" in html
    assert "Ana" in html
    assert "dirección" in html  # the reason, in Spanish

    url = reverse("staff:referral_decide", args=[held.pk, "release"])
    client.post(url)
    client.post(url)  # a second submit: refused, nothing more recorded
    held.refresh_from_db()
    assert held.status == ReferralStatus.PENDING
    assert held.decided_by == manager
    actions = StaffAction.objects.filter(kind=StaffActionKind.REFERRAL_RELEASE)
    assert actions.count() == 1
    assert actions.get().member == held.referee


@pytest.mark.django_db
def test_an_unknown_decision_is_not_found(client, held):
    client.force_login(staff_user_create(MANAGER))
    assert (
        client.post(reverse("staff:referral_decide", args=[held.pk, "approve"])).status_code == 404
    )
    assert client.post(reverse("staff:referral_decide", args=[999999, "reject"])).status_code == 404
