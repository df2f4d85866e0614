import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from campaigns.channels import Message, backends
from campaigns.composers import (
    CAMPAIGN,
    Composer,
    address_of,
    composer_register,
    composer_unregister,
)
from campaigns.models import Campaign, Delivery, DeliveryPurpose
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.services.program import program_import
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text
from tests.fixtures_mail import SMTPSink, _free_port

# Wednesday 2 December 2026, 13:00 in Madrid (the example program's zone): outside quiet hours.
NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def program(db, now):
    return program_import(text=example_program_text(), note="example").version


@pytest.fixture
def member(program):
    return MemberFactory(
        email="ana@example.com", first_name="Ana", language="es", marketing_email_opt_in=True
    )


def compose_news(delivery: Delivery, member) -> Message:
    """A stand-in for the campaign composer (the campaign editor's content comes later)."""
    return Message(
        to=address_of(member, delivery.channel),
        subject=f"News for {member.user.first_name}",
        text=f"Hello {member.user.first_name}",
        language=member.language,
    )


@pytest.fixture
def campaign_composer():
    composer_register(
        Composer(source=CAMPAIGN, purpose=DeliveryPurpose.MARKETING, compose=compose_news)
    )
    yield
    composer_unregister(CAMPAIGN)


@pytest.fixture
def campaign(db, campaign_composer):
    return Campaign.objects.create(code="spring", name="Spring", state="sending")


def queue(member, *, campaign=None, automation="", occasion="", channel="email", **fields):
    deliveries_queue(
        [
            delivery_new(
                member_id=member.pk,
                campaign=campaign,
                automation=automation,
                occasion=occasion,
                channel=channel,
                **fields,
            )
        ]
    )
    return Delivery.objects.get(
        member=member, campaign=campaign, automation=automation, occasion=occasion
    )


@pytest.fixture
def text_outbox(settings) -> Iterator[dict]:
    """SMS and push into the in-memory backend."""
    settings.TESSERA_SMS_BACKEND = "campaigns.channels.backends.MemoryBackend"
    settings.TESSERA_PUSH_BACKEND = "campaigns.channels.backends.MemoryBackend"
    for sent in backends.outbox.values():
        sent.clear()
    yield backends.outbox
    for sent in backends.outbox.values():
        sent.clear()


@dataclass
class ScriptedSMTPSink(SMTPSink):
    """The test SMTP sink, answering RCPT for an address with scripted replies first
    (`refusals[address] = ["451 4.3.0 try later"]`), and counting SMTP sessions."""

    refusals: dict[str, list[str]] = field(default_factory=dict)
    sessions: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        scripted = self.refusals.get(address)
        if scripted:
            return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(settings) -> Iterator[ScriptedSMTPSink]:
    """Django's SMTP backend pointed at a scripted sink for the test."""
    sink = ScriptedSMTPSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()
