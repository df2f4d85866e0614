"""Every event API.md lists becomes a delivery whose `data` is exactly what the API answers for
the same thing (its own serializers), with a stable event id; a rolled-back change, imported
history and an endpoint that did not ask for the event get nothing."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.events import CAMPAIGN_SENT
from campaigns.models import Campaign, CampaignState
from campaigns.services.campaigns import campaigns_finish
from config.events.models import Event
from loyalty.imports.base import import_run
from loyalty.imports.members import MemberImporter
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import lots_mature, points_expire
from members.services import member_erase
from rewards.services import redemption_cancel
from rewards.services.vouchers import voucher_consume
from tests.factories.ledger import purchase_body
from tests.factories.rewards import RewardFactory, redemption_create
from tests.ledger.conftest import record
from tests.webhooks.conftest import webhooks_dispatch
from webhooks.bodies import _DATA, event_public_id
from webhooks.catalog import EVENT_TYPES
from webhooks.models import Delivery
from webhooks.services.endpoints import endpoint_delete, endpoint_register

DAY = datetime.timedelta(days=1)


def delivered(event_type: str) -> list[dict]:
    webhooks_dispatch()
    rows = Delivery.objects.filter(event_type=event_type).order_by("pk")
    return [json.loads(row.body_bytes) for row in rows]


def test_every_listed_event_has_a_body_builder():
    assert set(_DATA) == set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 10


def test_member_events_carry_the_member_as_the_api_shows_it(registered, api, program, now):
    ana = member_join(email="ana@example.com", first_name="Ana", language="es")
    [enrolled] = delivered("member.enrolled")
    shown = api.get(f"/api/v1/members/{ana.member_number}/").json()

    event = Event.objects.get(kind="member.enrolled")
    assert enrolled == {
        "id": event_public_id(event.pk),
        "type": "member.enrolled",
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "data": shown,
    }

    member_erase(member=ana)
    [erased] = delivered("member.erased")
    assert erased["data"] == api.get(f"/api/v1/members/{ana.member_number}/").json()
    assert erased["data"]["email"].endswith("@invalid")


def test_an_erasure_rewrites_what_the_log_kept_of_the_person(registered, program, now):
    # The enrolment's delivery, sent already, and one to an endpoint that never asked for the
    # erasure: neither keeps the email or the name once the member is erased.
    elsewhere = endpoint_register(url=registered.endpoint.url, events=["member.enrolled"])
    ana = member_join(email="ana@example.com", first_name="Ana", language="es")
    webhooks_dispatch()
    kept = Delivery.objects.filter(event_type="member.enrolled")
    assert kept.count() == 2
    assert all(b"ana@example.com" in row.body_bytes for row in kept)
    ids = {json.loads(row.body_bytes)["id"] for row in kept}

    member_erase(member=ana)
    webhooks_dispatch()

    for row in Delivery.objects.filter(event_type="member.enrolled"):
        body = json.loads(row.body_bytes)
        assert body["id"] in ids  # the same event, told again without the person
        assert body["data"]["member_number"] == ana.member_number
        assert body["data"]["email"].endswith("@invalid")
        assert b"ana@example.com" not in row.body_bytes
        assert b"Ana" not in row.body_bytes
    assert {row.endpoint_id for row in Delivery.objects.filter(event_type="member.enrolled")} == {
        registered.endpoint.pk,
        elsewhere.endpoint.pk,
    }


def test_purchase_events_carry_the_api_answers_and_the_tier_change(
    registered, api, member, program, now
):
    answer = api.post(
        "/api/v1/purchases/",
        {
            "external_id": "till-1",
            "member_number": member.member_number,
            "amount": "600.00",
            "currency": "EUR",
            "purchased_at": now.isoformat(),
            "channel": "store",
        },
        format="json",
    ).json()
    [recorded] = delivered("purchase.recorded")
    assert recorded["data"] == {**answer, "member_number": member.member_number}
    [upgrade] = delivered("tier.changed")
    assert upgrade["data"] == {
        "member_number": member.member_number,
        "from": {"code": "bronze", "name": "Bronze"},
        "to": {"code": "silver", "name": "Silver"},
        "reason": "upgrade",
        "changed_at": upgrade["data"]["changed_at"],
    }

    refund = api.post(
        "/api/v1/purchases/till-1/refunds/",
        {"external_id": "r-1", "amount": "600.00"},
        format="json",
    ).json()
    [refunded] = delivered("purchase.refunded")
    assert refunded["data"] == {**refund, "member_number": member.member_number}
    upgrade_again, withdrawal = delivered("tier.changed")
    assert upgrade_again == upgrade  # stored once, never rebuilt
    assert (withdrawal["data"]["from"]["code"], withdrawal["data"]["to"]["code"]) == (
        "silver",
        "bronze",
    )
    assert withdrawal["data"]["reason"] == "refund"


def test_expired_points_carry_the_ledger_entry(registered, api, member, now, time_machine):
    record(member, amount=Decimal("20.00"))
    time_machine.move_to(now + 15 * DAY, tick=False)
    lots_mature(member=member)
    time_machine.move_to(now + 400 * DAY, tick=False)
    entry = points_expire(member=member)

    [expired] = delivered("points.expired")
    entries = api.get(f"/api/v1/members/{member.member_number}/transactions/").json()
    [shown] = [row for row in entries["results"] if row["id"] == entry.pk]
    assert expired["data"] == {**shown, "member_number": member.member_number}
    assert expired["data"]["points"] == -20


def test_voucher_events_carry_the_voucher(registered, api, member, now, settings):
    reward = RewardFactory(points_cost=100)
    used = redemption_create(member, reward)
    kept = redemption_create(member, reward)
    voucher_consume(code=used.voucher.code, order_ref="order-9")
    redemption_cancel(redemption=kept)

    issued = delivered("voucher.issued")
    [consumed] = delivered("voucher.consumed")
    [cancelled] = delivered("voucher.cancelled")

    assert [body["data"]["code"] for body in issued] == [used.voucher.code, kept.voucher.code]
    for body, code in [(consumed, used.voucher.code), (cancelled, kept.voucher.code)]:
        shown = api.get(f"/api/v1/vouchers/{code}/").json()
        # The API names the QR image under the host asked; a delivery under SITE_URL.
        assert body["data"]["qr_url"] == settings.SITE_URL + f"/api/v1/vouchers/{code}/qr.svg"
        assert body["data"] == {**shown, "qr_url": body["data"]["qr_url"]}
    assert consumed["data"]["status"] == "consumed"
    assert consumed["data"]["order_ref"] == "order-9"
    assert cancelled["data"]["status"] == "cancelled"


def test_a_finished_campaign_records_campaign_sent_with_the_campaign(registered, api, now):
    campaign = Campaign.objects.create(
        code="spring",
        name="Spring",
        state=CampaignState.SENDING,
        content={"en": {"subject": "Hi", "body": "Hello"}},
        started_at=now,
    )

    assert campaigns_finish(at=now) == 1
    assert campaigns_finish(at=now) == 0

    [event] = Event.objects.filter(kind=CAMPAIGN_SENT)
    assert event.payload == {"campaign_id": campaign.pk, "code": "spring", "channel": "email"}
    [sent] = delivered("campaign.sent")
    assert sent["data"] == api.get("/api/v1/campaigns/spring/").json()
    assert sent["data"]["state"] == "sent"


def test_a_campaign_finish_that_rolls_back_records_no_event(db, now):
    Campaign.objects.create(code="autumn", name="Autumn", state=CampaignState.SENDING)

    def run_dying_after_the_finish():
        with transaction.atomic():
            campaigns_finish(at=now)
            raise RuntimeError("the run died after the finish")

    with pytest.raises(RuntimeError):
        run_dying_after_the_finish()

    assert not Event.objects.filter(kind=CAMPAIGN_SENT).exists()
    assert Campaign.objects.get(code="autumn").state == CampaignState.SENDING


def test_a_rolled_back_change_is_never_delivered(registered, member, now):
    def request_failing_after_the_write():
        with transaction.atomic():
            record(member, external_id="rolled-back", amount=Decimal("600.00"))  # and an upgrade
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        request_failing_after_the_write()
    record(member, external_id="kept")
    webhooks_dispatch()

    types = list(Delivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert types == ["member.enrolled", "purchase.recorded"]  # the member's, and "kept"
    [kept] = Delivery.objects.filter(event_type="purchase.recorded")
    assert json.loads(kept.body_bytes)["data"]["external_id"] == "kept"


def test_imported_history_is_not_delivered(registered, program, now, tmp_path):
    members_csv = tmp_path / "members.csv"
    members_csv.write_text("email,first_name\nana@example.com,Ana\nbob@example.com,Bob\n")

    assert not import_run(importer=MemberImporter(), path=members_csv).problems
    webhooks_dispatch()

    assert not Delivery.objects.exists()


def test_each_endpoint_gets_what_it_asked_for_all_with_the_same_bytes_and_id(
    registered, receiver, program, now
):
    purchases_only = endpoint_register(url=receiver.url + "/a", events=["purchase.recorded"])
    members_too = endpoint_register(
        url=receiver.url + "/b", events=["member.enrolled", "purchase.recorded"]
    )
    gone = endpoint_register(url=receiver.url + "/c", events=EVENT_TYPES)
    endpoint_delete(endpoint=gone.endpoint)

    ana = member_join(email="ana@example.com")
    record(ana, **purchase_body(purchased_at=timezone.now(), external_id="till-9"))
    webhooks_dispatch()

    def types_for(endpoint):
        return sorted(
            Delivery.objects.filter(endpoint=endpoint).values_list("event_type", flat=True)
        )

    assert types_for(registered.endpoint) == ["member.enrolled", "purchase.recorded"]
    assert types_for(members_too.endpoint) == ["member.enrolled", "purchase.recorded"]
    assert types_for(purchases_only.endpoint) == ["purchase.recorded"]
    assert types_for(gone.endpoint) == []
    purchase_rows = Delivery.objects.filter(event_type="purchase.recorded")
    assert len({bytes(row.body) for row in purchase_rows}) == 1
    assert len({row.event_public_id for row in purchase_rows}) == 1
    # Handed over again (a duplicate dispatch), nothing is written twice.
    assert webhooks_dispatch() == 0
    assert Delivery.objects.count() == 5
