"""Every marketer action from the console pages is one StaffAction about its segment or campaign,
with its actor; a double submit records once; cashiers are refused every marketer page and
action with nothing written; the campaign's and the segment's pages show their history, in the
staff's language."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Delivery, DeliveryStatus, Segment
from campaigns.services.campaigns import campaign_create, campaigns_start_due
from campaigns.services.segments import segment_create
from members.models import StaffAction, StaffActionKind
from members.roles import CASHIER, MANAGER, MARKETER
from tests.console.conftest import staff_user_create
from tests.console.test_campaign_pages import DRAFT
from tests.console.test_segments import SPANISH, editor_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def everyone(program, alice):
    return segment_create(code="everyone", names={"en": "Everyone"}, match="all", rules=[])


@pytest.fixture
def winter(everyone):
    return campaign_create(
        code="winter", name="Winter", segment="everyone",
        content={"es": {"subject": "Hola {{ first_name }}", "body": "Tiene {{ points }} puntos."}},
    )  # fmt: skip


def action(name, code="winter"):
    return reverse("staff:campaign_action", args=[code, name])


def recorded():
    return list(StaffAction.objects.order_by("pk").values_list("actor__email", "kind", "subject"))


def only_action():
    (row,) = StaffAction.objects.all()
    assert row.member is None
    return row


# --- Segments ----------------------------------------------------------------------------------


def test_creating_a_segment_records_it_once_even_when_submitted_twice(client, marketer, program):
    client.force_login(marketer)
    for _ in range(2):
        client.post(reverse("staff:segment_new"), editor_post("spanish", *SPANISH))

    assert Segment.objects.count() == 1
    assert recorded() == [("marketer@example.com", "segment_create", "segment:spanish")]
    assert only_action().details == {"match": "all", "rules": 1}


def test_changing_a_segment_records_what_changed_and_a_repeat_records_nothing(
    client, marketer, everyone
):
    client.force_login(marketer)
    url = reverse("staff:segment", kwargs={"code": "everyone"})
    for _ in range(2):
        response = client.post(url, editor_post("everyone", *SPANISH))
        assert response.status_code == 302

    assert recorded() == [("marketer@example.com", "segment_update", "segment:everyone")]
    assert only_action().details == {"changed": ["name_en", "name_es", "rules"], "rules": 1}


def test_deleting_a_segment_records_it_once(client, marketer, program):
    segment_create(code="spare", names={"en": "Spare"}, match="all", rules=SPANISH)
    client.force_login(marketer)
    url = reverse("staff:segment_delete", kwargs={"code": "spare"})

    assert client.post(url, {"confirm": "1"}).status_code == 302
    assert client.post(url, {"confirm": "1"}).status_code == 404

    assert not Segment.objects.exists()
    assert recorded() == [("marketer@example.com", "segment_delete", "segment:spare")]


def test_a_segment_is_not_deleted_unconfirmed_nor_while_a_campaign_uses_it(
    client, marketer, winter
):
    client.force_login(marketer)
    url = reverse("staff:segment_delete", kwargs={"code": "everyone"})

    client.post(url)
    response = client.post(url, {"confirm": "1"}, follow=True)

    assert "used by a campaign" in response.content.decode()
    assert Segment.objects.filter(code="everyone").exists()
    assert not StaffAction.objects.exists()


def test_each_download_of_a_segments_members_is_recorded(client, marketer, everyone):
    client.force_login(marketer)
    url = reverse("staff:segment_members_csv", kwargs={"code": "everyone"})
    for _ in range(2):
        response = client.get(url)
        b"".join(response.streaming_content)

    assert recorded() == [("marketer@example.com", "segment_export", "segment:everyone")] * 2


# --- Campaigns ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_creating_a_draft_records_it_once_even_when_submitted_twice(
    client, request, role, everyone
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for _ in range(2):
        client.post(reverse("staff:campaign_new"), DRAFT)

    assert Campaign.objects.count() == 1
    assert recorded() == [(user.email, "campaign_create", "campaign:winter")]
    assert only_action().details == {"channel": "email", "segment": "everyone"}


def test_editing_a_draft_records_what_changed_and_a_repeat_records_nothing(
    client, marketer, winter
):
    client.force_login(marketer)
    for _ in range(2):
        response = client.post(
            reverse("staff:campaign_edit", args=["winter"]), DRAFT | {"name": "Winter sale"}
        )
        assert response.status_code == 302

    assert recorded() == [("marketer@example.com", "campaign_update", "campaign:winter")]
    assert only_action().details == {"changed": ["name"]}


def test_schedule_pause_resume_cancel_each_record_once_with_the_state(client, marketer, winter):
    client.force_login(marketer)
    for name, data in (
        ("schedule", {"send_at": "", "local_time": ""}),
        ("pause", {}),
        ("resume", {}),
        ("cancel", {"confirm": "1"}),
    ):
        # The second submit is refused by the campaign's state and records nothing.
        client.post(action(name), data)
        client.post(action(name), data)

    actions = list(StaffAction.objects.order_by("pk"))
    assert [(a.kind, a.subject, a.actor.email) for a in actions] == [
        (kind, "campaign:winter", "marketer@example.com")
        for kind in ("campaign_schedule", "campaign_pause", "campaign_resume", "campaign_cancel")
    ]
    assert [(a.details.get("from"), a.details["state"]) for a in actions] == [
        (None, "scheduled"),
        ("scheduled", "paused"),
        ("paused", "scheduled"),
        ("scheduled", "cancelled"),
    ]
    assert all(a.member is None for a in actions)


def test_a_test_send_is_recorded_with_its_address_and_a_preview_is_not(
    client, marketer, winter, alice, smtp_outbox
):
    client.force_login(marketer)
    body = {"member_number": alice.member_number, "to": "me@shop.example"}

    client.post(action("preview"), body)
    client.post(action("test"), body)
    client.post(action("test"), body | {"to": "not an address"})

    assert recorded() == [("marketer@example.com", "campaign_test_send", "campaign:winter")]
    assert only_action().details == {"to": "me@shop.example", "member": alice.member_number}


def test_send_again_records_how_many_once_and_a_second_click_nothing(client, marketer, winter):
    client.force_login(marketer)
    client.post(action("schedule"), {})
    campaigns_start_due()
    Delivery.objects.update(status=DeliveryStatus.UNKNOWN)
    StaffAction.objects.all().delete()

    client.post(action("send-again"))
    client.post(action("send-again"))

    assert recorded() == [("marketer@example.com", "campaign_send_again", "campaign:winter")]
    assert only_action().details == {"count": 1}
    assert Delivery.objects.get().status == DeliveryStatus.QUEUED


def test_a_refused_action_records_nothing(client, marketer, winter):
    client.force_login(marketer)
    client.post(action("pause"))  # a draft cannot be paused
    client.post(action("resume"))
    assert not StaffAction.objects.exists()
    assert Campaign.objects.get().state == "draft"


# --- Who may ---------------------------------------------------------------------------------

CAMPAIGN_REQUESTS = [
    ("get", lambda: reverse("staff:campaigns"), {}),
    ("get", lambda: reverse("staff:campaign_new"), {}),
    ("post", lambda: reverse("staff:campaign_new"), DRAFT | {"code": "summer"}),
    ("get", lambda: reverse("staff:campaign", args=["winter"]), {}),
    ("get", lambda: reverse("staff:campaign_edit", args=["winter"]), {}),
    ("post", lambda: reverse("staff:campaign_edit", args=["winter"]), DRAFT | {"name": "W"}),
    ("post", lambda: action("schedule"), {}),
    ("post", lambda: action("pause"), {}),
    ("post", lambda: action("resume"), {}),
    ("post", lambda: action("cancel"), {"confirm": "1"}),
    ("post", lambda: action("send-again"), {}),
    ("post", lambda: action("preview"), {"to": "me@shop.example"}),
    ("post", lambda: action("test"), {"to": "me@shop.example"}),
]
SEGMENT_WRITES = [
    ("post", lambda: reverse("staff:segment_new"), editor_post("other", *SPANISH)),
    ("post", lambda: reverse("staff:segment", args=["everyone"]), editor_post("everyone")),
    ("post", lambda: reverse("staff:segment_delete", args=["everyone"]), {"confirm": "1"}),
]


def _snapshot():
    return (
        list(Campaign.objects.values_list("code", "name", "state")),
        list(Segment.objects.values_list("code", "name_es", "rules")),
        list(Delivery.objects.values_list("pk", "status")),
        StaffAction.objects.count(),
    )


@pytest.mark.parametrize("role", [CASHIER, "member"])
@pytest.mark.parametrize(("method", "url", "data"), CAMPAIGN_REQUESTS + SEGMENT_WRITES)
def test_a_cashier_is_refused_every_marketer_page_and_action(
    client, winter, alice, role, method, url, data
):
    client.force_login(staff_user_create(role, email=f"{role}@example.com"))
    data = data | {"member_number": alice.member_number} if "to" in data else data
    before = _snapshot()

    response = getattr(client, method)(url(), data)

    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize("role", [MARKETER, MANAGER, "superuser"])
@pytest.mark.parametrize(("method", "url", "data"), CAMPAIGN_REQUESTS[:2] + CAMPAIGN_REQUESTS[3:5])
def test_marketers_and_managers_open_the_campaign_pages(client, winter, role, method, url, data):
    client.force_login(staff_user_create(role, email=f"{role}@example.com"))
    assert getattr(client, method)(url(), data).status_code == 200


# --- The history -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "paused"),
    [
        ("en", "History", "Paused the campaign"),
        ("es", "Historial", "Pausó la campaña"),
        ("fr", "Historique", "A mis la campagne en pause"),
    ],
)
def test_the_campaign_page_shows_its_history_in_the_staffs_language(
    client, marketer, manager, winter, language, heading, paused
):
    client.force_login(marketer)
    client.post(action("schedule"), {})
    client.force_login(manager)
    client.post(action("pause"))

    page = client.get(
        reverse("staff:campaign", args=["winter"]), headers={"accept-language": language}
    )

    html = page.content.decode()
    assert heading in html
    assert paused in html
    assert [(a.kind, a.actor) for a in page.context["history"]] == [
        (StaffActionKind.CAMPAIGN_PAUSE, manager),
        (StaffActionKind.CAMPAIGN_SCHEDULE, marketer),
    ]


def test_the_segment_page_shows_its_history_and_not_another_segments(client, marketer, everyone):
    client.force_login(marketer)
    client.post(reverse("staff:segment", args=["everyone"]), editor_post("everyone", *SPANISH))
    client.post(reverse("staff:segment_new"), editor_post("other", *SPANISH))

    page = client.get(reverse("staff:segment", args=["everyone"]))

    assert [a.kind for a in page.context["history"]] == [StaffActionKind.SEGMENT_UPDATE]
    assert "Changed the segment" in page.content.decode()


def test_send_again_shows_how_many_in_the_history(client, marketer, winter):
    client.force_login(marketer)
    client.post(action("schedule"), {})
    campaigns_start_due()
    Delivery.objects.update(status=DeliveryStatus.UNKNOWN)
    client.post(action("send-again"))

    page = client.get(reverse("staff:campaign", args=["winter"]), headers={"accept-language": "es"})

    assert "1 mensaje" in page.content.decode()


def test_the_admin_lists_marketer_and_till_actions_read_only(client, marketer, winter, db):
    client.force_login(marketer)
    client.post(action("cancel"), {"confirm": "1"})
    admin = staff_user_create("superuser", email="admin@example.com")
    client.force_login(admin)

    page = client.get(reverse("admin:members_staffaction_changelist"))

    assert page.status_code == 200
    assert "campaign:winter" in page.content.decode()
    row = StaffAction.objects.get()
    assert client.get(reverse("admin:members_staffaction_change", args=[row.pk])).status_code == 200
    assert client.get(reverse("admin:members_staffaction_add")).status_code == 403
