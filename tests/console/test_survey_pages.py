"""The survey answers page: the NPS as ANALYTICS.md defines it and the answers with their
comments, for marketers and managers; cashiers get a 403."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Survey
from campaigns.selectors.surveys import nps_of, survey_answers
from campaigns.services.surveys import survey_answer
from loyalty.services.purchases import purchase_record
from members.roles import CASHIER, MANAGER, MARKETER
from tests.console.conftest import staff_user_create
from tests.factories.ledger import MemberFactory, purchase_body

PAGE = reverse("staff:surveys")


@pytest.fixture
def answers(program):
    """Scores 10, 9, 8, 7, 6, 0: two promoters, two passives, two detractors."""
    for n, score in enumerate([10, 9, 8, 7, 6, 0]):
        member = MemberFactory(email=f"s{n}@example.com", first_name=f"S{n}")
        purchase, _created = purchase_record(
            member=member,
            purchased_at=timezone.now(),
            **purchase_body(external_id=f"nps-{n}", amount=Decimal("10.00")),
        )
        survey = Survey.objects.create(member=member, purchase=purchase)
        survey_answer(survey=survey, score=score, comment=f"comment {score}")


@pytest.mark.django_db
def test_nps_is_promoters_minus_detractors(answers):
    summary = nps_of(survey_answers())
    assert summary == {
        "answers": 6,
        "promoters": 2,
        "passives": 2,
        "detractors": 2,
        "nps": 0,
    }
    assert nps_of(Survey.objects.none())["nps"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [(MARKETER, 200), (MANAGER, 200), (CASHIER, 403)])
def test_marketers_and_managers_read_the_answers(client, answers, role, status):
    client.force_login(staff_user_create(role))
    page = client.get(PAGE)
    assert page.status_code == status
    if status == 200:
        html = page.content.decode()
        assert "comment 10" in html
        assert 'data-testid="nps">0<' in html


@pytest.mark.django_db
def test_detractors_only(client, answers):
    client.force_login(staff_user_create(MARKETER))
    html = client.get(PAGE, {"show": "detractors"}).content.decode()
    assert "comment 6" in html
    assert "comment 0" in html
    assert "comment 9" not in html
