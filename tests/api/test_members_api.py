import pytest

from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from members.models import Member
from members.numbers import member_number_is_valid
from members.services import member_consents_set
from tests.factories.api import ApiKeyFactory
from tests.factories.loyalty import example_program_text

URL = "/api/v1/members/"


@pytest.fixture
def program(db):
    return program_import(text=example_program_text(), note="example").version


@pytest.mark.django_db
def test_enrol_answers_the_member_with_the_signup_bonus(api_client, program):
    response = api_client.post(
        URL,
        {
            "email": "ana@example.com",
            "first_name": "Ana",
            "last_name": "Ruiz",
            "birth_date": "--02-29",
            "language": "es",
            "marketing_opt_in": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert member_number_is_valid(body["member_number"])
    assert body["email"] == "ana@example.com"
    assert body["tier"] == {"code": "bronze", "name": "Bronce"}
    assert body["next_tier"] == {"code": "silver", "name": "Plata", "remaining": "500.00"}
    # The example program's welcome rule: 100 points, available at once (an event bonus).
    assert body["points"]["available"] + body["points"]["pending"] == 100
    assert body["points"]["lifetime"] == 100
    member = Member.objects.get(member_number=body["member_number"])
    assert (member.birth_day, member.birth_month, member.birth_year) == (29, 2, None)
    assert member.marketing_email_opt_in is True


@pytest.mark.django_db
def test_enrolling_a_known_email_is_409_and_changes_nothing(api_client, program):
    member_join(email="ana@example.com")
    response = api_client.post(URL, {"email": "ANA@example.com"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "member_exists"
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@example.com", "birth_date": "1990-02-30"}, "birth_date"),
        ({"email": "a@example.com", "birth_date": "02-14"}, "birth_date"),
        ({"email": "a@example.com", "language": "de"}, "language"),
    ],
)
@pytest.mark.django_db
def test_bad_enrolment_is_400_at_the_field_and_changes_nothing(api_client, program, body, field):
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_referral_code_is_its_own_400_at_the_field(api_client, program):
    body = {"email": "a@example.com", "referral_code": "NOPE-2345"}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "referral_code_unknown",
        "detail": "No member has this referral code.",
        "errors": {"referral_code": ["No member has this referral code."]},
    }
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_lookup_by_email_phone_or_number(api_client, program):
    ana = member_join(email="ana@example.com", phone="+34600000001")
    member_join(email="bob@example.com")

    by_email = api_client.get(URL, {"email": "ANA@example.com"}).json()
    by_phone = api_client.get(URL, {"phone": "+34600000001"}).json()
    by_number = api_client.get(URL, {"member_number": ana.member_number}).json()
    everyone = api_client.get(URL).json()

    for found in (by_email, by_phone, by_number):
        assert [m["member_number"] for m in found["results"]] == [ana.member_number]
    assert everyone["count"] == 2


@pytest.mark.django_db
def test_one_member_and_unknown_number(api_client, program):
    ana = member_join(email="ana@example.com", language="fr")
    response = api_client.get(f"{URL}{ana.member_number}/")
    assert response.status_code == 200
    assert response.json()["tier"]["name"] == "Bronze"
    missing = api_client.get(f"{URL}4000000000000/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "member_not_found"


@pytest.mark.django_db
def test_transactions_newest_first_with_reason_and_source(api_client, program):
    ana = member_join(email="ana@example.com")
    response = api_client.get(f"{URL}{ana.member_number}/transactions/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(e["kind"], e["points"]) for e in results] == [("bonus", 100)]
    fields = {"id", "kind", "points", "occurred_at", "created_at", "reason", "breakdown"}
    assert set(results[0]) == fields | {"source"}


@pytest.mark.django_db
def test_transactions_are_ordered_by_when_they_happened_not_when_written(api_client, program):
    import datetime

    from loyalty.services.purchases import purchase_record
    from tests.factories.ledger import purchase_body

    ana = member_join(email="ana@example.com")
    old = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    purchase_record(member=ana, **purchase_body(external_id="backdated", purchased_at=old))

    results = api_client.get(f"{URL}{ana.member_number}/transactions/").json()["results"]

    assert [entry["kind"] for entry in results] == ["bonus", "earn"]
    assert results[1]["occurred_at"] == "2026-01-05T09:00:00Z"


@pytest.mark.django_db
def test_reading_needs_members_read_and_enrolling_members_write(client_for, program):
    reader = client_for(ApiKeyFactory(scopes=["members:read"]))
    writer = client_for(ApiKeyFactory(scopes=["members:write"]))
    assert reader.post(URL, {"email": "a@example.com"}, format="json").status_code == 403
    assert writer.get(URL).status_code == 403
    assert writer.post(URL, {"email": "a@example.com"}, format="json").status_code == 201
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_enrolment_takes_a_time_zone_and_the_member_shows_it(api_client, program):
    body = {"email": "ana@example.com", "time_zone": "atlantic/canary", "marketing_opt_in": True}

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["time_zone"] == "Atlantic/Canary"
    assert created["consents"] == {
        "email": True,
        "sms": False,
        "push": False,
        "program_notices": True,
    }
    assert Member.objects.get().time_zone == "Atlantic/Canary"
    shown = api_client.get(f"{URL}{created['member_number']}/").json()
    assert (shown["time_zone"], shown["consents"]) == (created["time_zone"], created["consents"])


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"time_zone": ""}])
def test_a_member_without_a_zone_shows_the_program_s(api_client, program, body):
    response = api_client.post(URL, {"email": "ana@example.com", **body}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["time_zone"] == "Europe/Madrid"
    assert Member.objects.get().time_zone == ""  # follows the program, were it to change


@pytest.mark.django_db
def test_the_member_shows_each_consent(api_client, program):
    ana = member_join(email="ana@example.com")
    member_consents_set(member=ana, marketing_sms=True, marketing_push=True, program_notices=False)

    body = api_client.get(f"{URL}{ana.member_number}/").json()

    assert body["consents"] == {"email": False, "sms": True, "push": True, "program_notices": False}


@pytest.mark.django_db
def test_an_unknown_time_zone_is_its_own_400_at_the_field(api_client, program):
    body = {"email": "a@example.com", "time_zone": "Europe/Atlantis"}

    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    message = (
        "“Europe/Atlantis” is not a time zone we know. Give an IANA name, such as Europe/Madrid."
    )
    assert response.json() == {
        "code": "time_zone_unknown",
        "detail": message,
        "errors": {"time_zone": [message]},
    }
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_time_zone_is_worded_in_the_request_s_language(api_client, program):
    body = {"email": "a@example.com", "time_zone": "Europe/Atlantis"}

    response = api_client.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.json()["code"] == "time_zone_unknown"
    assert "zona horaria" in response.json()["errors"]["time_zone"][0]


@pytest.mark.django_db
def test_a_time_zone_longer_than_a_zone_name_is_refused_at_the_field(api_client, program):
    response = api_client.post(
        URL, {"email": "a@example.com", "time_zone": "A/" + "b" * 70}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "time_zone" in response.json()["errors"]


@pytest.mark.django_db
def test_the_schema_describes_consents_and_time_zone(anonymous_client):
    schema = anonymous_client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]

    member = components["MemberOutput"]
    assert {"consents", "time_zone"} <= set(member["required"])
    consents = components["ConsentsOutput"]
    assert set(consents["required"]) == {"email", "sms", "push", "program_notices"}
    assert all(value["type"] == "boolean" for value in consents["properties"].values())
    enrol = components["MemberEnrolInputRequest"]["properties"]["time_zone"]
    assert (enrol["type"], enrol["maxLength"]) == ("string", 64)
    refusals = schema["paths"]["/api/v1/members/"]["post"]["responses"]["400"]["description"]
    assert "`time_zone_unknown`" in refusals
