"""The domain events outbox: one row per change other apps react to, written in the transaction
of the change (so a rolled-back change leaves none), and the delivery state of each consumer.

- `Event`: what happened (`kind`, API.md's webhook names), when (`occurred_at`: the change's own
  time, a purchase's `purchased_at`), when it was written (`created_at`) and a JSON `payload` of
  ids, numbers and amounts (no personal data: an erased member's events tell nothing about them).
- `EventConsumer`: one row per consumer, locked by the dispatcher serving it (FOR UPDATE SKIP
  LOCKED), with its `floor`: every event with an id at or below it is settled for the consumer.
- `EventDelivery`: one row per (consumer, event) above the floor, written in the transaction
  that handed the event over; the unique constraint makes "once per consumer" a database rule.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("kind"), max_length=50)
    occurred_at = models.DateTimeField(_("occurred at"))
    # Stamped when the row is built, in the writing transaction: the dispatcher moves a
    # consumer's floor only past events written long enough ago (config.events.dispatch).
    created_at = models.DateTimeField(_("created at"))
    payload = models.JSONField(_("payload"), default=dict)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        # No index but the primary key: every purchase writes a row, and the dispatcher reads
        # only the few minutes of events above each consumer's floor, by id.

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class EventConsumer(models.Model):
    name = models.CharField(_("name"), max_length=50, primary_key=True)
    floor = models.BigIntegerField(_("settled up to event"), default=0)

    class Meta:
        verbose_name = _("event consumer")
        verbose_name_plural = _("event consumers")

    def __str__(self) -> str:
        return self.name


class EventDelivery(models.Model):
    consumer = models.CharField(_("consumer"), max_length=50)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    delivered_at = models.DateTimeField(_("delivered at"))

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "event"], name="events_delivery_once_per_consumer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} to {self.consumer}"
