import pytest
import time_machine
from django.db import connection
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from config.api.models import IdempotencyRecord
from config.api.tasks import idempotency_records_purge
from members.models import User
from tests.concurrency import run_together
from tests.factories.api import ApiKeyFactory

pytestmark = pytest.mark.urls("tests.api.urls")
URL = "/api/v1/test/signup/"


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **headers)


@pytest.mark.django_db
def test_same_key_and_body_returns_the_first_answer_and_changes_nothing(api_client):
    first = post(api_client, {"email": "ana@example.com"}, key="k-1")
    again = post(api_client, {"email": "ana@example.com"}, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert User.objects.filter(email="ana@example.com").count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_a_conflict_and_changes_nothing(api_client):
    post(api_client, {"email": "ana@example.com"}, key="k-1")
    response = post(api_client, {"email": "bob@example.com"}, key="k-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert not User.objects.filter(email="bob@example.com").exists()


@pytest.mark.django_db
def test_key_order_in_the_body_does_not_make_another_request(api_client):
    post(api_client, {"email": "ana@example.com", "x": 1}, key="k-1")
    response = api_client.post(
        URL, '{"x": 1,  "email": "ana@example.com"}', content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )  # fmt: skip
    assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_keys_are_scoped_to_the_api_key(api_client, client_for):
    other = client_for(ApiKeyFactory())
    post(api_client, {"email": "ana@example.com"}, key="shared")
    response = post(other, {"email": "bob@example.com"}, key="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.django_db
def test_a_failed_request_is_not_stored_so_a_corrected_retry_runs(api_client):
    failed = post(api_client, {"email": "nope"}, key="k-1")
    assert failed.status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    retried = post(api_client, {"email": "ana@example.com"}, key="k-1")
    assert retried.status_code == 201


@pytest.mark.django_db
def test_without_the_header_every_request_runs(api_client):
    post(api_client, {"email": "ana@example.com"})
    post(api_client, {"email": "bob@example.com"})
    assert User.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "x" * 256])
@pytest.mark.django_db
def test_malformed_key_is_refused(api_client, key):
    response = post(api_client, {"email": "ana@example.com"}, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_do_the_work_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is proven on PostgreSQL (make test)")
    api_key = ApiKeyFactory()

    def send(_index):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
        return post(client, {"email": "race@example.com"}, key="race")

    answers = run_together(10, send)

    assert [a.status_code for a in answers] == [201] * 10
    assert len({a.json()["id"] for a in answers}) == 1
    assert User.objects.filter(email="race@example.com").count() == 1


@pytest.mark.django_db
def test_answers_older_than_a_day_are_purged_and_a_rerun_purges_nothing(api_client):
    with time_machine.travel("2026-11-20 10:00 +0000", tick=False):
        post(api_client, {"email": "old@example.com"}, key="old")
    post(api_client, {"email": "new@example.com"}, key="new")

    assert idempotency_records_purge() == 1
    assert idempotency_records_purge() == 0
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert PeriodicTask.objects.filter(task="config.api.tasks.idempotency_records_purge").exists()
