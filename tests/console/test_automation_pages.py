"""The marketer's automation pages: marketers and managers may, cashiers may not; the list says
when each one sends and turns it on or off (one staff action, none for a repeat), with or
without htmx; the editor keeps what is left empty shipped, refuses a bad merge field at its
field with nothing written, saves content, reward and delay where they apply, and previews each
message as a member; every input labelled, one h1, headings in order."""

import itertools
import re

import pytest
from django.urls import reverse

from campaigns.models import Automation, AutomationCode
from campaigns.selectors.automations import automation_get
from campaigns.services.automations import automation_update
from members.models import StaffAction
from tests.console.conftest import staff_user_create
from tests.factories.rewards import RewardFactory
from tests.test_pages import Tags

pytestmark = pytest.mark.django_db

LIST = reverse("staff:automations")


def edit(code):
    return reverse("staff:automation", args=[code])


def toggle(code):
    return reverse("staff:automation_toggle", args=[code])


def recorded():
    return list(
        StaffAction.objects.order_by("pk").values_list("actor__email", "kind", "subject", "details")
    )


def texts(**values):
    """An editor submission: on, no reward, every text empty (the shipped texts) unless
    given."""
    return {"enabled": "on", "offer_kind": "none", **values}


# --- Who may ------------------------------------------------------------------------------------


def test_a_cashier_may_not_see_or_change_an_automation(client, cashier, program):
    client.force_login(cashier)
    assert client.get(LIST).status_code == 403
    assert client.get(edit("welcome")).status_code == 403
    assert client.post(toggle("welcome"), {"enabled": "0"}).status_code == 403
    assert client.post(edit("welcome"), {"body_main_en": "Hi"}).status_code == 403
    assert automation_get("welcome").enabled is True
    assert automation_get("welcome").content == {}
    assert not StaffAction.objects.exists()
    # No link to the pages either.
    assert LIST not in client.get(reverse("staff:search")).content.decode()


@pytest.mark.parametrize("role", ["marketer", "manager", "superuser"])
def test_marketers_and_managers_see_every_automation_and_when_it_sends(
    client, request, role, program
):
    user = (
        staff_user_create(role, email="root@example.com")
        if role == "superuser"
        else request.getfixturevalue(role)
    )
    client.force_login(user)
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    codes = [row["automation"].code for row in response.context["rows"]]
    assert codes == list(AutomationCode.values)
    assert "When a member joins." in page
    assert "90 days after a member&#x27;s last purchase." in page
    assert "3 days after a purchase" in page
    # Its tab in the console's nav, marked as the current page.
    link = Tags(page).one("a", href=LIST)
    assert link.get("aria-current") == "page"
    for code in codes:
        assert edit(code) in page


def test_an_unknown_automation_is_404(client, marketer, program):
    client.force_login(marketer)
    assert client.get(edit("newsletter")).status_code == 404
    assert client.post(toggle("newsletter"), {"enabled": "0"}).status_code == 404


# --- The toggle ---------------------------------------------------------------------------------


def test_turning_one_off_writes_it_and_records_one_staff_action(client, marketer, program):
    client.force_login(marketer)
    for _ in range(2):  # a double submit: the second finds it off already
        response = client.post(toggle("welcome"), {"enabled": "0"}, follow=True)
        assert response.status_code == 200
    assert "Welcome is off." in response.content.decode()

    welcome = Automation.objects.get(code="welcome")
    assert welcome.enabled is False
    assert welcome.updated_by == marketer
    assert recorded() == [
        (
            "marketer@example.com",
            "automation_update",
            "automation:welcome",
            {"changed": ["enabled"], "enabled": False},
        )
    ]
    # The list now offers to turn it back on.
    card = response.context["rows"][0]
    assert card["automation"].enabled is False
    assert 'name="enabled" value="1"' in response.content.decode()


