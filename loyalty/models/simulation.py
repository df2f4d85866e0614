"""A program simulation kept for the admin's program import (loyalty.services.simulations): a
draft replayed over a window of history, run once by a task when the history is large, its
progress polled by the page, its figures kept for whoever imports the same file that day."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SimulationStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ProgramSimulation(models.Model):
    """One draft (by the hash of its text) over one window; `result` is
    loyalty.simulation.Simulation.as_data(). `key` names it in the page's polling URL."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text_hash = models.CharField(_("draft's SHA-256"), max_length=64)
    text = models.TextField(_("draft"))
    starts = models.DateField(_("from"))
    ends = models.DateField(_("to"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=SimulationStatus.choices,
        default=SimulationStatus.PENDING,
    )
    done = models.BigIntegerField(_("rows read"), default=0)
    total = models.BigIntegerField(_("rows to read"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("program simulation")
        verbose_name_plural = _("program simulations")
        constraints = [
            models.UniqueConstraint(
                fields=["text_hash", "starts", "ends"], name="loyalty_simulation_once_per_draft"
            )
        ]

    def __str__(self) -> str:
        return f"{self.text_hash[:12]} {self.starts}..{self.ends}"

    @property
    def share_done(self) -> int:
        """How far the replay is, in percent."""
        return min(100, self.done * 100 // self.total) if self.total else 0
