"""The languages names are written in (the program file, the catalog) and the one rule for
reading a name in a language: the language asked for, else English, else any given, else the
caller's default (usually the code)."""

from collections.abc import Mapping

NAME_LANGUAGES = ("en", "es", "fr")
DEFAULT_NAME_LANGUAGE = "en"


def localized(names: Mapping[str, str] | None, language: str | None, default: str = "") -> str:
    names = names or {}
    if language and names.get(language):
        return names[language]
    if names.get(DEFAULT_NAME_LANGUAGE):
        return names[DEFAULT_NAME_LANGUAGE]
    return next((name for name in names.values() if name), default)
