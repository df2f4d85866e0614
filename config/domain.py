"""The one shape of a domain error: a stable `code`, a translatable message with its parameters,
and the HTTP status the API answers with, declared once on the exception class.

The API's exception handler renders any DomainError from these (config.api.exceptions), so no
view maps domain errors by hand; the console and the portal show `message()` in the reader's
language. A domain app subclasses it next to the rule that raises it (members.status.MemberBlocked).
"""

from __future__ import annotations

from django.utils import translation


class DomainError(Exception):
    code = "domain_error"
    status = 400
    template = "The request could not be completed."

    def __init__(self, **params):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str | None = None) -> str:
        """The message in `language` (the active language when None), with its parameters."""
        if language is None:
            return self._render()
        with translation.override(language):
            return self._render()

    def _render(self) -> str:
        text = str(self.template)
        return text % self.params if self.params else text
