"""The admin's program import shows the last 12 months under the file beside the diff: computed
with the page for a small history, by a task (progress polled with htmx) for a large one.

History: tests.loyalty.test_simulator's. On 2026-07-01 the last 12 months are
2025-07-01..2026-07-01: every welcome bonus (400), Carla's 150.00 of December (200) and the
window's purchases (470): 1,070 points live. Doubling the base rate: 400 + (300 + 50) + 890 =
1,640.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from loyalty.models import ProgramSimulation, SimulationStatus
from loyalty.services import simulations
from loyalty.services.simulations import simulation_request, simulation_run
from loyalty.simulation import Period
from tests.factories.members import StaffUserFactory
from tests.fixtures_worker import wait_for
from tests.loyalty.test_simulator import DOUBLE_BASE, SPRING_PROMO, history_record

TODAY = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)
POINTS_ROW = {
    "label": "Points issued",
    "live": "1,070",
    "draft": "1,640",
    "difference": "+570",
    "is_part": False,
    "is_changed": True,
}


@pytest.fixture
def admin_client(db, client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


@pytest.fixture
def history(db):
    history_record()
    with time_machine.travel(TODAY, tick=False):
        yield


def preview(client, text: str):
    return client.post(reverse("admin:loyalty_program_import"), {"text": text, "preview": "1"})


def test_a_small_history_is_simulated_with_the_preview(admin_client, history):
    response = preview(admin_client, DOUBLE_BASE)

    assert response.status_code == 200
    assert response.context["diff"]
    table = response.context["simulation"]
    assert (table["start"], table["end"]) == ("2025-07-01", "2026-07-01")
    assert table["rows"][0] == POINTS_ROW
    rows = {row["label"]: row for row in table["rows"]}
    assert (rows["base"]["live"], rows["base"]["draft"]) == ("570", "1,140")
    assert (rows["Liability (EUR)"]["live"], rows["Liability (EUR)"]["draft"]) == ("10.70", "16.40")
    page = response.content.decode()
    assert 'data-testid="program-simulation"' in page
    assert "breakage is not estimable yet" in page
    assert not ProgramSimulation.objects.exists()  # nothing stored for a small history


def test_a_rule_only_the_draft_has_and_the_tiers_by_name_in_the_managers_language(
    admin_client, history
):
    """A promotion the live program never had earns only in the draft's column; tiers are
    named as the program names them, in the page's language."""
    response = admin_client.post(
        reverse("admin:loyalty_program_import"),
        {"text": SPRING_PROMO, "preview": "1"},
        headers={"accept-language": "es"},
    )

    rows = {row["label"]: row for row in response.context["simulation"]["rows"]}
    spring = rows["spring"]
    assert spring["live"] == "0"
    assert spring["is_changed"]  # the March purchases, doubled
    assert spring["draft"] != "0"
    assert "Plata" in rows
    assert "silver" not in rows


def test_a_large_history_is_left_to_a_task_whose_progress_the_page_polls(
    admin_client, history, monkeypatch
):
    monkeypatch.setattr(simulations, "INLINE_MAX_PURCHASES", 0)

    response = preview(admin_client, DOUBLE_BASE)

    run = ProgramSimulation.objects.get()
    assert run.status == SimulationStatus.PENDING
    assert (run.starts, run.ends) == (datetime.date(2025, 7, 1), datetime.date(2026, 7, 1))
    poll = reverse("admin:loyalty_program_simulation", args=[run.key])
    page = response.content.decode()
    assert 'data-testid="program-simulation-progress"' in page
    assert f'hx-get="{poll}"' in page
    # Checking the same file again finds the same run.
    preview(admin_client, DOUBLE_BASE)
    assert ProgramSimulation.objects.count() == 1

    # What the task does; a second delivery finds it claimed and does nothing.
    assert simulation_run(simulation_id=run.pk) is not None
    assert simulation_run(simulation_id=run.pk) is None

    polled = admin_client.get(poll, HTTP_HX_REQUEST="true")
    run.refresh_from_db()
    assert run.status == SimulationStatus.DONE
    assert (run.done, run.total) == (run.total, run.total)
    assert polled.templates[0].name == "admin/loyalty/_program_simulation.html"
    assert polled.context["simulation"]["rows"][0] == POINTS_ROW
    assert "hx-get" not in polled.content.decode()  # done: no more polling


def test_a_running_simulation_shows_how_far_it_is(admin_client, history):
    window = Period(start=datetime.date(2025, 7, 1), end=datetime.date(2026, 7, 1))
    run, _ = simulation_request(text=DOUBLE_BASE, window=window)
    ProgramSimulation.objects.filter(pk=run.pk).update(
        status=SimulationStatus.RUNNING, done=50, total=200
    )

    polled = admin_client.get(
        reverse("admin:loyalty_program_simulation", args=[run.key]), HTTP_HX_REQUEST="true"
    )

    page = polled.content.decode()
    assert "50 of 200 rows read" in page
    assert '<progress max="100" value="25">' in page
    assert "hx-get" in page  # still polling


def test_a_failed_simulation_runs_again_when_the_file_is_checked_again(history):
    window = Period(start=datetime.date(2025, 7, 1), end=datetime.date(2026, 7, 1))
    run, is_new = simulation_request(text=DOUBLE_BASE, window=window)
    ProgramSimulation.objects.filter(pk=run.pk).update(status=SimulationStatus.FAILED, error="x")

    again, is_queued = simulation_request(text=DOUBLE_BASE, window=window)

    assert is_new
    assert is_queued
    assert again.pk == run.pk
    assert (again.status, again.error) == (SimulationStatus.PENDING, "")
    # A pending or finished one is not queued twice.
    assert simulation_request(text=DOUBLE_BASE, window=window)[1] is False


def test_the_progress_page_is_for_those_who_may_change_the_program(client, history):
    window = Period(start=datetime.date(2025, 7, 1), end=datetime.date(2026, 7, 1))
    run, _ = simulation_request(text=DOUBLE_BASE, window=window)
    url = reverse("admin:loyalty_program_simulation", args=[run.key])

    assert client.get(url).status_code == 302  # to the admin's login
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_program"))
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    client.force_login(StaffUserFactory(is_superuser=True))
    assert client.get(url).status_code == 200
    other = reverse(
        "admin:loyalty_program_simulation", args=["0" * 8 + "-0000-4000-8000-" + "0" * 12]
    )
    assert client.get(other).status_code == 404


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_replays_a_large_history_and_the_page_shows_it(
    celery_worker, client, monkeypatch
):
    history_record()
    monkeypatch.setattr(simulations, "INLINE_MAX_PURCHASES", 0)
    client.force_login(StaffUserFactory(is_superuser=True))

    with time_machine.travel(TODAY, tick=False):
        preview(client, DOUBLE_BASE)
    run = wait_for(
        lambda: ProgramSimulation.objects.filter(status=SimulationStatus.DONE).first(),
        timeout=60,
    )

    polled = client.get(
        reverse("admin:loyalty_program_simulation", args=[run.key]), HTTP_HX_REQUEST="true"
    )
    assert polled.context["simulation"]["rows"][0] == POINTS_ROW
