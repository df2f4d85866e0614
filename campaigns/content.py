"""A message's content: its merge fields, checked when the content is saved and filled in when it
is sent (CAMPAIGNS.md, Campaigns).

Content is plain text with `{{ field }}` placeholders, nothing else: not Django's template
language, whose tags and filters could reach far more than these values. A placeholder names one
of MERGE_FIELDS (spaces inside the braces optional); any other `{{ ... }}`, a lone `{{` or `}}`,
or a `{%`/`{#` is refused at save (`content_errors`), so sending never meets a template it
cannot fill. The HTML body of an email is made from the text: every piece escaped (the text and
the values), paragraphs at blank lines, line breaks kept, web addresses made links.

Pure functions over strings: the values themselves are computed at send time, in the member's
language, by campaigns.merge_values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

MERGE_FIELDS = (
    "first_name",
    "points",
    "pending_points",
    "tier",
    "next_tier",
    "amount_to_next_tier",
    "expiring_points",
    "expiring_on",
    "voucher_code",
    "portal_url",
    "unsubscribe_url",
)

# A placeholder as the marketer may write it: {{first_name}} or {{ first_name }}.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Anything template-like left once the placeholders are taken out.
_STRAY = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


@dataclass(frozen=True)
class ContentError:
    """One problem in a text: `code` is stable, `message` in the active language."""

    code: str
    message: str


def placeholders(text: str) -> list[str]:
    """The merge fields a text uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def content_errors(text: str, *, allowed: Iterable[str] = MERGE_FIELDS) -> list[ContentError]:
    """What is wrong with a text's placeholders; empty when it can be sent. `allowed` narrows
    the fields (an automation adds its own; a text without an offer has no voucher_code)."""
    allowed = set(allowed)
    errors = []
    for name in placeholders(text):
        if name not in allowed:
            errors.append(
                ContentError(
                    "merge_field_unknown",
                    str(_("{{ %(field)s }} is not a merge field. Use one of: %(fields)s."))
                    % {"field": name, "fields": ", ".join(sorted(allowed))},
                )
            )
    if _STRAY.search(_PLACEHOLDER.sub("", text or "")):
        errors.append(
            ContentError(
                "merge_field_malformed",
                str(
                    _(
                        "Write merge fields as {{ field }}, with two braces on each side and "
                        "nothing else between them."
                    )
                ),
            )
        )
    return errors


def text_render(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by its value (a missing value is empty)."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), "")), text or "")


def html_render(text: str, values: Mapping[str, str], *, link=None) -> str:
    """The HTML body made from the text: escaped, paragraphs at blank lines, line breaks kept,
    web addresses as links. `link(url) -> url` rewrites each link (click tracking)."""
    rendered = text_render(text, values)
    paragraphs = [part.strip("\n") for part in re.split(r"\n\s*\n", rendered) if part.strip()]
    return "\n".join(f"<p>{_html_paragraph(part, link)}</p>" for part in paragraphs)


def _html_paragraph(text: str, link) -> str:
    pieces = []
    position = 0
    for match in _URL.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        url = match.group(0)
        target = link(url) if link is not None else url
        pieces.append(f'<a href="{escape(target)}">{escape(url)}</a>')
        position = match.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces).replace("\n", "<br>\n")


def content_for_language(
    content: Mapping[str, Mapping[str, str]], language: str, *, program_language: str
) -> tuple[str, Mapping[str, str]] | None:
    """The member's language's content, else the program's language's, else any present (in
    en/es/fr order): (language used, its texts), or None when there is no content at all."""
    for candidate in (language, program_language, "en", "es", "fr", *content):
        texts = content.get(candidate)
        if texts and any((value or "").strip() for value in texts.values()):
            return candidate, texts
    return None
