"""The admin's import pages: upload, the same validation report the commands print, then confirm.

The upload is kept under MEDIA_ROOT/imports with a random name; the confirm form carries a signed
token naming it (and the kind, whether to skip bad rows and whether dates are read day first), so
nobody can make the admin import a file it did not check, or another path, or read it otherwise.
Confirming checks the file again and imports it (the database may have moved since), then deletes
it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.exports import LAYOUTS, MACHINE
from loyalty.imports.base import Importer, import_run
from loyalty.selectors.program import ProgramNotConfigured

IMPORT_PERMISSION = "members.import_data"
EXPORT_PERMISSION = "members.export_data"
TOKEN_SALT = "loyalty.imports.confirm"  # noqa: S105 - a signing namespace, not a secret
TOKEN_MAX_AGE = 24 * 3600
UPLOAD_DIRECTORY = "imports"


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    is_day_first = forms.BooleanField(
        label=_("Dates are written day first (31/12/2026 18:30)"),
        help_text=_(
            "As a spreadsheet in Spain or France saves them. Dates written 2026-12-31 are read "
            "either way."
        ),
        required=False,
    )


def upload_directory() -> Path:
    directory = Path(settings.MEDIA_ROOT) / UPLOAD_DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def upload_store(upload) -> str:
    """Save the upload under a random name; returns the name."""
    name = f"{secrets.token_hex(16)}.csv"
    with open(upload_directory() / name, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return name


def token_make(*, kind: str, name: str, skip_invalid: bool, is_day_first: bool) -> str:
    return signing.dumps(
        {"kind": kind, "name": name, "skip": skip_invalid, "day_first": is_day_first},
        salt=TOKEN_SALT,
    )


def token_read(token: str, *, kind: str) -> tuple[Path, bool, bool]:
    """The file the token names, whether to skip bad rows, whether dates are read day first."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise PermissionDenied("this import link is not valid any more") from None
    if data.get("kind") != kind:
        raise PermissionDenied("this import link is for another kind of file")
    file = upload_directory() / Path(data["name"]).name
    return file, bool(data.get("skip")), bool(data.get("day_first"))


class ImportExportAdminMixin:
    """Adds `import/` and `export/` pages to a ModelAdmin. Subclasses set `import_kind`,
    `importer_class` and `export_lines` (a staticmethod; or leave either out)."""

    import_kind = ""
    importer_class: type[Importer] | None = None
    export_lines: Callable | None = None
    export_name = ""
    change_list_template = "admin/imports/change_list.html"

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        urls = []
        if self.importer_class is not None:
            urls += [
                path(
                    "import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"
                ),
                path(
                    "import/confirm/",
                    self.admin_site.admin_view(self.import_confirm_view),
                    name=f"{prefix}_import_confirm",
                ),
            ]
        if self.export_lines is not None:
            urls.append(
                path(
                    "export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"
                )
            )
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.importer_class is not None
            and request.user.has_perm(IMPORT_PERMISSION),
            "can_export": self.export_lines is not None
            and request.user.has_perm(EXPORT_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def _context(self, request: HttpRequest, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(kind)s") % {"kind": self.import_kind},
            "kind": self.import_kind,
            "columns": self.importer_class.columns if self.importer_class else (),
            "required_columns": self.importer_class.required_columns if self.importer_class else (),
            **extra,
        }

    def _importer(self, request):
        try:
            return self.importer_class(actor=request.user)
        except ProgramNotConfigured:
            return None

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {"form": form}
        if request.method == "POST" and form.is_valid():
            importer = self._importer(request)
            if importer is None:
                form.add_error(None, _("Import the program first."))
                return self._upload_page(request, context)
            name = upload_store(form.cleaned_data["file"])
            is_day_first = form.cleaned_data["is_day_first"]
            report = import_run(
                importer=importer,
                path=upload_directory() / name,
                is_applied=False,
                is_day_first=is_day_first,
            )
            if report.file_problem:
                (upload_directory() / name).unlink(missing_ok=True)
            tokens = {
                skip: token_make(
                    kind=self.import_kind, name=name, skip_invalid=skip, is_day_first=is_day_first
                )
                for skip in (False, True)
            }
            context |= {
                "report": report,
                "file_name": form.cleaned_data["file"].name,
                "token": tokens[False],
                "skip_token": tokens[True],
            }
        return self._upload_page(request, context)

    def _upload_page(self, request: HttpRequest, context: dict) -> HttpResponse:
        return TemplateResponse(
            request, "admin/imports/upload.html", self._context(request, **context)
        )

    def import_confirm_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            raise PermissionDenied("confirm with the button on the report")
        file, skip_invalid, is_day_first = token_read(
            request.POST.get("token", ""), kind=self.import_kind
        )
        if not file.is_file():
            raise PermissionDenied("this file was imported already or has expired")
        importer = self._importer(request)
        report = import_run(
            importer=importer, path=file, skip_invalid=skip_invalid, is_day_first=is_day_first
        )
        file.unlink(missing_ok=True)
        return TemplateResponse(
            request,
            "admin/imports/done.html",
            self._context(request, report=report, skip_invalid=skip_invalid),
        )

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The CSV for machines, or with `?layout=excel` for Excel in Spain or France."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        layout = LAYOUTS.get(request.GET.get("layout", ""), MACHINE)
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        name = self.export_name if layout is MACHINE else f"{self.export_name}-{layout.name}"
        content_type = "text/csv" if layout is MACHINE else "text/csv; charset=utf-8"
        response = StreamingHttpResponse(
            self.export_lines(layout=layout), content_type=content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response