def test_htmx_gets_the_card_back_and_turns_it_on(client, manager, program):
    automation_update(code="win_back", enabled=False)
    client.force_login(manager)
    response = client.post(toggle("win_back"), {"enabled": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.templates[0].name == "console/automations/_automation.html"
    card = response.content.decode()
    assert "<h1" not in card
    assert 'id="automation-win_back"' in card
    assert "Win-back is on." in card
    assert "Turn off" in card
    assert automation_get("win_back").enabled is True
    assert len(recorded()) == 1


def test_a_toggle_without_a_state_is_refused_and_changes_nothing(client, marketer, program):
    client.force_login(marketer)
    assert client.post(toggle("welcome"), {}).status_code == 400
    assert client.post(toggle("welcome"), {"enabled": "maybe"}).status_code == 400
    assert client.get(toggle("welcome")).status_code == 405
    assert automation_get("welcome").enabled is True
    assert not StaffAction.objects.exists()


# --- The editor ---------------------------------------------------------------------------------


def test_the_editor_starts_empty_over_the_shipped_texts(client, marketer, program):
    client.force_login(marketer)
    response = client.get(edit("welcome"))
    assert response.status_code == 200
    form = response.context["form"]
    tags = Tags(response.content.decode())
    subject = tags.one("input", name="subject_main_en")
    assert "value" not in subject
    assert subject["placeholder"] == "Welcome, {{ first_name }}"
    body = tags.one("textarea", name="body_main_en")
    assert body["placeholder"].startswith("Hello {{ first_name }},")
    assert "Left empty: the shipped text is sent." in response.content.decode()
    # Welcome gives a reward and does not wait: reward fields, no delay.
    assert {"offer_kind", "offer_reward", "offer_points"} <= set(form.fields)
    assert "delay_days" not in form.fields
    # The picker offers the campaigns' fields and the automation's own.
    picker = [name for name, _label in form.merge_field_choices()]
    assert "gift_points" in picker
    assert "first_name" in picker
    assert "voucher_code" in picker  # with a reward, chosen in the same form
    tier_picker = client.get(edit("tier_change")).context["form"].merge_field_choices()
    assert "voucher_code" not in dict(tier_picker)
    assert dict(tier_picker)["new_tier"] == "New tier"


def test_each_automation_shows_only_what_applies_to_it(client, marketer, program):
    client.force_login(marketer)
    tier_change = client.get(edit("tier_change")).context["form"]
    assert not {"offer_kind", "delay_days"} & set(tier_change.fields)
    assert {"body_upgrade_es", "body_downgrade_fr", "subject_upgrade_en"} <= set(tier_change.fields)
    assert "body_main_en" not in tier_change.fields
    win_back = client.get(edit("win_back")).context["form"]
    assert {"offer_kind", "delay_days"} <= set(win_back.fields)
    survey = client.get(edit("survey")).context["form"]
    assert "delay_days" in survey.fields
    assert "offer_kind" not in survey.fields


def test_an_unknown_merge_field_is_refused_at_its_field_and_changes_nothing(
    client, marketer, program
):
    client.force_login(marketer)
    response = client.post(
        edit("referral"),
        texts(subject_referee_es="Hola", body_referee_es="Hola {{ nombre }}"),
        headers={"accept-language": "es"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["body_referee_es"]
    assert "no es un campo de combinación" in errors["body_referee_es"][0]
    # The summary says which message the field is in, and links to it.
    (link,) = re.findall(r'<a href="#id_body_referee_es">([^<]*)</a>', response.content.decode())
    assert link.endswith(" · Mensaje (Español)")
    assert automation_get("referral").content == {}
    assert not StaffAction.objects.exists()


def test_a_subject_without_a_message_is_refused_at_the_message(client, marketer, program):
    client.force_login(marketer)
    response = client.post(edit("welcome"), texts(subject_main_fr="Bonjour"))
    assert list(response.context["form"].errors) == ["body_main_fr"]
    assert automation_get("welcome").content == {}


def test_saving_content_reward_and_delay_records_what_changed(client, marketer, program):
    RewardFactory(code="coffee", points_cost=50, name_en="Free coffee")
    client.force_login(marketer)
    data = texts(
        subject_main_es="Le echamos de menos",
        body_main_es="Tiene {{ points }} puntos y un café: {{ voucher_code }}",
        offer_kind="reward",
        offer_reward="coffee",
        offer_points="",
        delay_days="60",
    )
    for _ in range(2):  # the same form twice: the second saves nothing
        response = client.post(edit("win_back"), data, follow=True)
        assert response.status_code == 200
    assert "Nothing to save: no change." in response.content.decode()

    win_back = Automation.objects.select_related("offer_reward").get(code="win_back")
    assert win_back.content == {
        "main": {
            "es": {
                "subject": "Le echamos de menos",
                "body": "Tiene {{ points }} puntos y un café: {{ voucher_code }}",
            }
        }
    }
    assert win_back.offer_reward.code == "coffee"
    assert win_back.delay_days == 60
    assert win_back.enabled is True  # it was off; the box was ticked
    (action,) = StaffAction.objects.all()
    assert action.subject == "automation:win_back"
    assert sorted(action.details["changed"]) == ["content", "delay_days", "enabled", "offer"]
    # Back on the editor, prefilled with what was saved and the days in the sentence.
    page = client.get(edit("win_back"))
    assert page.context["form"]["body_main_es"].value().startswith("Tiene {{ points }}")
    assert "60 days after a member&#x27;s last purchase." in page.content.decode()


def test_points_out_of_range_and_a_bad_delay_are_refused_at_their_fields(client, marketer, program):
    client.force_login(marketer)
    response = client.post(
        edit("win_back"), texts(offer_kind="points", offer_points="0", delay_days="0")
    )
    assert set(response.context["form"].errors) == {"offer_points", "delay_days"}
    assert automation_get("win_back").delay_days is None
    assert not StaffAction.objects.exists()


# --- The preview --------------------------------------------------------------------------------


def test_the_preview_is_of_the_first_member_by_default_with_sample_values(client, marketer, alice):
    automation_update(
        code="referral",
        content={"referee": {"en": {"subject": "Thanks, {{ first_name }}", "body": "B"}}},
    )
    client.force_login(marketer)
    response = client.get(edit("referral"))
    assert response.context["preview_member"] == alice
    previews = {preview["key"]: preview for preview in response.context["previews"]}
    assert list(previews) == ["referrer", "referee"]
    # The marketer's text where written; the shipped text, with samples, elsewhere.
    assert previews["referee"]["subject"] == "Thanks, Alice"
    assert previews["referrer"]["subject"] == "Sam made a first purchase: 100 points"
    assert "Hello Alice," in previews["referrer"]["text"]
    assert "{{" not in previews["referrer"]["text"]


def test_the_preview_as_a_chosen_member_or_a_refusal_for_an_unknown_number(client, marketer, alice):
    other = staff_user_create("member", email="bruno@example.com", first_name="Bruno")
    client.force_login(marketer)
    chosen = client.get(edit("welcome"), {"member_number": other.member.member_number})
    assert chosen.context["preview_member"] == other.member
    assert chosen.context["previews"][0]["subject"] == "Welcome, Bruno"

    unknown = client.get(edit("welcome"), {"member_number": "0000000000000"})
    assert unknown.context["previews"] == []
    assert unknown.context["preview_form"].errors["member_number"] == ["No member has this number."]


# --- The pages themselves -----------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, edit("referral"), edit("win_back")])
def test_one_h1_headings_in_order_and_a_label_for_every_input(client, marketer, alice, url):
    client.force_login(marketer)
    page = client.get(url).content.decode()
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", page)]
    assert levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    tags = Tags(page)
    labelled = {label["for"] for label in tags.all("label") if "for" in label}
    fields = [
        attrs
        for tag in ("input", "select", "textarea")
        for attrs in tags.all(tag)
        if attrs.get("type") not in ("hidden", "submit")
    ]
    assert fields
    unlabelled = [attrs for attrs in fields if attrs.get("id") not in labelled]
    assert unlabelled == []


def test_a_withdrawn_reward_it_gives_stays_choosable(client, marketer, program):
    RewardFactory(code="old-mug", points_cost=50, name_en="Old mug", is_active=False)
    RewardFactory(code="coffee", points_cost=50, name_en="Free coffee")
    automation_update(code="birthday", offer={"reward": "old-mug"})
    client.force_login(marketer)
    form = client.get(edit("birthday")).context["form"]
    assert [code for code, _name in form.fields["offer_reward"].choices] == [
        "",
        "coffee",
        "old-mug",
    ]
    response = client.post(
        edit("birthday"), texts(offer_kind="reward", offer_reward="old-mug"), follow=True
    )
    assert "Nothing to save: no change." in response.content.decode()
    assert not StaffAction.objects.exists()
