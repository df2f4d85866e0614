"""The admin's editor for the program's categories: a table a shop owner fills in, one row per
category with its code and its name in each language, instead of the JSON the model stores.

The rows become PROGRAM.md's `categories:` ([{code, name: {en, es, fr}}]); the program validator
then checks them like a program file's (codes, duplicates, a name in the program's language), and
its errors show at the field.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

# Rows offered beyond the categories already named, for new ones; more after each save.
EMPTY_ROWS = 3


def _languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class CategoriesWidget(forms.Widget):
    """A table of inputs `<name>-<row>-code` and `<name>-<row>-<language>`."""

    def value_from_datadict(self, data, files, name):
        rows = []
        index = 0
        while f"{name}-{index}-code" in data:
            row = {"code": data.get(f"{name}-{index}-code", "").strip()}
            for language, _label in _languages():
                row[language] = data.get(f"{name}-{index}-{language}", "").strip()
            rows.append(row)
            index += 1
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-0-code" not in data

    def render(self, name, value, attrs=None, renderer=None):
        rows = [
            {"code": item.get("code", ""), **(item.get("name") or {})}
            for item in (value or [])
            if isinstance(item, dict)
        ]
        rows += [{"code": ""}] * EMPTY_ROWS
        languages = _languages()
        header = format_html(
            '<th scope="col">{}</th>{}',
            _("Code (used by rules and items)"),
            format_html_join(
                "", '<th scope="col">{}</th>', ((label,) for _code, label in languages)
            ),
        )
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (
                    format_html(
                        '<td><input type="text" name="{}-{}-code" value="{}" aria-label="{}"'
                        ' maxlength="50" size="12"></td>{}',
                        name,
                        index,
                        row.get("code", ""),
                        _("Category %(number)s: code") % {"number": index + 1},
                        format_html_join(
                            "",
                            '<td><input type="text" name="{}-{}-{}" value="{}" aria-label="{}"'
                            ' maxlength="100" size="18"></td>',
                            (
                                (
                                    name,
                                    index,
                                    language,
                                    row.get(language, ""),
                                    _("Category %(number)s: name in %(language)s")
                                    % {"number": index + 1, "language": label},
                                )
                                for language, label in languages
                            ),
                        ),
                    ),
                )
                for index, row in enumerate(rows)
            ),
        )
        return format_html(
            '<table class="categories-editor" data-testid="categories-editor">'
            "<thead><tr>{}</tr></thead><tbody>{}</tbody></table>"
            '<p class="help">{}</p>',
            header,
            body,
            _(
                "A row with an empty code is left out. Members read the name in their language "
                "(\u201c\u00d72 on Wine\u201d); the code is what rules and purchase lines use."
            ),
        )


class CategoriesField(forms.Field):
    """Table rows in, PROGRAM.md's list of {code, name} out."""

    widget = CategoriesWidget

    def __init__(self, *, encoder=None, decoder=None, **kwargs):
        # JSONField's form field arguments, which the model field passes along.
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, list) and value and "name" in value[0]:
            return value  # already the stored shape (initial data)
        categories = []
        for row in value:
            code = row.get("code", "")
            names = {
                language: row[language] for language, _label in _languages() if row.get(language)
            }
            if not code:
                if names:
                    raise forms.ValidationError(
                        _("A category has names but no code: give it a code or empty its names.")
                    )
                continue
            categories.append({"code": code, "name": names})
        return categories

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)
