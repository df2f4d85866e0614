import pytest

from config.events.models import Event
from tests.events import recorder


@pytest.fixture
def seen_table(db):
    recorder.table_create()
    recorder.crash_at.clear()
    yield recorder
    recorder.crash_at.clear()
    recorder.table_drop()  # a transactional test committed it


def kinds_after(mark: int) -> list[str]:
    """The kinds of the events written after event id `mark`, in order."""
    return list(Event.objects.filter(pk__gt=mark).order_by("pk").values_list("kind", flat=True))


def last_event_id() -> int:
    last = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0
