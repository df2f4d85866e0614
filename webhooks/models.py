"""Webhook endpoints, their signing secrets, and the delivery log (API.md, Webhooks).

- `Endpoint`: a URL staff registered for some event types, with who registered it. Active, or
  disabled (when, why: deliveries failing for three days, or staff); deleted endpoints keep
  their log and are hidden from the API.
- `EndpointSecret`: the signing secrets. One current (`expires_at` empty); after a rotation
  the previous one too, until `expires_at` (the overlap, during which both sign). Kept sealed
  (webhooks.secret_box): the server must sign with them, so they cannot be hashed.
- `Delivery`: one event for one endpoint, unique per (event, endpoint) except replays. The
  exact body bytes are stored when it is first built, so every retry and every replay sends
  them byte for byte, with the same event id. Its life (webhooks.services.sending):

      due ──claim (lease)──▶ due, claimed ──2xx──▶ delivered
       ▲                        │   └──other answer, no answer──▶ due later (back-off)
       └──lease ran out─────────┘                         └──after the last try──▶ failed

  A worker killed mid-request leaves the row due (its lease runs out and another takes it):
  at least once, never lost.
- `Attempt`: every try, kept: when, the answer's status code or the error, how long it took,
  and the start of the answer.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

URL_MAX_LENGTH = 2000
EVENT_ID_MAX_LENGTH = 40
EXCERPT_MAX_CHARACTERS = 2000
ERROR_MAX_LENGTH = 500


class DisabledReason(models.TextChoices):
    FAILING = "failing", _("deliveries failed for three days")
    STAFF = "staff", _("disabled by staff")


class EndpointQuerySet(models.QuerySet):
    def present(self):
        """Not deleted."""
        return self.filter(deleted_at__isnull=True)

    def receiving(self):
        """Active and not deleted: what events are delivered to."""
        return self.present().filter(is_active=True)


class Endpoint(models.Model):
    # The API's `id`: unguessable, never the sequential key.
    public_id = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    url = models.CharField(_("URL"), max_length=URL_MAX_LENGTH)
    # Event type names (webhooks.catalog), in the catalog's order. A JSON list rather than an
    # ArrayField: SQLite is supported too.
    events = models.JSONField(_("events"), default=list)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Told by mail when the endpoint is disabled."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(
        _("disabled because"), max_length=16, choices=DisabledReason.choices, blank=True
    )
    # The owner's mail about the disabling left (claimed by a conditional update: once).
    disabled_notice_at = models.DateTimeField(_("owner told at"), null=True, blank=True)
    # The first failed attempt since the last success: three days of it disable the endpoint.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(disabled_at__isnull=False),
                name="webhooks_endpoint_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


class EndpointSecret(models.Model):
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="secrets", verbose_name=_("endpoint")
    )
    # webhooks.secret_box.seal(secret): encrypted with a key derived from SECRET_KEY.
    sealed = models.TextField(_("sealed secret"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Empty: the current secret. Set: a previous one, which still signs until then.
    expires_at = models.DateTimeField(_("signs until"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing secret")
        verbose_name_plural = _("signing secrets")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint"],
                condition=Q(expires_at__isnull=True),
                name="webhooks_one_current_secret",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} ({self.created_at:%Y-%m-%d %H:%M})"


class DeliveryState(models.TextChoices):
    DUE = "due", _("due")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    public_id = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    # The domain event's row (config.events.Event), by id only: the log outlives the outbox.
    event_id = models.BigIntegerField(_("event row"))
    event_type = models.CharField(_("event"), max_length=50)
    # The body's `id` (evt_...), the receivers' key for deduplication.
    event_public_id = models.CharField(_("event id"), max_length=EVENT_ID_MAX_LENGTH)
    body = models.BinaryField(_("body"))
    state = models.CharField(
        _("state"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.DUE
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When a due row may be claimed: its next try, or the end of a claim's lease.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # The claim in progress; its outcome is written only by the claim that holds it.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    last_outcome = models.CharField(_("last outcome"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    replay_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replays",
        verbose_name=_("replay of"),
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-pk")
        constraints = [
            # "Once per (event, endpoint)" is the database's rule; a replay is a new row.
            models.UniqueConstraint(
                fields=["event_id", "endpoint"],
                condition=Q(replay_of__isnull=True),
                name="webhooks_delivery_once_per_endpoint",
            ),
            models.CheckConstraint(
                condition=~Q(state="due") | Q(next_attempt_at__isnull=False),
                name="webhooks_delivery_due_has_time",
            ),
        ]
        indexes = [
            # The sender's claim: the due rows, soonest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="due"),
                name="webhooks_delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_log"),
            models.Index(fields=["event_public_id"], name="webhooks_delivery_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_public_id}"

    @property
    def body_bytes(self) -> bytes:
        return bytes(self.body)  # a memoryview on PostgreSQL


class Attempt(models.Model):
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(_("attempt"))
    attempted_at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("answer code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=ERROR_MAX_LENGTH, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    # The start of the answer's body (EXCERPT_MAX_CHARACTERS), as text.
    response_excerpt = models.TextField(_("answer"), blank=True)
    is_success = models.BooleanField(_("delivered"), default=False)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ("delivery", "number", "pk")

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

    @property
    def outcome(self) -> str:
        return str(self.status_code) if self.status_code is not None else self.error
