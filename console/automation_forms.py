"""The marketer's automation forms: the on/off toggle of the list and the editor of one
automation (on or off, its content per message and language, its reward and its delay where
they apply). They only shape the input; campaigns.services.automations checks it, and its
refusals (at paths such as `content.referee.es.body`) are shown at the matching field
(`body_referee_es`).

Every text field starts empty, with the text Tessera ships as its placeholder and under it:
what the marketer leaves empty sends the shipped text, in the member's language, so the
editor never copies a translation that a later release would improve.
"""

from __future__ import annotations

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.composers.automations import DEFAULT_TEXTS
from campaigns.models import MAIN, Automation, AutomationCode, DeliveryPurpose
from campaigns.selectors.automations import automation_fields
from campaigns.services.automations import DELAY_DAYS_MAX
from campaigns.services.campaigns import SUBJECT_MAX_LENGTH
from config.languages import NAME_LANGUAGES
from console.campaign_forms import (
    LANGUAGE_NAMES,
    MERGE_FIELD_LABELS,
    OFFER_NONE,
    OFFER_POINTS,
    OFFER_REWARD,
)

# What each message of an automation is, for the editor's headings and the preview.
MESSAGE_NAMES = {
    MAIN: _("The message"),
    "referrer": _("To the member who invited"),
    "referee": _("To the friend who joined"),
    "upgrade": _("Up a tier"),
    "downgrade": _("Down a tier"),
}

# The automations' own merge fields, for the picker, beside the campaigns'.
AUTOMATION_FIELD_LABELS = {
    **MERGE_FIELD_LABELS,
    "gift_points": _("Points given"),
    "friend_first_name": _("Friend's first name"),
    "new_tier": _("New tier"),
    "previous_tier": _("Previous tier"),
    "reward": _("Reward of the voucher"),
    "voucher_expires_on": _("Date the voucher expires"),
    "voucher_url": _("Link to the voucher"),
    "statement_month": _("Month of the statement"),
    "statement_lines": _("Lines of the statement"),
    "survey_url": _("Link to the survey"),
}

# When each automation sends, in a sentence (CAMPAIGNS.md, Automations); win-back and survey
# say their delay in days (automation_when).
_WHEN = {
    AutomationCode.WELCOME: _("When a member joins."),
    AutomationCode.BIRTHDAY: _(
        "At 09:00 on the member's birthday, with the birthday bonus of the program."
    ),
    AutomationCode.REFERRAL: _(
        "When the first purchase of a friend who joined with a member's invitation counts "
        "(past the return window): one message to the member, one to the friend."
    ),
    AutomationCode.TIER_CHANGE: _(
        "When a member moves up a tier (at once) or down a tier (at the tier review)."
    ),
    AutomationCode.POINTS_EXPIRING: _(
        "Before a member's points expire, as many days ahead as the program warns."
    ),
    AutomationCode.VOUCHER_EXPIRING: _("7 days before an unused voucher expires."),
    AutomationCode.MONTHLY_STATEMENT: _(
        "On the 1st of each month at 09:00, to members with any movement the month before."
    ),
}

PURPOSE_TEXTS = {
    DeliveryPurpose.NOTICE: _("A program notice: sent to members who get program notices."),
    DeliveryPurpose.MARKETING: _(
        "Marketing: sent only to members who agreed to offers and news, with an unsubscribe link."
    ),
}


def automation_when(automation: Automation) -> str:
    """When it sends, in the active language, with the delay in force for those that wait."""
    days = automation.days
    if automation.code == AutomationCode.WIN_BACK:
        text = ngettext(
            "%(days)s day after a member's last purchase.",
            "%(days)s days after a member's last purchase.",
            days,
        )
    elif automation.code == AutomationCode.SURVEY:
        text = ngettext(
            "%(days)s day after a purchase, at most once every 90 days for each member.",
            "%(days)s days after a purchase, at most once every 90 days for each member.",
            days,
        )
    else:
        return str(_WHEN[automation.code])
    return text % {"days": days}


