"""The dispatcher: each consumer gets every event of its kinds once, in id order; a dispatch
killed after claiming (its transaction aborted) delivers nothing and loses nothing; a late
commit of a lower id is still delivered; a failing consumer is retried without repeats."""

import datetime
import threading

import pytest
from django.db import transaction

from config.events import dispatch
from config.events.dispatch import consumer_dispatch, events_dispatch
from config.events.models import Event, EventConsumer, EventDelivery
from config.events.registry import Consumer
from config.events.services import event_record
from tests.concurrency import run_together
from tests.events.recorder import KIND, RECORDER, DispatcherKilled, seen

pytestmark = pytest.mark.django_db


def note(count: int) -> list[int]:
    return [event_record(KIND, payload={"n": n}).pk for n in range(count)]


def floor() -> int:
    state = EventConsumer.objects.filter(name=RECORDER.name).first()
    return state.floor if state else 0


def test_each_event_is_handed_once_in_order_across_runs(seen_table):
    first = note(3)
    event_record("other.kind", payload={})  # not the recorder's

    assert consumer_dispatch(RECORDER) == (3, False)
    later = note(2)
    assert consumer_dispatch(RECORDER) == (2, False)
    assert consumer_dispatch(RECORDER) == (0, False)

    assert seen() == first + later


def test_a_batch_is_limited_and_the_rest_follows(seen_table):
    ids = note(5)

    assert consumer_dispatch(RECORDER, limit=2) == (2, True)
    assert consumer_dispatch(RECORDER, limit=2) == (2, True)
    assert consumer_dispatch(RECORDER, limit=2) == (1, False)

    assert seen() == ids


def test_a_dispatch_aborted_after_claiming_delivers_nothing_and_loses_nothing(seen_table):
    ids = note(6)
    seen_table.crash_at.add(ids[3])

    with pytest.raises(DispatcherKilled):
        consumer_dispatch(RECORDER)

    # Three were handed and recorded, then the process "died": none of it committed.
    assert seen() == []
    assert not EventDelivery.objects.exists()
    seen_table.crash_at.clear()
    assert consumer_dispatch(RECORDER) == (6, False)
    assert seen() == ids


def test_a_failing_consumer_stops_there_and_is_retried_without_repeats(seen_table, caplog):
    ids = note(4)
    calls = []

    def flaky(event):
        calls.append(event.pk)
        if event.pk == ids[2] and calls.count(event.pk) == 1:
            raise ConnectionError("the receiver went away")
        RECORDER.handle(event)

    consumer = Consumer(name=RECORDER.name, kinds=RECORDER.kinds, handle=flaky)

    assert consumer_dispatch(consumer) == (2, False)
    assert "failed on event" in caplog.text
    assert consumer_dispatch(consumer) == (2, False)

    assert seen() == ids
    assert calls == [ids[0], ids[1], ids[2], ids[2], ids[3]]


def test_a_failed_handler_leaves_none_of_its_writes(seen_table):
    (event_id,) = note(1)

    def half_done(event):
        RECORDER.handle(event)
        raise ValueError("a bug after the write")

    consumer = Consumer(name=RECORDER.name, kinds=RECORDER.kinds, handle=half_done)
    assert consumer_dispatch(consumer) == (0, False)

    assert seen() == []
    assert consumer_dispatch(RECORDER) == (1, False)
    assert seen() == [event_id]


def test_consumers_are_served_independently(seen_table, monkeypatch):
    ids = note(2)
    other_seen = []
    other = Consumer(
        name="other", kinds=frozenset({KIND}), handle=lambda e: other_seen.append(e.pk)
    )
    monkeypatch.setattr(
        "config.events.registry._consumers", {RECORDER.name: RECORDER, "other": other}
    )

    assert events_dispatch() == 4
    assert events_dispatch() == 0

    assert seen() == ids
    assert other_seen == ids


def test_the_floor_rises_past_settled_events_and_forgets_their_deliveries(seen_table, monkeypatch):
    ids = note(3)
    monkeypatch.setattr(dispatch, "SETTLE_AFTER", datetime.timedelta(days=-1))  # all settled

    consumer_dispatch(RECORDER)

    assert floor() == ids[-1]
    assert not EventDelivery.objects.filter(consumer=RECORDER.name).exists()
    assert consumer_dispatch(RECORDER) == (0, False)
    assert seen() == ids


def test_the_floor_stays_below_events_written_recently(seen_table):
    note(3)
    consumer_dispatch(RECORDER)

    assert floor() == 0  # written within SETTLE_AFTER: their delivery rows answer for them
    assert EventDelivery.objects.filter(consumer=RECORDER.name).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_lower_id_committed_later_is_still_delivered(seen_table, monkeypatch):
    # No margin for clocks: only the running transaction keeps the floor below its event.
    monkeypatch.setattr(dispatch, "SETTLE_AFTER", datetime.timedelta(0))
    inserted, commit = threading.Event(), threading.Event()
    late: list[int] = []

    def slow_writer(index):
        with transaction.atomic():
            late.append(event_record(KIND, payload={"late": True}).pk)
            inserted.set()
            assert commit.wait(timeout=30)

    thread = threading.Thread(target=run_together, args=(1, slow_writer))
    thread.start()
    assert inserted.wait(timeout=30)
    (early,) = note(1)  # a higher id, committed first
    assert early > late[0]

    consumer_dispatch(RECORDER)
    assert seen() == [early]
    assert floor() < late[0]  # the writer is still running: its event may yet appear

    commit.set()
    thread.join(timeout=30)
    consumer_dispatch(RECORDER)
    assert seen() == [early, late[0]]
    consumer_dispatch(RECORDER)
    assert floor() == early
    assert seen() == [early, late[0]]


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_hand_each_event_once(seen_table):
    ids = note(30)

    def dispatcher(index):
        handed = 0
        while True:
            count, more = consumer_dispatch(RECORDER, limit=7)
            handed += count
            if not more and not count:
                return handed

    results = run_together(2, dispatcher)

    assert sum(results) == 30, results
    assert sorted(seen()) == ids
    assert Event.objects.count() == 30
