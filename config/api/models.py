from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api.keycache import api_key_changed


class Scope(models.TextChoices):
    """What an API key may do. Views name the scopes they need (see permissions.py)."""

    MEMBERS_READ = "members:read", _("Read members")
    MEMBERS_WRITE = "members:write", _("Enrol and update members")
    PURCHASES_WRITE = "purchases:write", _("Record purchases and refunds")
    REWARDS_REDEEM = "rewards:redeem", _("Redeem rewards")
    VOUCHERS_CONSUME = "vouchers:consume", _("Validate and consume vouchers")
    PROGRAM_READ = "program:read", _("Read the program")
    SEGMENTS_READ = "segments:read", _("Read segments and their members")
    CAMPAIGNS_WRITE = "campaigns:write", _("Create segments and campaigns")
    CAMPAIGNS_READ = "campaigns:read", _("Read campaigns and their delivery logs")
    ANALYTICS_READ = "analytics:read", _("Read the analytics")
    WEBHOOKS_WRITE = "webhooks:write", _("Register and manage webhook endpoints")


def validate_scopes(value) -> None:
    if not isinstance(value, list) or not all(isinstance(scope, str) for scope in value):
        raise ValidationError(_("Scopes must be a list of scope names."), code="invalid")
    unknown = sorted(set(value) - set(Scope.values))
    if unknown:
        raise ValidationError(
            _("Unknown scope(s): %(unknown)s. Valid scopes: %(valid)s."),
            code="invalid_scope",
            params={"unknown": ", ".join(unknown), "valid": ", ".join(Scope.values)},
        )


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A credential for one integration (a till, a web shop, an app).

    Only the SHA-256 of the key is stored (see keys.py); the key itself is shown once, when it is
    created. A key is never deleted, only revoked, so what it did stays attributable.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    # A JSON list rather than an ArrayField: SQLite is supported too. Kept in Scope order.
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        api_key_changed(self)  # web processes remember key rows between requests

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """A request that must happen once (config.once), whoever sends it twice: an API request
    with an `Idempotency-Key` header (API.md), a portal redemption, a console adjustment.

    Unique per scope and key (an API key's requests, a member's, a staff user's), so two
    integrations or two people never collide; the row is inserted in the same transaction as the
    work it guards, so a concurrent request with the same key waits on the unique index until the
    first commits, then replays its outcome.
    """

    scope = models.CharField(max_length=100, help_text="Whose keys: `api-key:7`, `member:12`...")
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of what was asked (API: method, path, body)."
    )
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, help_text="The first outcome, replayed.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="once_key_unique_per_scope")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
