"""After signing in: a marketer lands on the campaigns, other staff on the console,
members on their own home."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.urls import reverse

from members.roles import CASHIER, MANAGER, MARKETER
from tests.factories.ledger import MemberFactory, program_version_create
from tests.factories.members import StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "where"),
    [(MARKETER, "staff:campaigns"), (CASHIER, "staff:search"), (MANAGER, "staff:search")],
)
def test_staff_land_at_their_work(client, role, where):
    staff = StaffUserFactory()
    staff.groups.add(Group.objects.get(name=role))
    client.force_login(staff)
    response = client.get(reverse("landing"))
    assert response["Location"] == reverse(where)
    assert client.get(response["Location"]).status_code == 200


def test_a_member_lands_on_their_home(client):
    program_version_create()
    member = MemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("landing"))["Location"] == reverse("members:home")


def test_signing_in_lands_there(client):
    staff = StaffUserFactory(email="marketer@shop.example")
    staff.set_password("a long enough password")
    staff.save()
    staff.groups.add(Group.objects.get(name=MARKETER))
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    response = client.post(
        reverse("account_login"),
        {"login": "marketer@shop.example", "password": "a long enough password"},
    )
    assert response["Location"] == reverse("landing")
