"""The till's search ignores accents and case ("garcia" finds García, "nunez" Núñez) and takes a
member number typed as the card prints it, in groups; on PostgreSQL (the test database) and on
SQLite (`make run`'s embedded default, in a process of its own)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from console.selectors import member_search
from members.search import person_search_key
from members.services import member_erase
from tests.factories.ledger import MemberFactory
from tests.test_settings import run_manage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

PEOPLE = {
    "garcia": {"email": "ana@example.com", "first_name": "Ana", "last_name": "García"},
    "nunez": {"email": "jose@example.com", "first_name": "José", "last_name": "Núñez"},
    "muller": {"email": "juergen@example.de", "first_name": "Jürgen", "last_name": "Müller"},
    "strauss": {"email": "lea@example.at", "first_name": "Léa", "last_name": "Strauß"},
}
QUERIES = [
    ("garcia", "garcia"),
    ("GARCIA", "garcia"),
    ("García", "garcia"),
    ("ana garcía", "garcia"),
    ("nunez", "nunez"),
    ("NUÑEZ", "nunez"),
    ("Núñez", "nunez"),
    ("jose nunez", "nunez"),
    ("Muller", "muller"),
    ("MÜLLER", "muller"),
    ("jurgen", "muller"),
    ("strauss", "strauss"),
    ("lea", "strauss"),
]


@pytest.fixture
def people(program):
    return {key: MemberFactory(**fields) for key, fields in PEOPLE.items()}


def found(client, query: str) -> list[int]:
    response = client.get(reverse("staff:search"), {"q": query}, **HTMX)
    assert response.status_code == 200
    return [member.pk for member in response.context["results"]]


@pytest.mark.parametrize(("query", "who"), QUERIES)
def test_names_are_found_whatever_their_accents_and_case(client, cashier, people, query, who):
    client.force_login(cashier)

    assert found(client, query) == [people[who].pk]


def _grouped(number: str) -> list[str]:
    return [
        f"{number[:4]} {number[4:8]} {number[8:12]} {number[12]}",  # 4000 7728 9765 1
        f"{number[0]} {number[1:7]} {number[7:]}",  # as the card prints it
        f"{number[:4]}-{number[4:8]}-{number[8:12]}-{number[12]}",
        f"  {number[:4]}  {number[4:8]} ",  # the start, in groups
    ]


def test_a_member_number_typed_in_groups_finds_the_member(client, cashier, people):
    client.force_login(cashier)
    member = people["nunez"]

    for query in _grouped(member.member_number):
        assert found(client, query) == [member.pk], query


def test_a_member_number_typed_in_groups_and_enter_opens_the_member(client, cashier, people):
    client.force_login(cashier)
    member = people["garcia"]
    number = member.member_number

    for query in _grouped(number)[:3]:
        response = client.get(reverse("staff:search"), {"q": query})
        assert response.status_code == 302, query
        assert response.url == reverse("staff:member", kwargs={"member_number": number})


def test_a_phone_typed_in_groups_still_finds_the_member(client, cashier, alice, people):
    client.force_login(cashier)  # alice's phone is stored as "+34 600-12 34 56"

    for query in ("+34 600 12 34 56", "600 12 34 56", "600123456", "(600) 12-34"):
        assert found(client, query) == [alice.pk], query


def test_a_name_changed_outside_the_services_is_found_by_the_new_name(client, cashier, people):
    """The key is the database's, computed on every write: an edit in the admin or a fixture's
    direct save is found at once, and the old name no longer is."""
    client.force_login(cashier)
    user = people["garcia"].user
    user.last_name = "Ibáñez"
    user.save(update_fields=["last_name"])

    assert found(client, "ibanez") == [people["garcia"].pk]
    assert found(client, "garcia") == []


def test_an_erased_member_is_not_found_by_their_old_name_or_email(client, cashier, people):
    client.force_login(cashier)
    member_erase(member=people["nunez"])

    assert found(client, "nunez") == []
    assert found(client, "jose@example") == []


def test_the_name_search_uses_the_trigram_index(cashier, people):
    """The selector's SQL is the indexed column, as members.0014 indexed it: were it an
    expression of its own, PostgreSQL would read all 100,000 users for every keystroke."""
    with CaptureQueriesContext(connection) as queries:
        member_search(actor=cashier, query="garcia")
    [search_sql] = [q["sql"] for q in queries if "search_key" in q["sql"]]

    with connection.cursor() as cursor:
        # A handful of rows: left to itself the planner rightly prefers reading them all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {search_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "members_user_search_key_trgm" in plan, plan


def test_postgresql_folds_every_latin_letter_as_python_does():
    """One definition on both databases: the function of members.0014 and members.search (which
    SQLite uses) agree on every letter of Latin-1 and Latin Extended A, B and Additional."""
    letters = [
        chr(point)
        for start, end in ((0x41, 0x5B), (0x61, 0x7B), (0xC0, 0x250), (0x1E00, 0x1F00))
        for point in range(start, end)
        if chr(point).isalpha()
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT letter, tessera_person_search_key(letter, '', '') "
            "FROM unnest(%s::text[]) AS letter",
            [letters],
        )
        in_postgresql = dict(cursor.fetchall())

    differ = {
        letter: (in_postgresql[letter], person_search_key(letter, "", ""))
        for letter in letters
        if in_postgresql[letter] != person_search_key(letter, "", "")
    }
    assert differ == {}
    assert in_postgresql["Ñ"] == "n  "


SQLITE_SEARCH = """
import json
from console.selectors import member_search
from members.models import User
from members.services import member_enrol

people = json.loads({people!r})
for fields in people.values():
    member_enrol(**fields)
staff = User.objects.create_superuser(email="admin@example.com", password="x-" * 8)
number = User.objects.get(email="jose@example.com").member.member_number
queries = json.loads({queries!r}) + [
    (f"{{number[:4]}} {{number[4:8]}} {{number[8:12]}} {{number[12]}}", "nunez"),
    (f"{{number[:4]}}-{{number[4:8]}}-{{number[8:12]}}-{{number[12]}}", "nunez"),
]
emails = {{key: fields["email"] for key, fields in people.items()}}
print("RESULT " + json.dumps([
    [query, emails[who], [m.user.email for m in member_search(actor=staff, query=query)]]
    for query, who in queries
]))
"""


def test_the_same_search_on_sqlite_finds_the_same_people(tmp_path):
    env = {
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "sqlite-search-test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        "REDIS_URL": "",
        "EMAIL_HOST": "",
    }
    migrated = run_manage("migrate", "--no-input", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]

    script = SQLITE_SEARCH.format(people=json.dumps(PEOPLE), queries=json.dumps(QUERIES))
    searched = run_manage("shell", "--no-imports", "-c", script, env=env)

    assert searched.returncode == 0, searched.stderr[-2000:]
    [line] = [line for line in searched.stdout.splitlines() if line.startswith("RESULT ")]
    for query, expected, emails in json.loads(line.removeprefix("RESULT ")):
        assert emails == [expected], query
