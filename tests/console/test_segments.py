"""The marketer's segment pages: who may open them (per role), the editor saving through the
service with each refusal at its row, the live count htmx asks for, the members and the CSV."""

import pytest
from django.urls import reverse

from campaigns.models import Segment
from campaigns.services.segments import segment_create
from members.roles import CASHIER, MANAGER, MARKETER
from tests.console.conftest import staff_user_create
from tests.factories.ledger import MemberFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SPANISH = [{"field": "language", "op": "eq", "value": "es"}]


def rows(*rules, blank=True):
    data = {}
    all_rows = [*rules, {"field": "tier", "op": "eq", "value": ""}] if blank else list(rules)
    for n, rule in enumerate(all_rows):
        for key, value in rule.items():
            data[f"rules-{n}-{key}"] = value
    data.update(
        {
            "rules-TOTAL_FORMS": str(len(all_rows)),
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "50",
        }
    )
    return data


def editor_post(code="spanish", *rules, **extra):
    return {
        "code": code,
        "name_en": "Spanish speakers",
        "name_es": "Hispanohablantes",
        "name_fr": "",
        "match": "all",
        **rows(*rules),
        **extra,
    }


@pytest.fixture
def spanish(program):
    MemberFactory(first_name="Ana", language="es")
    MemberFactory(first_name="Eva", language="es")
    MemberFactory(first_name="Tom", language="en")
    return segment_create(code="spanish", names={"en": "Spanish"}, match="all", rules=SPANISH)


@pytest.fixture
def marketer(client, db):
    client.force_login(staff_user_create(MARKETER, email="marketer@example.com"))
    return client


PAGES = [
    ("get", lambda: reverse("staff:segments")),
    ("get", lambda: reverse("staff:segment_new")),
    ("get", lambda: reverse("staff:segment", kwargs={"code": "spanish"})),
    ("get", lambda: reverse("staff:segment_list_count", kwargs={"code": "spanish"})),
    ("get", lambda: reverse("staff:segment_members", kwargs={"code": "spanish"})),
    ("get", lambda: reverse("staff:segment_members_csv", kwargs={"code": "spanish"})),
    ("post", lambda: reverse("staff:segment_preview_count")),
]


@pytest.mark.parametrize("role", [MARKETER, MANAGER, "superuser", CASHIER, "member"])
@pytest.mark.parametrize(("method", "url"), PAGES)
def test_marketers_and_managers_may_open_the_segment_pages_cashiers_may_not(
    client, spanish, role, method, url
):
    client.force_login(staff_user_create(role, email=f"{role}@example.com"))
    data = rows(*SPANISH) if method == "post" else {}
    response = getattr(client, method)(url(), data)
    if role in (MARKETER, MANAGER, "superuser"):
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", [CASHIER, "member"])
def test_a_refused_role_saves_nothing(client, program, role):
    client.force_login(staff_user_create(role, email=f"{role}@example.com"))
    response = client.post(reverse("staff:segment_new"), editor_post("spanish", *SPANISH))
    assert response.status_code == 403
    assert not Segment.objects.exists()


def test_the_editor_saves_a_segment_and_shows_its_count(marketer, spanish):
    body = editor_post(
        "buyers",
        {"field": "language", "op": "in", "value": "es, fr"},
        {"field": "purchases", "op": "lte", "value": "3", "window_days": "30"},
    )
    response = marketer.post(reverse("staff:segment_new"), body)

    assert response.status_code == 302
    saved = Segment.objects.get(code="buyers")
    assert saved.rules == [
        {"field": "language", "op": "in", "value": ["es", "fr"]},
        {"field": "purchases", "op": "lte", "value": 3, "window_days": 30},
    ]
    page = marketer.get(response.url)
    assert "2 members" in page.content.decode()


def test_a_bad_rule_is_shown_at_its_row_and_nothing_is_saved(marketer, spanish):
    body = editor_post(
        "wrong",
        {"field": "language", "op": "eq", "value": "es"},
        {"field": "tier", "op": "eq", "value": "platinum"},
    )
    response = marketer.post(reverse("staff:segment_new"), body)

    assert response.status_code == 200
    row = response.context["rows"].forms[1]
    assert "No tier of the program" in str(row.errors["value"])
    assert not Segment.objects.filter(code="wrong").exists()


def test_add_a_rule_shows_one_more_row_and_saves_nothing(marketer, spanish):
    body = editor_post("more", *SPANISH, add_rule="1")
    response = marketer.post(reverse("staff:segment_new"), body)
    assert response.status_code == 200
    assert len(response.context["rows"].forms) == 3
    assert not Segment.objects.filter(code="more").exists()


def test_the_live_count_follows_the_rules_as_typed(marketer, spanish):
    url = reverse("staff:segment_preview_count")
    counted = marketer.post(url, {"match": "all", **rows(*SPANISH)}, **HTMX)
    assert "2 members" in counted.content.decode()

    refused = marketer.post(
        url, {"match": "all", **rows({"field": "tier", "op": "gte", "value": "x"})}, **HTMX
    )
    assert "tier takes only" in refused.content.decode()


def test_the_editor_edits_a_segment(marketer, spanish):
    url = reverse("staff:segment", kwargs={"code": "spanish"})
    response = marketer.post(
        url, editor_post("ignored", {"field": "language", "op": "eq", "value": "en"})
    )
    assert response.status_code == 302
    spanish.refresh_from_db()
    assert spanish.rules == [{"field": "language", "op": "eq", "value": "en"}]
    assert not Segment.objects.filter(code="ignored").exists()


def test_members_page_and_csv(marketer, spanish):
    page = marketer.get(reverse("staff:segment_members", kwargs={"code": "spanish"}))
    assert [member.user.first_name for member, _group in page.context["rows"]] == ["Ana", "Eva"]

    csv = marketer.get(reverse("staff:segment_members_csv", kwargs={"code": "spanish"}))
    assert csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode()
    assert text.splitlines()[0].startswith("member_number,email")
    assert len(text.splitlines()) == 3


@pytest.mark.parametrize(("language", "heading"), [("es", "Segmentos"), ("fr", "Segments")])
def test_the_pages_speak_the_staffs_language(marketer, spanish, language, heading):
    response = marketer.get(reverse("staff:segments"), HTTP_ACCEPT_LANGUAGE=language)
    assert f'<h1 class="page-title">{heading}</h1>' in response.content.decode()
