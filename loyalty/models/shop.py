"""What a shop puts its name to beyond the program file: its logo, its accent colour and the
texts of its privacy policy, terms and contact page in each language (ISSUE: "the shop's name,
not ours"). One row, edited in the admin; nothing here changes points. The program's name is
the program file's (`program.name`)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SHOP_PROFILE_PK = 1
# The page frame's short memory (loyalty.selectors.program.shop_frame): the shop's name, logo
# and accent, per process.
FRAME_SECONDS = 30
frame_memory: dict = {}


def shop_frame_forget() -> None:
    """Forget the frame: the program or the profile just changed in this process."""
    frame_memory.clear()


LEGAL_KINDS = ("privacy", "terms", "contact")

accent_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Write the colour as # and six hexadecimal digits, such as #a8431d.")
)


class ShopProfile(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=SHOP_PROFILE_PK, editable=False)
    logo = models.ImageField(
        _("logo"),
        upload_to="shop/",
        blank=True,
        help_text=_("Shown at the top of every member page, about 40 pixels high."),
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[accent_validator],
        help_text=_(
            "Buttons and links (empty: the portal's own). A dark one: white text sits on it."
        ),
    )
    privacy_en = models.TextField(_("privacy policy (English)"), blank=True)
    privacy_es = models.TextField(_("privacy policy (Spanish)"), blank=True)
    privacy_fr = models.TextField(_("privacy policy (French)"), blank=True)
    terms_en = models.TextField(_("terms (English)"), blank=True)
    terms_es = models.TextField(_("terms (Spanish)"), blank=True)
    terms_fr = models.TextField(_("terms (French)"), blank=True)
    contact_en = models.TextField(_("contact (English)"), blank=True)
    contact_es = models.TextField(_("contact (Spanish)"), blank=True)
    contact_fr = models.TextField(_("contact (French)"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("shop profile")
        verbose_name_plural = _("shop profile")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=SHOP_PROFILE_PK), name="loyalty_shop_profile_one_row"
            )
        ]

    def __str__(self) -> str:
        return str(_("Shop profile"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        shop_frame_forget()

    def legal_text(self, kind: str, language: str) -> str:
        """The shop's text of `kind` in `language`, else in any language it wrote ("" when none)."""
        for candidate in (language, "en", "es", "fr"):
            text = getattr(self, f"{kind}_{candidate}", "") or ""
            if text.strip():
                return text
        return ""
