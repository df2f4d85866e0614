from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.managers import UserManager
from members.search import person_search_key_expression
from members.time_zones import TIME_ZONE_MAX_LENGTH, time_zone_validate


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: members of the program and shop staff. Email is the login."""

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Designates whether the user can use the staff console and admin."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Names and email folded (no accents, lower case), computed by the database on every write,
    # for the staff console's search (members.search; trigram-indexed on PostgreSQL).
    search_key = models.GeneratedField(
        expression=person_search_key_expression(),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("search key"),
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    FRENCH = "fr", _("French")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    # Earns nothing, redeems nothing, and none of their vouchers is consumed, until unblocked.
    BLOCKED = "blocked", _("blocked")


class Member(models.Model):
    """A customer in the program. Every member has a User (enrolled at the till: no usable
    password until they claim the account by resetting it)."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="member")
    member_number = models.CharField(
        _("member number"),
        max_length=13,
        unique=True,
        editable=False,
        help_text=_("Printed on the card: 13 digits, the last a check digit (EAN-13)."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    birth_day = models.PositiveSmallIntegerField(_("birth day"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("birth month"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    # When the member set or moved their birthday (day or month), for the rule that a birthday
    # set or changed less than 30 days before it counts from the next year (members.birthdays
    # .birthday_gift_year). Empty for a birthday the shop already knew: imported, or stored
    # before this was recorded.
    birthday_changed_at = models.DateTimeField(_("birthday changed at"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    # Blank: the program's time zone, whatever it is at the time (loyalty.selectors.members
    # .member_time_zone), so that a shop that changes its zone moves everyone who never chose.
    time_zone = models.CharField(
        _("time zone"),
        max_length=TIME_ZONE_MAX_LENGTH,
        blank=True,
        default="",
        validators=[time_zone_validate],
        help_text=_("IANA name, such as Europe/Madrid; empty: the program's."),
    )
    # The current consents; every change is a ConsentChange (members.services.member_consents_set).
    marketing_email_opt_in = models.BooleanField(_("marketing email"), default=False)
    marketing_sms_opt_in = models.BooleanField(_("marketing SMS"), default=False)
    marketing_push_opt_in = models.BooleanField(_("marketing push notifications"), default=False)
    # Program notices (welcome, tier change, points or a voucher expiring...) are not marketing:
    # every member gets them unless they turn them off (CAMPAIGNS.md).
    program_notices = models.BooleanField(_("program notices"), default=True)
    referral_code = models.CharField(_("referral code"), max_length=16, unique=True, editable=False)
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    # A keyed hash of the network address the member signed up from (members.services
    # .signup_address_hash), for the referral check that holds bursts of sign-ups with one code
    # from one address; the address itself is not kept. Empty when joined at the till or
    # imported. Cleared when the member is erased.
    signup_address = models.CharField(
        _("sign-up address (hashed)"), max_length=64, blank=True, editable=False
    )
    # The current block, if any (console.services.member_block); every block and unblock
    # is also a StaffAction, which keeps the history this row forgets on unblocking.
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    blocked_reason = models.CharField(_("reason for the block"), max_length=500, blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("blocked by"),
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        # What shop staff may do, granted through the roles in members.roles. Declared here
        # because every one of them acts on a member or on the program's members at large.
        permissions = [
            ("enrol_member", _("Can enrol a member at the till")),
            ("record_purchase", _("Can record a purchase")),
            (
                "record_purchase_above_limit",
                _("Can record a purchase above the program's limit, confirming it"),
            ),
            ("refund_purchase", _("Can refund a purchase")),
            ("adjust_points", _("Can adjust points, up to the cashier limit")),
            ("adjust_points_any", _("Can adjust points by any amount")),
            ("consume_voucher", _("Can validate and consume a voucher")),
            ("import_data", _("Can import members and purchases")),
            ("export_data", _("Can export members and the ledger")),
            ("view_analytics", _("Can read the analytics")),
            ("manage_segments", _("Can build segments")),
            ("manage_campaigns", _("Can manage campaigns")),
            ("block_member", _("Can block and unblock a member")),
            ("review_referrals", _("Can release or reject a held referral")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_month__isnull=True)
                | models.Q(birth_month__gte=1, birth_month__lte=12),
                name="member_birth_month_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_day__isnull=True)
                | models.Q(birth_day__gte=1, birth_day__lte=31),
                name="member_birth_day_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(referred_by=models.F("pk")), name="member_no_self_referral"
            ),
            # A block always says why, when and by whom; an active member carries no block.
            models.CheckConstraint(
                condition=models.Q(
                    status=MemberStatus.ACTIVE,
                    blocked_reason="",
                    blocked_at__isnull=True,
                    blocked_by__isnull=True,
                )
                | (
                    models.Q(
                        status=MemberStatus.BLOCKED,
                        blocked_at__isnull=False,
                        blocked_by__isnull=False,
                    )
                    & ~models.Q(blocked_reason="")
                ),
                name="member_status_block_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_number} {self.user.email}"

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def is_blocked(self) -> bool:
        return self.status == MemberStatus.BLOCKED


class ConsentKind(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("marketing email")
    MARKETING_SMS = "marketing_sms", _("marketing SMS")
    MARKETING_PUSH = "marketing_push", _("marketing push notifications")
    PROGRAM_NOTICES = "program_notices", _("program notices")


class ConsentSource(models.TextChoices):
    SIGNUP = "signup", _("sign-up")
    PROFILE = "profile", _("profile page")
    ERASURE = "erasure", _("account deleted")
    STAFF = "staff", _("staff")
    API = "api", _("API")
    # A shop's member file loaded in bulk (its opt-in column), dated when the member joined.
    IMPORT = "import", _("import")
    # The signed link in a message's footer or List-Unsubscribe header (CAMPAIGNS.md).
    UNSUBSCRIBE = "unsubscribe", _("unsubscribe link")


class ConsentChange(models.Model):
    """One grant or withdrawal of a consent (marketing per channel, or program notices), kept
    as evidence of what the member agreed to and when. Append-only; the member's current
    consent is on `Member`."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="consent_changes")
    kind = models.CharField(_("consent"), max_length=32, choices=ConsentKind.choices)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=["member", "-at"])]

    def __str__(self) -> str:
        return f"{self.kind} {'granted' if self.granted else 'withdrawn'} at {self.at:%Y-%m-%d}"


class StaffActionKind(models.TextChoices):
    ENROL = "enrol", _("enrolled the member")
    PURCHASE = "purchase", _("recorded a purchase")
    REFUND = "refund", _("refunded a purchase")
    ADJUST = "adjust", _("adjusted points")
    VOUCHER_CONSUME = "voucher_consume", _("consumed a voucher")
    BLOCK = "block", _("blocked the member")
    UNBLOCK = "unblock", _("unblocked the member")
    PURCHASE_ABOVE_LIMIT = "purchase_above_limit", _("recorded a purchase above the limit")
    # The marketer's actions: on a segment or a campaign (the subject), for no one member.
    SEGMENT_CREATE = "segment_create", _("created the segment")
    SEGMENT_UPDATE = "segment_update", _("changed the segment")
    SEGMENT_DELETE = "segment_delete", _("deleted the segment")
    SEGMENT_EXPORT = "segment_export", _("downloaded the segment's members")
    CAMPAIGN_CREATE = "campaign_create", _("created the campaign")
    CAMPAIGN_UPDATE = "campaign_update", _("changed the draft")
    CAMPAIGN_SCHEDULE = "campaign_schedule", _("scheduled the campaign")
    CAMPAIGN_PAUSE = "campaign_pause", _("paused the campaign")
    CAMPAIGN_RESUME = "campaign_resume", _("resumed the campaign")
    CAMPAIGN_CANCEL = "campaign_cancel", _("cancelled the campaign")
    CAMPAIGN_TEST_SEND = "campaign_test_send", _("sent a test")
    CAMPAIGN_SEND_AGAIN = "campaign_send_again", _("sent the unknown messages again")
    AUTOMATION_UPDATE = "automation_update", _("changed the automation")
    REFERRAL_RELEASE = "referral_release", _("released the referral")
    REFERRAL_REJECT = "referral_reject", _("rejected the referral")


class StaffAction(models.Model):
    """What someone did in the staff console, to what, and why: the console's own record. The
    ledger, refunds and vouchers also carry their actor; this row adds what they cannot hold
    (a refund's reason) and one place to read a shift's actions. Append-only.

    A till action is about a `member`; a marketer's is about a segment or a campaign, named by
    `subject` (`segment:lapsed-silver`, `campaign:spring-sale`). A subject is text, not a key to
    the campaigns app: members sits below campaigns, and a deleted segment keeps its history.
    Only people act here: what an API key does is the key's (config.api), not a staff action."""

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="staff_actions", verbose_name=_("by")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_actions",
        verbose_name=_("member"),
    )
    subject = models.CharField(_("subject"), max_length=120, blank=True)
    kind = models.CharField(_("action"), max_length=32, choices=StaffActionKind.choices)
    # What the action made ("refund:42"): unique, so a double submit or a retry that the
    # services replay is recorded once.
    key = models.CharField(_("key"), max_length=100, unique=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")
        ordering = ("-at", "-pk")
        indexes = [
            models.Index(fields=["member", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["subject", "-at"]),
        ]
        constraints = [
            # Every action is about someone or something.
            models.CheckConstraint(
                condition=models.Q(member__isnull=False) | ~models.Q(subject=""),
                name="staff_action_has_member_or_subject",
            ),
        ]

    def __str__(self) -> str:
        about = self.subject or self.member_id
        return f"{self.actor_id} {self.kind} {about} at {self.at:%Y-%m-%d %H:%M}"
