"""The marketer's campaign forms: a draft (content per language, segment, holdout, offer) and its
schedule. They only shape the input; campaigns.services.campaigns checks it, and its refusals
(at paths such as `content.es.body`) are shown at the matching field (`body_es`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.content import MERGE_FIELDS
from campaigns.models import CampaignChannel
from campaigns.models.campaigns import HOLDOUT_MAX_PERCENT
from config.languages import NAME_LANGUAGES

LANGUAGE_NAMES = {"en": _("English"), "es": _("Spanish"), "fr": _("French")}
OFFER_NONE, OFFER_REWARD, OFFER_POINTS = "none", "reward", "points"
# What each merge field is, for the picker; a field missing here is offered by its name alone.
MERGE_FIELD_LABELS = {
    "first_name": _("First name"),
    "points": _("Available points"),
    "pending_points": _("Pending points"),
    "tier": _("Tier"),
    "next_tier": _("Next tier"),
    "amount_to_next_tier": _("Amount to the next tier"),
    "expiring_points": _("Points about to expire"),
    "expiring_on": _("Date they expire"),
    "voucher_code": _("Voucher code (with an offer)"),
    "portal_url": _("Link to the portal"),
    "unsubscribe_url": _("Unsubscribe link"),
}


class CampaignForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=50, help_text=_("For example december-wine.")
    )
    name = forms.CharField(label=_("Name (for staff)"), max_length=200)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    segment = forms.ChoiceField(label=_("Segment"))
    holdout_percent = forms.IntegerField(
        label=_("Holdout (%)"),
        min_value=0,
        max_value=HOLDOUT_MAX_PERCENT,
        initial=0,
        help_text=_("A share of the segment that gets nothing, to measure the campaign against."),
    )
    offer_kind = forms.ChoiceField(
        label=_("Offer"),
        choices=[
            (OFFER_NONE, _("No offer")),
            (OFFER_REWARD, _("A reward, as a voucher")),
            (OFFER_POINTS, _("Bonus points")),
        ],
        initial=OFFER_NONE,
    )
    offer_reward = forms.ChoiceField(label=_("Reward"), required=False)
    offer_points = forms.IntegerField(label=_("Points"), min_value=1, required=False)

    def __init__(self, *args, segments=(), rewards=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = list(segments)
        self.fields["offer_reward"].choices = [("", "—"), *rewards]
        if editing:
            self.fields["code"].disabled = True
        for language in NAME_LANGUAGES:
            name = LANGUAGE_NAMES[language]
            self.fields[f"subject_{language}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"data-merge-target": ""}),
            )
            self.fields[f"body_{language}"] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 8, "data-merge-target": ""}),
                required=False,
            )

    def service_values(self) -> dict:
        data = self.cleaned_data
        content = {}
        for language in NAME_LANGUAGES:
            subject, body = data.get(f"subject_{language}", ""), data.get(f"body_{language}", "")
            if subject.strip() or body.strip():
                content[language] = {"subject": subject, "body": body}
        offer = None
        if data["offer_kind"] == OFFER_REWARD:
            offer = {"reward": data.get("offer_reward") or ""}
        elif data["offer_kind"] == OFFER_POINTS:
            offer = {"points": data.get("offer_points")}
        return {
            "name": data["name"],
            "channel": data["channel"],
            "segment": data["segment"],
            "content": content,
            "holdout_percent": data["holdout_percent"],
            "offer": offer,
        }

    def refusal_show(self, error) -> None:
        """A CampaignInvalid's problems at their fields."""
        for path, messages in error.errors().items():
            field = _field_of(path)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    @staticmethod
    def merge_fields() -> tuple[str, ...]:
        return MERGE_FIELDS

    @staticmethod
    def merge_field_choices() -> list[tuple[str, str]]:
        """(name, what it is) for the editor's picker, in the order of CAMPAIGNS.md."""
        return [(name, MERGE_FIELD_LABELS.get(name, name)) for name in MERGE_FIELDS]

    def languages(self) -> list[dict]:
        """Each language's name and its subject and message fields, for the editor's fieldsets."""
        return [
            {
                "code": language,
                "name": LANGUAGE_NAMES[language],
                "subject": self[f"subject_{language}"],
                "body": self[f"body_{language}"],
            }
            for language in NAME_LANGUAGES
        ]

    @classmethod
    def initial_for(cls, campaign) -> dict:
        initial = {
            "code": campaign.code,
            "name": campaign.name,
            "channel": campaign.channel,
            "segment": campaign.segment.code if campaign.segment_id else "",
            "holdout_percent": campaign.holdout_percent,
            "offer_kind": OFFER_REWARD
            if campaign.offer_reward_id
            else OFFER_POINTS
            if campaign.offer_points
            else OFFER_NONE,
            "offer_reward": campaign.offer_reward.code if campaign.offer_reward_id else "",
            "offer_points": campaign.offer_points,
        }
        for language, texts in (campaign.content or {}).items():
            initial[f"subject_{language}"] = texts.get("subject", "")
            initial[f"body_{language}"] = texts.get("body", "")
        return initial


def _field_of(path: str) -> str | None:
    parts = path.split(".")
    if parts[0] == "content" and len(parts) == 3:
        return f"{parts[2]}_{parts[1]}"
    if parts[0] == "content" and len(parts) == 2:
        return f"body_{parts[1]}"
    if parts[0] == "offer":
        return {"reward": "offer_reward", "points": "offer_points"}.get(parts[-1], "offer_kind")
    return None if parts[0] == "content" else parts[0]


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Start sending at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now. In the shop's time zone."),
    )
    local_time = forms.TimeField(
        label=_("At this time on each member's clock"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Empty: everyone at the start."),
    )


class TestSendForm(forms.Form):
    member_number = forms.CharField(label=_("As member (number)"), max_length=13)
    to = forms.CharField(label=_("Send the test to"), max_length=254, required=False)
