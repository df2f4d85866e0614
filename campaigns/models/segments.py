"""A segment: a saved rule set over members, evaluated live (CAMPAIGNS.md, Segments). The rules'
vocabulary is campaigns.segment_rules', their SQL campaigns.segment_query's; this row only keeps
them, as campaigns.services.segments validated them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.languages import NAME_LANGUAGES, localized
from loyalty.definition import CODE_MAX_LENGTH, TEXT_MAX_LENGTH


class SegmentMatch(models.TextChoices):
    ALL = "all", _("all rules")
    ANY = "any", _("any rule")


class Segment(models.Model):
    code = models.SlugField(_("code"), max_length=CODE_MAX_LENGTH, unique=True)
    # One field per language, as the catalog keeps its names; English is the fallback every
    # name has (config.languages.localized).
    name_en = models.CharField(_("name (English)"), max_length=TEXT_MAX_LENGTH)
    name_es = models.CharField(_("name (Spanish)"), max_length=TEXT_MAX_LENGTH, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=TEXT_MAX_LENGTH, blank=True)
    match = models.CharField(
        _("match"), max_length=3, choices=SegmentMatch.choices, default=SegmentMatch.ALL
    )
    # As campaigns.segment_rules.rules_check normalized them:
    # [{"field", "op", "value"[, "window_days"]}].
    rules = models.JSONField(_("rules"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=Q(match__in=SegmentMatch.values), name="campaigns_segment_match_valid"
            ),
            models.CheckConstraint(condition=~Q(name_en=""), name="campaigns_segment_name_en"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def names(self) -> dict[str, str]:
        return {
            language: getattr(self, f"name_{language}")
            for language in NAME_LANGUAGES
            if getattr(self, f"name_{language}")
        }

    def localized_name(self, language: str | None) -> str:
        return localized(self.names, language, self.code)