def shipped_texts(code: str, message: str, language: str) -> tuple[str, str]:
    """The subject and body Tessera ships for the message, in `language`."""
    subject, body = DEFAULT_TEXTS[(code, message)]
    with translation.override(language):
        return str(subject), str(body)


class ToggleForm(forms.Form):
    """The list's on/off button: the state wanted, not a flip, so a second click of the same
    button (a double submit, a stale page) changes nothing."""

    enabled = forms.TypedChoiceField(
        choices=[("1", _("On")), ("0", _("Off"))], coerce=lambda value: value == "1"
    )


class PreviewForm(forms.Form):
    """The member the preview is for, by number (in the query string: a preview writes
    nothing)."""

    member_number = forms.CharField(
        label=_("As member (number)"),
        max_length=13,
        required=False,
        help_text=_("Left empty: the first member."),
    )


class AutomationForm(forms.Form):
    """One automation's editor: only the fields that apply to it (a reward for those that give
    one, a delay for those that wait), a subject and a message per message and language."""

    enabled = forms.BooleanField(label=_("On: send this automation"), required=False)

    def __init__(self, *args, automation: Automation, rewards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.automation = automation
        spec = automation.spec
        if spec.delay_days is not None:
            self._delay_field_add(spec.delay_days)
        if spec.rewardable:
            self._offer_fields_add(rewards)
        for message in spec.messages:
            for language in NAME_LANGUAGES:
                self._text_fields_add(message, language)

    def _delay_field_add(self, default: int) -> None:
        self.fields["delay_days"] = forms.IntegerField(
            label=_("Days to wait"),
            min_value=1,
            max_value=DELAY_DAYS_MAX,
            required=False,
            help_text=_("Left empty: %(days)s days, the default.") % {"days": default},
        )

    def _offer_fields_add(self, rewards) -> None:
        self.fields["offer_kind"] = forms.ChoiceField(
            label=_("Give with the message"),
            choices=[
                (OFFER_NONE, _("No reward")),
                (OFFER_REWARD, _("A reward, as a voucher")),
                (OFFER_POINTS, _("Bonus points")),
            ],
            initial=OFFER_NONE,
            help_text=_("Once per member and occasion."),
        )
        self.fields["offer_reward"] = forms.ChoiceField(
            label=_("Reward to give"), choices=[("", "—"), *rewards], required=False
        )
        self.fields["offer_points"] = forms.IntegerField(
            label=_("Points"), min_value=1, required=False
        )

    def _text_fields_add(self, message: str, language: str) -> None:
        subject, body = shipped_texts(self.automation.code, message, language)
        name = LANGUAGE_NAMES[language]
        self.fields[f"subject_{message}_{language}"] = forms.CharField(
            label=_("Subject (%(language)s)") % {"language": name},
            max_length=SUBJECT_MAX_LENGTH,
            required=False,
            widget=forms.TextInput(attrs={"data-merge-target": "", "placeholder": subject}),
        )
        self.fields[f"body_{message}_{language}"] = forms.CharField(
            label=_("Message (%(language)s)") % {"language": name},
            required=False,
            widget=forms.Textarea(attrs={"rows": 8, "data-merge-target": "", "placeholder": body}),
            help_text=_("Left empty: the shipped text is sent."),
        )

    # --- What the service is given ---------------------------------------------------------

    def service_values(self) -> dict:
        """The keyword arguments of automation_update: only what this automation takes."""
        data = self.cleaned_data
        values = {"enabled": data["enabled"], "content": self._content()}
        if "delay_days" in self.fields:
            values["delay_days"] = data.get("delay_days")
        if "offer_kind" in self.fields:
            values["offer"] = self._offer()
        return values

    def _content(self) -> dict:
        content: dict[str, dict] = {}
        for message in self.automation.spec.messages:
            for language in NAME_LANGUAGES:
                subject = self.cleaned_data.get(f"subject_{message}_{language}", "")
                body = self.cleaned_data.get(f"body_{message}_{language}", "")
                if subject.strip() or body.strip():
                    content.setdefault(message, {})[language] = {"subject": subject, "body": body}
        return content

    def _offer(self) -> dict | None:
        kind = self.cleaned_data["offer_kind"]
        if kind == OFFER_REWARD:
            return {"reward": self.cleaned_data.get("offer_reward") or ""}
        if kind == OFFER_POINTS:
            return {"points": self.cleaned_data.get("offer_points")}
        return None

    def refusal_show(self, error) -> None:
        """An AutomationInvalid's problems at their fields (the form's top when none fits)."""
        for path, messages in error.errors().items():
            field = field_of(path)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    # --- What the template shows -----------------------------------------------------------

    def merge_field_choices(self) -> list[tuple[str, str]]:
        """(name, what it is) for the picker: the fields this automation's content may use,
        with the voucher's code wherever a reward may be chosen (in the same submit as the
        reward: the service takes it then; its label says it needs one)."""
        offers_voucher = True if self.automation.spec.rewardable else None
        return [
            (name, AUTOMATION_FIELD_LABELS.get(name, name))
            for name in automation_fields(self.automation, offers_voucher=offers_voucher)
        ]

    def messages(self) -> list[dict]:
        """Each message with its name and, per language, its fields and the shipped text."""
        return [
            {"key": message, "name": MESSAGE_NAMES[message], "languages": self._languages(message)}
            for message in self.automation.spec.messages
        ]

    def _languages(self, message: str) -> list[dict]:
        found = []
        for language in NAME_LANGUAGES:
            subject, body = shipped_texts(self.automation.code, message, language)
            found.append(
                {
                    "code": language,
                    "name": LANGUAGE_NAMES[language],
                    "subject": self[f"subject_{message}_{language}"],
                    "body": self[f"body_{message}_{language}"],
                    "shipped_subject": subject,
                    "shipped_body": body,
                }
            )
        return found

    def error_links(self) -> list[tuple[str, str]]:
        """(id, what) of each refused field, for the summary at the top: with the message's
        name when the automation sends more than one (each has a "Subject (Spanish)")."""
        several = len(self.automation.spec.messages) > 1
        links = []
        for bound in self:
            if not bound.errors:
                continue
            label = str(bound.label)
            message = _message_of(bound.name)
            if several and message:
                label = f"{MESSAGE_NAMES[message]} · {label}"
            links.append((bound.id_for_label, label))
        return links

    @classmethod
    def initial_for(cls, automation: Automation) -> dict:
        initial = {
            "enabled": automation.enabled,
            "delay_days": automation.delay_days,
            "offer_kind": OFFER_REWARD
            if automation.offer_reward_id
            else OFFER_POINTS
            if automation.offer_points
            else OFFER_NONE,
            "offer_reward": automation.offer_reward.code if automation.offer_reward_id else "",
            "offer_points": automation.offer_points,
        }
        for message, languages in (automation.content or {}).items():
            for language, texts in languages.items():
                initial[f"subject_{message}_{language}"] = texts.get("subject", "")
                initial[f"body_{message}_{language}"] = texts.get("body", "")
        return initial


def _message_of(field_name: str) -> str | None:
    kind, _sep, rest = field_name.partition("_")
    if kind not in ("subject", "body"):
        return None
    message, _sep, _language = rest.rpartition("_")
    return message


def field_of(path: str) -> str | None:
    """The form field of a problem's path: `content.referee.es.body` is `body_referee_es`,
    `offer.points` is `offer_points`; None for a path no field shows (`content.referee`)."""
    parts = path.split(".")
    if parts[0] == "content":
        if len(parts) == 4:
            return f"{parts[3]}_{parts[1]}_{parts[2]}"
        if len(parts) == 3:
            return f"body_{parts[1]}_{parts[2]}"
        return None
    if parts[0] == "offer":
        return {"reward": "offer_reward", "points": "offer_points"}.get(parts[-1], "offer_kind")
    return parts[0]
