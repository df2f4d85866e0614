"""One-click unsubscribe: no login, one kind only, kept in the consent history, RFC 8058's POST."""

import pytest
from django.test import Client

from campaigns.links import OPEN_SALT, _sign, unsubscribe_url
from members.models import ConsentChange, ConsentSource, Member
from tests.factories.ledger import MemberFactory, program_version_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    program_version_create()
    return MemberFactory(
        first_name="Ana", language="es", marketing_email_opt_in=True, marketing_sms_opt_in=True
    )


def _path(member, kind):
    return unsubscribe_url(member_pk=member.pk, kind=kind).split("://", 1)[1].split("/", 1)[1]


def test_get_asks_in_the_members_language_and_changes_nothing(ana):
    response = Client().get("/" + _path(ana, "email"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Darse de baja</h1>" in page
    assert page.count('type="submit"') >= 1
    assert response["Content-Language"] == "es"
    ana.refresh_from_db()
    assert ana.marketing_email_opt_in is True
    assert not ConsentChange.objects.filter(member=ana, source=ConsentSource.UNSUBSCRIBE).exists()


def test_a_one_click_post_unsubscribes_without_login_or_csrf_and_only_that_kind(ana):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/" + _path(ana, "email"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Se ha dado de baja" in response.content.decode()
    ana.refresh_from_db()
    assert (ana.marketing_email_opt_in, ana.marketing_sms_opt_in) == (False, True)
    change = ConsentChange.objects.get(member=ana, source=ConsentSource.UNSUBSCRIBE)
    assert (change.kind, change.granted) == ("marketing_email", False)
    # Again: nothing more changes, and the answer is the same.
    assert client.post("/" + _path(ana, "email")).status_code == 200
    assert ConsentChange.objects.filter(member=ana, source=ConsentSource.UNSUBSCRIBE).count() == 1


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("sms", "marketing_sms_opt_in"),
        ("push", "marketing_push_opt_in"),
        ("program_notices", "program_notices"),
    ],
)
def test_each_kind_withdraws_its_own_consent(ana, kind, field):
    Member.objects.filter(pk=ana.pk).update(**{field: True})
    assert Client().post("/" + _path(ana, kind)).status_code == 200
    ana.refresh_from_db()
    assert getattr(ana, field) is False
    assert ana.marketing_email_opt_in is True


def test_a_token_not_ours_or_for_another_purpose_is_not_found(ana):
    good = _path(ana, "email")
    token = good.rstrip("/").rsplit("/", 1)[1]
    forged = good.replace(token, token[:-2] + ("xx" if token[-2:] != "xx" else "yy"))
    assert Client().post("/" + forged).status_code == 404
    other = good.replace(token, _sign(ana.pk, OPEN_SALT))
    assert Client().post("/" + other).status_code == 404
    ana.refresh_from_db()
    assert ana.marketing_email_opt_in is True
