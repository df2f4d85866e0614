"""A customer enrolled at the till is mailed, once the enrolment commits and in their language,
a link to set their password; over real SMTP, and the link opens the portal's set-password
form. Other ways in (the API, imports, the portal) mail no such invitation."""

from email.utils import parseaddr

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from loyalty.services.enrolment import member_join
from members.account_claim import account_claim_mail_send
from members.models import Member
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

RESET_PATH = "/accounts/password/reset/key/"
# After the prefix every account mail has ("[Tessera] ", or the shop's name).
SUBJECTS = {
    "en": "] Set your password to see your points online",
    "es": "] Establezca su contraseña para ver sus puntos en línea",
    "fr": "] Définissez votre mot de passe pour voir vos points en ligne",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts the reset link's uses in the cache (Redis under `make test`)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(settings):
    # As `make run` does: a task runs in this process right after the commit that queued it
    # (under `make test` it would otherwise wait in Redis for a worker).
    settings.CELERY_TASK_ALWAYS_EAGER = True


def enrol(client, cashier, *, email: str, language: str, first_name: str = "Lucía"):
    client.force_login(cashier)
    return client.post(
        reverse("staff:enrol"), {"email": email, "first_name": first_name, "language": language}
    )


def invitations(outbox, address: str) -> list:
    return [mail for mail in outbox.mails_to(address) if RESET_PATH in mail.text]


def test_a_spanish_walk_in_gets_a_spanish_mail_whose_link_sets_the_password(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = enrol(client, cashier, email="lucia@example.com", language="es")
    assert response.status_code == 302
    member = Member.objects.get(user__email="lucia@example.com")

    [mail] = invitations(smtp_outbox, "lucia@example.com")
    assert mail.subject.strip().startswith("[")  # a long encoded subject is folded
    assert mail.subject.endswith(SUBJECTS["es"])
    # From and greeting in the name every account mail bears (the shop's program's, or Tessera).
    greeting = f"¡Hola desde {parseaddr(mail.message['From'])[0]}!"
    assert mail.text.startswith(greeting)
    assert f"Su número de socio es {member.member_number}." in mail.text
    assert "Si no se ha unido a nuestro programa, puede ignorar este correo." in mail.text
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="es">' in html
    assert greeting in html
    assert ">Establezca su contraseña</a>" in html
    [link] = [link for link in mail.links() if RESET_PATH in link]
    assert link.startswith("http://127.0.0.1:8000/accounts/password/reset/key/")

    # The customer, on their own phone: allauth moves the key into the session, then shows
    # its set-password form.
    customer = Client()
    page = customer.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    saved = customer.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})

    assert saved.status_code == 302
    assert saved["Location"] == reverse("account_reset_password_from_key_done")
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_mail_is_in_the_language_chosen_at_the_till(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks, language
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol(client, cashier, email="walker@example.com", language=language)

    [mail] = invitations(smtp_outbox, "walker@example.com")
    assert mail.subject.endswith(SUBJECTS[language])


def test_nothing_is_mailed_before_the_enrolment_commits(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        enrol(client, cashier, email="lucia@example.com", language="es")
        assert smtp_outbox.mails == []

    with django_capture_on_commit_callbacks(execute=True):  # the test's own transaction
        for callback in after_commit:
            callback()
    assert len(invitations(smtp_outbox, "lucia@example.com")) == 1


def test_a_refused_enrolment_mails_nothing(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol(client, cashier, email="lucia@example.com", language="es")
    smtp_outbox.mails.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = enrol(client, cashier, email="LUCIA@example.com", language="es")

    assert again.status_code == 200  # "A member already has this email."
    assert invitations(smtp_outbox, "lucia@example.com") == []


def test_the_invitation_is_sent_once_however_often_the_task_runs(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol(client, cashier, email="lucia@example.com", language="es")
    member = Member.objects.get(user__email="lucia@example.com")

    assert account_claim_mail_send(member_id=member.pk) is False  # a redelivered task

    assert len(invitations(smtp_outbox, "lucia@example.com")) == 1


def test_an_account_that_has_a_password_is_not_invited(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks
):
    """Someone with an account but no membership (signed up, never joined) enrolled at the till
    keeps their password and gets no invitation to set one."""
    get_user_model().objects.create_user(email="marta@example.com", password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = enrol(client, cashier, email="marta@example.com", language="es")

    assert response.status_code == 302
    assert invitations(smtp_outbox, "marta@example.com") == []


def test_enrolments_outside_the_till_mail_no_invitation(
    program, smtp_outbox, django_capture_on_commit_callbacks
):
    """The API's enrolment (and the import, and the demo) join through member_join alone: the
    shop's web site or POS that calls it decides what its customer is told."""
    with django_capture_on_commit_callbacks(execute=True):
        member_join(email="api@example.com", first_name="Api", language="es")

    assert invitations(smtp_outbox, "api@example.com") == []


def test_setting_the_password_from_the_mail_verifies_the_address(
    client, cashier, program, smtp_outbox, django_capture_on_commit_callbacks
):
    """The link proved the customer reads that mailbox: signing in next asks for no
    verification and mails none."""
    with django_capture_on_commit_callbacks(execute=True):
        enrol(client, cashier, email="lucia@example.com", language="es")
    [mail] = invitations(smtp_outbox, "lucia@example.com")
    [link] = [link for link in mail.links() if RESET_PATH in link]
    customer = Client()
    page = customer.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
    customer.post(page.redirect_chain[-1][0], {"password1": PASSWORD, "password2": PASSWORD})
    mails_before = len(smtp_outbox.mails)

    signed_in = customer.post(
        reverse("account_login"), {"login": "lucia@example.com", "password": PASSWORD}
    )

    assert signed_in.status_code == 302
    assert "confirm-email" not in signed_in["Location"]
    assert customer.get(reverse("members:home")).status_code == 200
    assert len(smtp_outbox.mails) == mails_before  # no verification mail
    user = get_user_model().objects.get(email="lucia@example.com")
    assert user.emailaddress_set.get().verified
