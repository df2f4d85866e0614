"""The consent given on joining is in the member's history, whichever way they joined: an
imported file's opt-in column (dated when they joined), the till, the API."""

import pytest

from loyalty.imports.base import import_run
from loyalty.imports.members import MemberImporter
from loyalty.services.enrolment import member_join
from members.models import ConsentChange, ConsentSource, Member
from tests.imports.conftest import MEMBER_HEADER


def history(email: str) -> list[tuple[str, bool, str]]:
    return list(
        ConsentChange.objects.filter(member__user__email=email).values_list(
            "kind", "granted", "source"
        )
    )


@pytest.mark.django_db
def test_an_imported_opt_in_is_in_the_history_dated_when_the_member_joined(program, write_csv):
    path = write_csv(
        [
            MEMBER_HEADER,
            ["ana@example.es", "Ana", "", "", "", "es", "true", "2025-03-01T10:00:00+01:00"],
            ["bea@example.es", "Bea", "", "", "", "es", "false", "2025-03-02T10:00:00+01:00"],
        ]
    )
    import_run(importer=MemberImporter(), path=path)
    assert history("ana@example.es") == [("marketing_email", True, ConsentSource.IMPORT)]
    change = ConsentChange.objects.get(member__user__email="ana@example.es")
    assert change.at == Member.objects.get(user__email="ana@example.es").joined_at
    assert history("bea@example.es") == []


@pytest.mark.django_db
@pytest.mark.parametrize("source", [ConsentSource.STAFF, ConsentSource.API])
def test_a_consent_given_at_the_till_or_through_the_api_is_in_the_history(program, source):
    member_join(
        email="cai@example.es",
        marketing_email_opt_in=True,
        marketing_sms_opt_in=True,
        consent_source=source,
    )
    assert sorted(history("cai@example.es")) == [
        ("marketing_email", True, source),
        ("marketing_sms", True, source),
    ]
