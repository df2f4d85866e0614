"""Writes of segments: create, update, delete. Each validates everything before writing (the
rules against campaigns.segment_rules and the tiers of the program in force) and is one
transaction. A refusal is one SegmentInvalid listing every problem at its path."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Segment
from campaigns.segment_rules import SegmentInvalid, rules_check
from config.domain import DomainError, Problem
from config.languages import DEFAULT_NAME_LANGUAGE, NAME_LANGUAGES
from loyalty.definition import CODE_MAX_LENGTH, TEXT_MAX_LENGTH
from loyalty.selectors.program import program_in_force

CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


class SegmentExists(DomainError):
    code = "segment_exists"
    status = 409
    field = "code"
    template = _("A segment with this code exists already.")


class SegmentInUse(DomainError):
    code = "segment_in_use"
    status = 409
    template = _("This segment is used by a campaign and cannot be deleted.")


def _tier_codes() -> list[str]:
    program = program_in_force()
    return [tier.code for tier in program.tiers] if program is not None else []


def code_problems(code, *, example: str) -> list[Problem]:
    """The refusal of a marketer's code (a segment's, a campaign's): lowercase letters, digits,
    dashes and underscores, as URLs and the API name them."""
    if isinstance(code, str) and len(code) <= CODE_MAX_LENGTH and CODE_PATTERN.fullmatch(code):
        return []
    return [
        Problem(
            "code",
            _(
                "Give a code of lowercase letters, digits, dashes and underscores, at most "
                "%(length)s characters, such as %(example)s."
            ),
            {"length": CODE_MAX_LENGTH, "example": example},
        )
    ]


def _name_problems(names) -> tuple[dict[str, str], list[Problem]]:
    if not isinstance(names, Mapping):
        return {}, [Problem("name", _("Give the name per language: {en, es, fr}."), {})]
    problems = []
    cleaned: dict[str, str] = {}
    for language, text in names.items():
        if language not in NAME_LANGUAGES:
            problems.append(
                Problem(
                    f"name.{language}",
                    _("Names are given in %(languages)s."),
                    {"languages": ", ".join(NAME_LANGUAGES)},
                )
            )
        elif not isinstance(text, str) or len(text.strip()) > TEXT_MAX_LENGTH:
            problems.append(
                Problem(
                    f"name.{language}",
                    _("Give a text of at most %(length)s characters."),
                    {"length": TEXT_MAX_LENGTH},
                )
            )
        else:
            cleaned[language] = text.strip()
    if not problems and not cleaned.get(DEFAULT_NAME_LANGUAGE):
        problems.append(
            Problem(f"name.{DEFAULT_NAME_LANGUAGE}", _("Every segment has an English name."), {})
        )
    return cleaned, problems


def _checked(*, names, match, rules, problems: list[Problem]) -> tuple[dict, str, list]:
    cleaned_names, name_problems = _name_problems(names)
    match, rules, rule_problems = rules_check(match=match, rules=rules, tier_codes=_tier_codes())
    problems = [*problems, *name_problems, *rule_problems]
    if problems:
        raise SegmentInvalid(problems=problems)
    return cleaned_names, match, rules


def _name_fields(names: dict[str, str]) -> dict[str, str]:
    return {f"name_{language}": names.get(language, "") for language in NAME_LANGUAGES}


def segment_create(*, code, names, match, rules, actor=None) -> Segment:
    """A new segment. Refused with SegmentInvalid (every problem) or SegmentExists."""
    names, match, rules = _checked(
        names=names, match=match, rules=rules, problems=code_problems(code, example="lapsed-silver")
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            return Segment.objects.create(
                code=code,
                match=match,
                rules=rules,
                created_by=actor,
                created_at=now,
                updated_at=now,
                **_name_fields(names),
            )
    except IntegrityError as error:
        if Segment.objects.filter(code=code).exists():
            raise SegmentExists() from error
        raise


def segment_update(*, segment: Segment, names, match, rules, actor=None) -> Segment:
    """The segment's name, match and rules replaced (its code stays: campaigns and links name
    it)."""
    names, match, rules = _checked(names=names, match=match, rules=rules, problems=[])
    with transaction.atomic():
        locked = Segment.objects.select_for_update().get(pk=segment.pk)
        for field, value in _name_fields(names).items():
            setattr(locked, field, value)
        locked.match = match
        locked.rules = rules
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*_name_fields(names), "match", "rules", "updated_at"])
    return locked


def segment_delete(*, segment: Segment, actor=None) -> None:
    """Delete a segment no campaign uses (a campaign keeps its segment: SegmentInUse)."""
    try:
        with transaction.atomic():
            Segment.objects.filter(pk=segment.pk).delete()
    except ProtectedError as error:
        raise SegmentInUse() from error
