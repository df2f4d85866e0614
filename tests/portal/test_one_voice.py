"""One voice per language (issue 15): every page a member sees and every mail a member gets
reads, in Spanish and in French, as written in that language, addressing the member as "usted"
or "vous" throughout, allauth's pages and mails included.

Each page and mail is rendered in English and in the language, its visible text cut into
segments (text nodes, the attributes people read or hear, a mail's lines), and a segment fails
when it is left in English (the English page's segment, with an English word in it), shows a
raw code (a tier's, a category's, a snake_case name, a template placeholder) or speaks to the
member as "tú" / "tu"; a percentage without its no-break space ("20 %") and a reward's name
inside a sentence (capitalised mid-sentence, and a grammar that would depend on its gender)
fail too. Every failure is reported at once, with its page and its text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from campaigns.composers import composer_get
from campaigns.links import survey_url, unsubscribe_url
from campaigns.models import AUTOMATIONS, AutomationCode, Campaign, Delivery, Survey
from campaigns.services.automations import automation_update
from loyalty.benefits import BENEFITS
from loyalty.channels import Channel
from loyalty.models import EntryKind, LedgerEntry, Purchase, TierChange
from loyalty.selectors.program import program_in_force
from loyalty.services.enrolment import member_join_signed_up
from loyalty.services.ledger import lots_mature, points_gift
from loyalty.services.program import program_import
from loyalty.services.purchases import purchase_record, refund_record
from members.models import Member
from members.time_zones import offered_time_zones, time_zone_label
from rewards.models import Reward, RewardKind, Voucher, VoucherStatus
from rewards.services.redemption import reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.conftest import PASSWORD
from tests.factories.ledger import purchase_body
from tests.factories.loyalty import example_program_text
from tests.factories.members import UserFactory, portal_member_create

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
LANGUAGES = ["es", "fr"]
WINE = {"sku": "VINO-TINTO-75", "category": "wine", "quantity": 4, "unit_price": "12.50"}
CATEGORIES = "categories:\n  - {code: wine, name: {en: Wine, es: Vino, fr: Vin}}\n"

# Words that mark a segment as English when the English page shows the very same segment.
ENGLISH_WORDS = {
    "a", "an", "and", "are", "at", "be", "been", "by", "can", "for", "from", "has", "have",
    "here", "if", "in", "is", "it", "more", "my", "no", "not", "of", "on", "or", "our",
    "please", "points", "see", "sign", "the", "there", "this", "to", "up", "was", "we",
    "will", "with", "you", "your", "account", "password", "email", "reward", "rewards",
    "voucher", "vouchers", "code", "card", "profile", "tier", "balance", "back", "cancel",
    "confirm", "change", "reset", "join", "invite", "friends", "activity", "home", "out",
}  # fmt: skip
# Words that make any segment English, even one with a name or a number of the language in it
# ("Your voucher (Una botella…) is still unused"): two of them, or one and another English word.
ENGLISH_GRAMMAR = {"the", "your", "you", "and", "with", "is", "are", "this", "will", "have"}
ENGLISH_GRAMMAR |= {"has", "been", "our", "of", "for", "to", "it", "its", "we", "there"}
# English words that are also words of the language, and so prove nothing there.
SHARED_WORDS = {
    "es": {"a", "no", "email"},
    "fr": {"a", "an", "on", "or", "points", "code", "email", "tier", "change", "balance", "invite"},
}
# What reads the same in every language: the brand, the program's name, people's names.
SAME_IN_EVERY_LANGUAGE = re.compile(r"Tessera|Club Sicmay|Alice|Bruno|Carmen")
# Time zones beyond the likely ones are offered by their IANA names ("Europe/Isle of Man").
ZONE_NAMES = {time_zone_label(name) for name in offered_time_zones()}
# Codes that are also words of the language ("la app", "une base", "expire le").
CODES_THAT_ARE_WORDS = {"es": {"app", "base"}, "fr": {"base", "bonus", "expire"}}
URL_OR_ADDRESS = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Collapsed, but a no-break space is kept: it is part of what is checked ("20 %").
SPACES = re.compile(r"[ \t\n\r\f\v]+")
WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}|%\(\w+\)|%[sd]\b")
# "20 %" in Spanish and French, with a no-break space.
PERCENT_UNSPACED = re.compile(r"\d(?: ?)%")
# "Tú" in Spanish, "tu" in French: a pronoun, a possessive or a verb only "tú" takes.
FAMILIAR = {
    "es": re.compile(
        r"\b(?:tú|tu|tus|ti|te|contigo|tuyo|tuya|tuyos|tuyas|eres|estás|puedes|tienes|"
        r"quieres|necesitas|debes|has|ves|vete|haz|(?<!se )comprueba|introdúcelo|"
        r"olvidaste|solicitaste|recibiste|creaste|hiciste|usaste|regístrate|únete)\b",
        re.IGNORECASE,
    ),
    "fr": re.compile(
        r"\b(?:tu|toi|te|ton|ta|tes|tien|tienne)\b|\bt['\u2019](?=[^\W\d_])", re.IGNORECASE
    ),
}
# Attributes whose text is read (alt, title) or heard (aria-label) or shown by the page's script
# (the invite page's copy and share texts).
READ_ATTRIBUTES = {
    "alt",
    "aria-label",
    "placeholder",
    "title",
    "data-copied",
    "data-share-title",
    "data-share-text",
}


class VisibleText(HTMLParser):
    """A page's text as people read or hear it: its text nodes and read attributes, one
    whitespace-collapsed segment each (scripts and styles left out)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
            return
        values = dict(attrs)
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._add(value)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self._add(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self._add(data)

    def _add(self, text: str) -> None:
        segment = collapse(text)
        if segment:
            self.segments.append(segment)


def collapse(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def text_segments(subject: str, text: str, html: str = "") -> list[str]:
    """A message's subject, the lines of its text and the text of its HTML part."""
    segments = [collapse(subject), *(collapse(line) for line in text.splitlines() if line.strip())]
    return segments + (VisibleText(html).segments if html else [])


def mail_segments(message) -> list[str]:
    """A mail as Django's outbox keeps it."""
    html = next(
        (body for body, kind in getattr(message, "alternatives", []) if kind == "text/html"), ""
    )
    return text_segments(str(message.subject), message.body, html)


@dataclass
class Findings:
    language: str
    codes: set[str]
    # The rewards' names in the language, which must never stand inside a sentence.
    names: set[str]
    failures: list[str] = field(default_factory=list)

    def check(self, where: str, segments: list[str], english: list[str]) -> None:
        english_segments = set(english)
        words_of_english = ENGLISH_WORDS - SHARED_WORDS[self.language]
        codes = self.codes - CODES_THAT_ARE_WORDS[self.language]
        for segment in dict.fromkeys(segments):
            if segment in ZONE_NAMES:
                continue
            text = SAME_IN_EVERY_LANGUAGE.sub(" ", URL_OR_ADDRESS.sub(" ", segment))
            words = WORD.findall(text)
            # Codes and abbreviations ("…-D9JR-BE", "SMS") are not words of any language.
            lowered = {word.lower() for word in words if not word.isupper()}
            grammar = lowered & ENGLISH_GRAMMAR
            if (
                (segment in english_segments and lowered & words_of_english)
                or len(grammar) >= 2
                or (grammar and len(lowered & words_of_english) >= 2)
            ):
                self._fail(where, "English", segment)
            raw = SNAKE_CASE.findall(text) + PLACEHOLDER.findall(text)
            raw += [word for word in words if word in codes]
            if raw:
                self._fail(where, f"raw code {', '.join(dict.fromkeys(raw))}", segment)
            # A word in capitals is a code's part ("K6JA-GE8M-M5RD-TE"), not "te".
            familiar = [
                word
                for word in FAMILIAR[self.language].findall(text)
                if not (word.isupper() and word.isalpha())
            ]
            if familiar:
                self._fail(where, f"familiar {', '.join(dict.fromkeys(familiar))}", segment)
            if PERCENT_UNSPACED.search(text):
                self._fail(where, "percent without a no-break space", segment)
            for name in self.names:
                if re.search(rf"[^\W\d_] {re.escape(name)}", segment):
                    self._fail(where, "a reward's name inside a sentence", segment)

    def _fail(self, where: str, why: str, segment: str) -> None:
        self.failures.append(f"{self.language} {where}: [{why}] {segment!r}")


# --- The member and what happened to her ------------------------------------------------------


@pytest.fixture
def program(db, time_machine):
    """The example program (tiers, rules, the rewards catalog) naming its category, as a shop's
    program does (a category it does not name is shown by its code, and import warns), in force
    long before NOW."""
    time_machine.move_to(NOW - datetime.timedelta(days=700), tick=False)
    text = example_program_text().replace("\ntiers:", f"\n{CATEGORIES}\ntiers:", 1)
    program_import(text=text, note="example")
    time_machine.move_to(NOW, tick=False)
    for code in (AutomationCode.MONTHLY_STATEMENT, AutomationCode.WIN_BACK, AutomationCode.SURVEY):
        automation_update(code=code, enabled=True)
    # The gifts an automation may add to its message, in words.
    automation_update(code=AutomationCode.WELCOME, offer={"reward": "free-bottle"})
    automation_update(code=AutomationCode.WIN_BACK, offer={"points": 50})
    return program_in_force()


def _buy(member, external_id: str, days_ago: int, amount: str, items=()) -> Purchase:
    purchase, _created = purchase_record(
        member=member,
        **purchase_body(
            external_id=external_id,
            amount=Decimal(amount),
            items=list(items),
            purchased_at=NOW - datetime.timedelta(days=days_ago),
        ),
    )
    return purchase


@dataclass
class Story:
    """Alice: Silver by a big basket of wine, part of it returned, points about to expire, a
    voucher kept and one used, a friend who joined with her code, a survey to answer."""

    alice: Member
    friend: Member
    entries: dict[str, LedgerEntry]
    kept_voucher_code: str
    survey: Survey
    last_purchase: Purchase


@pytest.fixture
def story(program) -> Story:
    alice = portal_member_create(email="alice@example.com", first_name="Alice")
    _buy(alice, "alice-old", 348, "300.00")  # expires within the warning window
    basket = _buy(alice, "alice-basket", 40, "600.00", [WINE])
    refund_record(
        purchase=basket,
        external_id="alice-return",
        amount=Decimal("12.50"),
        items=[{**WINE, "quantity": 1}],
    )
    lots_mature(member=alice, at=NOW)
    bottle = Reward.objects.get(code="free-bottle")
    used = reward_redeem(member=alice, reward=bottle)
    voucher_consume(code=used.voucher.code, order_ref="till-1")
    kept = reward_redeem(member=alice, reward=bottle)
    recent = _buy(alice, "alice-recent", 2, "20.00")
    friend = member_join_signed_up(
        user=UserFactory(email="bruno@example.com", first_name="Bruno"),
        first_name="Bruno",
        referral_code=alice.referral_code,
    )
    points_gift(
        member=alice,
        points=300,
        bonus_key=f"referral:{friend.pk}",
        event="referral",
        source_type="referral",
        source_id=str(friend.pk),
    )
    points_gift(
        member=friend,
        points=150,
        bonus_key="referral:referee",
        event="referral",
        source_type="referral",
        source_id=str(friend.pk),
    )
    entries = {
        kind: LedgerEntry.objects.filter(member=alice, kind=kind).order_by("pk").first()
        for kind in (EntryKind.EARN, EntryKind.BONUS, EntryKind.REDEEM, EntryKind.REFUND)
    }
    return Story(
        alice=alice,
        friend=friend,
        entries=entries,
        kept_voucher_code=kept.voucher.code,
        survey=Survey.objects.create(member=alice, purchase=recent),
        last_purchase=recent,
    )


def raw_codes(program) -> set[str]:
    """Codes a page must never print: the program's tiers, categories and rules, the channels,
    the rewards' kinds and codes, the ledger's and the vouchers' states, the benefits."""
    codes = {tier.code for tier in program.tiers}
    codes |= {rule.code for rule in program.rules}
    codes |= {getattr(rule, "category", "") or "" for rule in program.rules}
    codes |= set(Channel.values) | set(RewardKind.values) | set(EntryKind.values)
    codes |= set(VoucherStatus.values) | set(BENEFITS)
    codes |= set(Reward.objects.values_list("code", flat=True))
    return codes - {""}


def set_language(members, language: str) -> None:
    for member in members:
        Member.objects.filter(pk=member.pk).update(language=language)
        member.language = language


# --- Pages ------------------------------------------------------------------------------------


def member_pages(story: Story) -> dict[str, str]:
    entries = story.entries
    return {
        "home": reverse("members:home"),
        "activity": reverse("members:activity"),
        **{
            f"explanation of the {kind} entry": reverse("members:entry", args=[entry.pk])
            for kind, entry in entries.items()
            if entry is not None
        },
        "rewards": reverse("members:rewards"),
        "a reward's confirmation": reverse("members:redeem", args=["free-bottle"]),
        "a 20% reward's confirmation": reverse("members:redeem", args=["loyal20"]),
        "vouchers": reverse("members:vouchers"),
        "a voucher's cancellation": reverse(
            "members:voucher_cancel", args=[story.kept_voucher_code]
        ),
        "card": reverse("members:card"),
        "invite": reverse("members:invite"),
        "profile": reverse("members:profile"),
        "erase": reverse("members:erase"),
        "email addresses": reverse("account_email"),
        "password change": reverse("account_change_password"),
        "sign-out": reverse("account_logout"),
    }


def link_pages(story: Story) -> dict[str, str]:
    """The pages a message's links open without signing in, in the member's language."""
    return {
        "survey": survey_url(survey_pk=story.survey.pk),
        "unsubscribe": unsubscribe_url(member_pk=story.alice.pk, kind="email"),
    }


def page_segments(client, url: str, language: str, *, method="get", data=None) -> list[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = getattr(client, method)(url, data or {}, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    return VisibleText(response.content.decode()).segments


def check_pages(findings: Findings, client, pages: dict[str, str], story, language) -> None:
    for where, url in pages.items():
        set_language([story.alice], "en")
        english = page_segments(client, url, "en")
        set_language([story.alice], language)
        findings.check(where, page_segments(client, url, language), english)


HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def redeemed_and_cancelled(client, story: Story, language: str) -> dict[str, list[str]]:
    """What a member reads after redeeming a reward and after cancelling its voucher, as a
    page and in place (htmx)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    found = {}
    redeem_url = reverse("members:redeem", args=["free-bottle"])
    for where, headers in (("as a page", {}), ("in place", HTMX)):
        token = TOKEN.search(client.get(redeem_url).content.decode()).group(1)
        response = client.post(redeem_url, {"token": token}, follow=True, **headers)
        found[f"the rewards after redeeming, {where}"] = VisibleText(
            response.content.decode()
        ).segments
    issued = Voucher.objects.filter(
        redemption__member=story.alice, status=VoucherStatus.ISSUED
    ).order_by("-pk")[:2]
    for (where, headers), voucher in zip(
        (("as a page", {}), ("in place", HTMX)), issued, strict=True
    ):
        url = reverse("members:voucher_cancel", args=[voucher.code])
        response = client.post(url, follow=True, **headers)
        found[f"the vouchers after cancelling, {where}"] = VisibleText(
            response.content.decode()
        ).segments
    return found


# --- Mails ------------------------------------------------------------------------------------


def automation_deliveries(story: Story) -> dict[str, Delivery]:
    """A saved delivery of every automation's message, each for a real occasion."""
    alice, friend = story.alice, story.friend
    tier_change = TierChange.objects.filter(member=alice).order_by("pk").first()
    assert tier_change is not None, "Alice's basket took her to Silver"
    downgrade = TierChange.objects.create(
        member=alice,
        from_code="silver",
        to_code="bronze",
        reason="review",
        qualifying_total=Decimal("0"),
    )
    voucher = (
        Reward.objects.get(code="free-bottle")
        .redemptions.get(voucher__code=story.kept_voucher_code)
        .voucher
    )
    occasions = {
        "welcome": (AutomationCode.WELCOME, alice, str(alice.pk)),
        "birthday": (AutomationCode.BIRTHDAY, alice, str(NOW.year)),
        "referral, to the referrer": (AutomationCode.REFERRAL, alice, str(friend.pk)),
        "referral, to the friend": (AutomationCode.REFERRAL, friend, str(friend.pk)),
        "tier upgrade": (AutomationCode.TIER_CHANGE, alice, str(tier_change.pk)),
        "tier downgrade": (AutomationCode.TIER_CHANGE, alice, str(downgrade.pk)),
        "points expiring": (AutomationCode.POINTS_EXPIRING, alice, "2026-12-06"),
        "voucher expiring": (AutomationCode.VOUCHER_EXPIRING, alice, str(voucher.pk)),
        "monthly statement": (AutomationCode.MONTHLY_STATEMENT, alice, "2026-10"),
        "win-back": (AutomationCode.WIN_BACK, alice, str(story.last_purchase.pk)),
        "survey": (AutomationCode.SURVEY, alice, str(story.survey.pk)),
    }
    return {
        where: Delivery.objects.create(
            automation=code,
            member=member,
            occasion=occasion,
            purpose=AUTOMATIONS[code].purpose,
            channel="email",
        )
        for where, (code, member, occasion) in occasions.items()
    }


def campaign_delivery(story: Story) -> Delivery:
    """A campaign mail: the marketer's words in each language, the footer ours."""
    campaign = Campaign.objects.create(
        code="autumn",
        name="Autumn",
        channel="email",
        content={
            "en": {"subject": "Autumn", "body": "Hello {{ first_name }}"},
            "es": {"subject": "Otoño", "body": "Hola {{ first_name }}"},
            "fr": {"subject": "Automne", "body": "Bonjour {{ first_name }}"},
        },
    )
    return Delivery.objects.create(
        campaign=campaign, member=story.alice, purpose="marketing", channel="email"
    )


def composed_segments(delivery: Delivery, language: str) -> list[str]:
    member = Member.objects.select_related("user").get(pk=delivery.member_id)
    member.language = language
    composed = composer_get(delivery.source).compose(delivery, member)
    return text_segments(composed.subject, composed.text, composed.html)


def check_messages(findings: Findings, story: Story, language: str) -> None:
    deliveries = {**automation_deliveries(story), "campaign": campaign_delivery(story)}
    for where, delivery in deliveries.items():
        english = composed_segments(delivery, "en")
        findings.check(f"the {where} message", composed_segments(delivery, language), english)


def account_mails(client, story: Story, language: str) -> dict[str, list[str]]:
    """allauth's mails as sent in `language` and the pages on the way, each with its text:
    signing up and confirming the address, signing up again with it, a password reset for a
    known and an unknown address and the reset link's pages, signing in (wrongly, then
    rightly) and out."""
    client.logout()
    cache.clear()  # allauth's rate limits count in the cache
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    found: dict[str, list[str]] = {}
    mail.outbox.clear()

    signup = {
        "email": f"carmen-{language}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Carmen",
        "language": language,
    }
    found["the page after signing up"] = page_segments(
        client, reverse("account_signup"), language, method="post", data=signup
    )
    (verification,) = mail.outbox
    found["the verification mail"] = mail_segments(verification)
    key_url = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", verification.body)
    found["the confirmation page"] = page_segments(client, key_url.group(1), language)
    found["the confirmation page, after confirming"] = page_segments(
        client, key_url.group(1), language, method="post"
    )
    client.logout()
    found["the confirmation page of a bad link"] = page_segments(
        client, reverse("account_confirm_email", args=["bad-key"]), language
    )

    mail.outbox.clear()
    cache.clear()  # one verification mail per address every few minutes
    found["the page after signing up again"] = page_segments(
        client, reverse("account_signup"), language, method="post", data=signup
    )
    (again,) = mail.outbox
    found["the account-exists mail"] = mail_segments(again)

    mail.outbox.clear()
    reset_url = reverse("account_reset_password")
    found["the page after asking for a reset"] = page_segments(
        client, reset_url, language, method="post", data={"email": story.alice.user.email}
    )
    found["the page after asking for a reset of an unknown address"] = page_segments(
        client, reset_url, language, method="post", data={"email": "nobody@example.com"}
    )
    reset, unknown = mail.outbox
    found["the password reset mail"] = mail_segments(reset)
    found["the unknown-account mail"] = mail_segments(unknown)
    reset_link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", reset.body)
    found["the new password page"] = page_segments(client, reset_link.group(1), language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reset_link.group(1), follow=True)
    new_password = {"password1": PASSWORD + "-new", "password2": PASSWORD + "-new"}
    found["the page after a new password"] = page_segments(
        client, response.redirect_chain[-1][0], language, method="post", data=new_password
    )
    found["the new password page of a bad link"] = page_segments(
        client, reverse("account_reset_password_from_key", args=["x", "bad"]), language
    )
    found["the failed sign-in page"] = page_segments(
        client,
        reverse("account_login"),
        language,
        method="post",
        data={"login": story.alice.user.email, "password": "wrong"},
    )
    found["the page after signing in"] = page_segments(
        client,
        reverse("account_login"),
        language,
        method="post",
        data={"login": story.alice.user.email, "password": PASSWORD + "-new"},
    )
    found["the page after signing out"] = page_segments(
        client, reverse("account_logout"), language, method="post"
    )
    # Back to the password the other renderings sign in with.
    story.alice.user.set_password(PASSWORD)
    story.alice.user.save(update_fields=["password"])
    return found


ANONYMOUS_PAGES = {
    "sign-in": "account_login",
    "sign-up": "account_signup",
    "password reset": "account_reset_password",
    "password reset sent": "account_reset_password_done",
    "verification sent": "account_email_verification_sent",
    "account inactive": "account_inactive",
    "front page": "home",
}


# --- The test ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_member_page_and_mail_speaks_the_language_in_one_voice(
    client, story, program, language
):
    names = {reward.localized_name(language) for reward in Reward.objects.all()}
    findings = Findings(language=language, codes=raw_codes(program), names=names)

    anonymous = {where: reverse(name) for where, name in ANONYMOUS_PAGES.items()}
    check_pages(findings, client, anonymous | link_pages(story), story, language)

    english_mails = account_mails(client, story, "en")
    for where, segments in account_mails(client, story, language).items():
        findings.check(where, segments, english_mails[where])

    client.force_login(story.alice.user)
    check_pages(findings, client, member_pages(story), story, language)
    check_messages(findings, story, language)
    english_outcomes = redeemed_and_cancelled(client, story, "en")
    for where, segments in redeemed_and_cancelled(client, story, language).items():
        findings.check(where, segments, english_outcomes[where])

    joiner = UserFactory(email=f"joiner-{language}@example.com")  # an account, not a member
    client.force_login(joiner)
    check_pages(findings, client, {"join": reverse("members:join")}, story, language)

    assert not findings.failures, "\n".join(findings.failures)
