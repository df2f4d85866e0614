"""Forms of the member portal. They validate input and hand it to the services; the rules
(enrolment, consent history, erasure) live in the services."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from loyalty.selectors.program import program_in_force
from loyalty.services.enrolment import member_join_signed_up
from members.forms import MembershipFieldsMixin, PersonFieldsMixin, TimeZoneField


def client_address(request) -> str:
    """The address a sign-up came from, as allauth reads it for its login throttle (which
    honours the trusted proxies setting); empty when it cannot be told."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return ""


class SignupForm(MembershipFieldsMixin, AllauthSignupForm):
    """allauth's sign-up (email, password, verification mail) plus what the program needs; the
    account and the membership are created together or not at all."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_membership_fields()
        self.fields["email"].label = _("Email")

    def save(self, request):
        with transaction.atomic():
            user = super().save(request)
            member_join_signed_up(
                user=user, signup_address=client_address(request), **self.membership_values()
            )
        return user


class JoinForm(MembershipFieldsMixin, forms.Form):
    """For a signed-in account without a membership (staff, or an account from before the
    program): the same questions, without the account ones."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_membership_fields()
        if user is not None and user.first_name:
            self.fields["first_name"].initial = user.first_name


class ProfileForm(PersonFieldsMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_person_fields(own_device=True)
        self.fields["time_zone"] = time_zone_field(current=self.initial.get("time_zone", ""))

    @classmethod
    def initial_for(cls, member) -> dict:
        return {
            "time_zone": member.time_zone,
            "first_name": member.user.first_name,
            "last_name": member.user.last_name,
            "phone": member.phone,
            "language": member.language,
            "birth_day": member.birth_day,
            "birth_month": member.birth_month,
            "birth_year": member.birth_year,
        }

    def profile_values(self) -> dict:
        return {**self.person_values(), "time_zone": self.cleaned_data["time_zone"]}


def time_zone_field(*, current: str = "") -> TimeZoneField:
    program = program_in_force()
    zone = program.timezone if program else "UTC"
    return TimeZoneField(
        current=current,
        help_text=_(
            "We send you our messages at a sensible hour where you are. The shop's time zone "
            "is %(zone)s."
        )
        % {"zone": zone},
    )


class ConsentForm(forms.Form):
    """Every consent the member holds, as the boxes of one form: a box left unticked is a
    consent withdrawn (or kept withdrawn), as a browser sends it."""

    marketing_email = forms.BooleanField(
        label=_("Send me offers and news by email"), required=False
    )
    marketing_sms = forms.BooleanField(label=_("Send me offers and news by SMS"), required=False)
    marketing_push = forms.BooleanField(
        label=_("Send me offers and news as notifications on my phone"), required=False
    )
    program_notices = forms.BooleanField(
        label=_("Tell me about my points, my tier and my vouchers"),
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "program-notices-help"}),
    )

    @classmethod
    def initial_for(cls, member) -> dict:
        return {
            "marketing_email": member.marketing_email_opt_in,
            "marketing_sms": member.marketing_sms_opt_in,
            "marketing_push": member.marketing_push_opt_in,
            "program_notices": member.program_notices,
        }


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account is deleted for good and my points are lost."),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )
