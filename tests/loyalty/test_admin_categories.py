"""A shop owner names the program's categories in the admin, in a table rather than JSON, and the
names reach members' explanations once published."""

import pytest
from django.urls import reverse
from django.utils import translation

from loyalty.models import Program, ProgramVersion
from tests.factories.members import StaffUserFactory
from tests.loyalty.test_admin import PROGRAM_FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def _rows(*rows):
    """The table's inputs for `rows` of (code, en, es, fr), plus one empty row as the page has."""
    data = {}
    for index, row in enumerate([*rows, ("", "", "", "")]):
        for key, value in zip(("code", "en", "es", "fr"), row, strict=True):
            data[f"categories-{index}-{key}"] = value
    return data


def test_the_change_page_shows_a_table_of_names_per_language(admin_client, imported_version):
    program = Program.objects.get()
    program.categories = [{"code": "wine", "name": {"en": "Wine", "es": "Vino", "fr": "Vin"}}]
    program.save()

    with translation.override("es"):
        page = admin_client.get(
            reverse("admin:loyalty_program_change", args=[program.pk]), HTTP_ACCEPT_LANGUAGE="es"
        ).content.decode()

    assert 'data-testid="categories-editor"' in page
    assert 'name="categories-0-code" value="wine"' in page
    assert 'name="categories-0-es" value="Vino"' in page
    assert 'name="categories-1-code" value=""' in page  # room for a new one
    assert "[{" not in page.split('data-testid="categories-editor"')[1][:2000]  # no JSON


def test_named_categories_are_published_and_read_by_members(admin_client, imported_version):
    program = Program.objects.get()
    form = {k: v for k, v in PROGRAM_FORM.items() if k != "categories"}
    form |= _rows(("wine", "Wine", "Vino", "Vin"), ("cheese", "Cheese", "Queso", "Fromage"))

    response = admin_client.post(reverse("admin:loyalty_program_change", args=[program.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    definition = ProgramVersion.objects.order_by("-number").first().definition
    assert definition.category_name("wine", "es") == "Vino"
    assert definition.category_name("cheese", "fr") == "Fromage"
    assert [c["code"] for c in Program.objects.get().categories] == ["wine", "cheese"]


def test_a_bad_category_is_refused_at_the_field_and_nothing_is_published(
    admin_client, imported_version
):
    program = Program.objects.get()
    form = {k: v for k, v in PROGRAM_FORM.items() if k != "categories"}
    form |= _rows(("wine", "Wine", "Vino", "Vin"), ("wine", "Wine again", "", ""))

    response = admin_client.post(reverse("admin:loyalty_program_change", args=[program.pk]), form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["categories"] == ["Row 2: duplicate category code 'wine'"]
    assert ProgramVersion.objects.count() == 1


def test_names_without_a_code_are_refused_not_dropped(admin_client, imported_version):
    program = Program.objects.get()
    form = {k: v for k, v in PROGRAM_FORM.items() if k != "categories"}
    form |= _rows(("", "Wine", "Vino", "Vin"))

    response = admin_client.post(reverse("admin:loyalty_program_change", args=[program.pk]), form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["categories"] == [
        "A category has names but no code: give it a code or empty its names."
    ]
    assert ProgramVersion.objects.count() == 1
