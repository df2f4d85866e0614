"""The one shape of a domain error: a stable `code`, a translatable message with its parameters,
the HTTP status the API answers with and, for a rule about one input, the `field` it is about;
all declared once, on the exception class, next to the rule that raises it.

The API's exception handler answers any DomainError from these (config.api.exceptions): no view
maps domain errors by hand. The console shows `message()` and the portal `member_message()`
(the member's wording, where it differs) in the reader's language, at the field when there is
one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation


class DomainError(Exception):
    code = "domain_error"
    status = 400
    template: Any = "The request could not be completed."
    # The wording for the member, in the portal, when theirs differs (None: the same message).
    member_template: Any = None
    # The input the refusal is about (the API adds `errors` for it; forms show it there).
    field: str | None = None
    # The language the API words the refusal in, when not the request's (worded_in).
    language: str | None = None

    def __init__(self, **params):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str | None = None) -> str:
        """The message in `language` (the active language when None), with its parameters."""
        if language is None:
            return self.render()
        with translation.override(language):
            return self.render()

    def member_message(self, language: str | None = None) -> str:
        """What the member reads in the portal: `member_template` when there is one."""
        if self.member_template is None:
            return self.message(language)
        with translation.override(language or translation.get_language()):
            text = str(self.member_template)
            return text % self.params if self.params else text

    def render(self) -> str:
        """The message in the active language. Subclasses whose parameters need formatting in
        that language (money, dates) override it."""
        text = str(self.template)
        return text % self.params if self.params else text

    def api_detail(self, language: str | None = None) -> str:
        """The API's `detail`: the message, unless the refusal is worded at its field only."""
        return self.message(language)

    def errors(self, language: str | None = None) -> dict[str, list[str]] | None:
        """The refusal per field, as the API's `errors`, or None when it is about no field."""
        if self.field is None:
            return None
        return {self.field: [self.message(language)]}


@contextmanager
def worded_in(language: str | None) -> Iterator[None]:
    """A DomainError raised inside is worded in `language` by the API (a redemption refused at
    the till is read out to the member, in theirs)."""
    try:
        yield
    except DomainError as error:
        error.language = language
        raise


@dataclass(frozen=True)
class Problem:
    """One reason an input is refused, at its path (`rules.2.op`, `content.es.body`), with a
    translatable template and its parameters."""

    path: str
    template: Any
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text


class ProblemsError(DomainError):
    """A refusal listing every problem of an input at its path, raised before anything is
    written: the API's `errors`, a form's field errors."""

    def __init__(self, *, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__()

    def errors(self, language: str | None = None) -> dict[str, list[str]]:
        with translation.override(language) if language else nullcontext():
            found: dict[str, list[str]] = {}
            for problem in self.problems:
                found.setdefault(problem.path, []).append(problem.message())
            return found
